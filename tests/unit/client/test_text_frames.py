"""Our clients send text frames only: API Gateway closes a connection with 1003 at the first
binary frame (infra/local/README.md, "binary frames"), so a binary send anywhere in a client
would work nowhere. The Python client is spied on at the websockets send; the pages' sends
are read from their source (the browser suite runs them against the emulator, which closes
with 1003 too)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.unit.client.fake_server import client_for

WEB = Path(__file__).resolve().parents[3] / "client" / "web"


async def test_the_python_client_sends_every_request_as_a_text_frame(server, monkeypatch):
    sent: list[type] = []
    original = ClientConnection.send

    async def spy(self: ClientConnection, message: Any, *args: Any, **kwargs: Any) -> None:
        sent.append(type(message))
        await original(self, message, *args, **kwargs)

    monkeypatch.setattr(ClientConnection, "send", spy)
    async with client_for(server, topics=["roster"]) as client:
        await client.ping()
        await client.subscribe("station:st-1")
        await client.sync()
    assert len(sent) >= 4  # the subscribe on connect, ping, subscribe, sync
    assert set(sent) == {str}


def test_the_pages_send_only_json_strings():
    sends = []
    for script in sorted(WEB.glob("*.js")):
        for match in re.finditer(r"\.send\(([^;]*)\);", script.read_text()):
            sends.append((script.name, match.group(1)))
    assert sends, "no WebSocket send found in client/web: this test looks in the wrong place"
    assert [s for s in sends if not s[1].startswith("JSON.stringify(")] == []
