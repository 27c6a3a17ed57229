"""A handler's import builds no pydantic model it never validates (issue #17: cold start).

Each check imports one handler in a fresh interpreter and reports which models pydantic
has built (`__pydantic_complete__`); a model that loses `defer_build`, or an import that
starts validating at module level, shows up here as built.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_REPORT = """
import json, sys
import {handler}
from mediaday import models, gateway_events, protocol
from connect.handler import RotationEvent
built = {{
    "items": [m.__name__ for m in models.ITEM_TYPES.values() if m.__pydantic_complete__],
    "requests": [m.__name__ for m in protocol.REQUEST_MODELS if m.__pydantic_complete__],
    "events": [
        m.__name__
        for m in (gateway_events.ConnectEvent, gateway_events.DisconnectEvent,
                  gateway_events.MessageEvent, RotationEvent)
        if m.__pydantic_complete__
    ],
}}
print(json.dumps(built))
"""


def _built_after_importing(handler: str) -> dict[str, list[str]]:
    result = subprocess.run(  # a fixed argument list
        [sys.executable, "-c", _REPORT.format(handler=handler)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    built: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return built


@pytest.mark.parametrize("handler", ["connect.handler", "messaging.handler", "broadcast.handler"])
def test_no_handler_import_builds_an_item_request_or_event_model(handler: str) -> None:
    assert _built_after_importing(handler) == {"items": [], "requests": [], "events": []}


def test_an_item_parsed_and_dumped_through_the_adapter_leaves_its_class_unbuilt() -> None:
    report = """
import json
from mediaday.models import Slot, item_to_plain, parse_item
slot = parse_item({"type": "slot", "media_day": "d1", "id": "s1", "station_id": "st-1",
    "talent_id": "t1", "starts_at": "2026-12-02T10:00:00Z", "ends_at": "2026-12-02T10:10:00Z"})
print(json.dumps({"plain": item_to_plain(slot), "built": Slot.__pydantic_complete__}))
"""
    result = subprocess.run(  # a fixed argument list
        [sys.executable, "-c", report], capture_output=True, text=True, check=True, timeout=60
    )
    outcome = json.loads(result.stdout)
    assert outcome["built"] is False
    assert outcome["plain"]["type"] == "slot"
    assert outcome["plain"]["starts_at"] == "2026-12-02T10:00:00Z"
    assert "planned_starts_at" not in outcome["plain"]  # None fields are left out, as before
