"""A new action touches three places: its request model, its function and its doc row."""

from __future__ import annotations

import re
from pathlib import Path

from mediaday.protocol import ACTIONS, READ_ACTIONS, REQUEST_MODELS, action_of
from messaging import actions

PROTOCOL_DOC = Path(__file__).parents[3] / "docs" / "protocol.md"


def test_the_action_lists_read_off_the_request_models_are_the_protocol_s():
    expected = (
        *("ping", "subscribe", "unsubscribe", "sync"),
        *("slot.create", "slot.update", "slot.move", "slot.delete"),
        *("shot.add", "shot.update", "shot.set_status", "shot.delete"),
        *("station.put", "talent.put", "call.push", "call.ack", "call.cancel"),
        *("schedule.shift", "slot.arrive", "slot.done"),
        *("notice.post", "notice.update", "notice.clear", "batch"),
        *("device.label", "device.identify", "device.redirect", "revoke"),
        *("pair.start", "pair.watch", "pair.approve", "pair.reject"),
    )
    assert expected == ACTIONS
    assert {"ping", "subscribe", "unsubscribe", "sync"} == READ_ACTIONS
    assert [action_of(model) for model in REQUEST_MODELS] == list(ACTIONS)


def test_every_action_has_exactly_one_function_named_after_it():
    assert set(actions.BY_ACTION) == set(ACTIONS)
    for action, function in actions.BY_ACTION.items():
        assert function.__name__ == action.replace(".", "_")


def test_every_action_has_a_row_in_the_protocol_doc():
    rows = set(re.findall(r"^\| `([a-z_.]+)` ", PROTOCOL_DOC.read_text(), flags=re.MULTILINE))
    assert set(ACTIONS) <= rows
