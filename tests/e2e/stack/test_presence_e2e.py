"""The online markers end to end on the local stack: a kiosk watching `presence` sees a
station turn online when its first crew tablet connects, and offline when it leaves; a
crew tablet redirected by a producer is told which station to show."""

from __future__ import annotations

import pytest

from tests.support.wsclient import ProtocolClient

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STATION = "st-e2e-presence"  # no other test's crew is ever at it


async def test_a_kiosk_sees_a_station_go_online_and_offline_with_its_crew(local_stack):
    async with await ProtocolClient.open(local_stack.url_for("kiosk")) as kiosk:
        ack = await kiosk.request("subscribe", topics=["presence"])
        (page,) = ack["pages_received"]
        (markers,) = page["items"]
        assert markers["type"] == "presence" and STATION not in markers["crews"]
        # When the station's first crew tablet connects
        token = local_stack.token("crew", STATION, subject="e2e-presence-cam")
        crew = await ProtocolClient.open(f"{local_stack.ws_url}?token={token}")
        online = await kiosk.next_event(type="presence")
        assert STATION in online["crews"] and set(online) == {
            "type",
            "topic",
            "producers",
            "crews",
            "server_time",
        }
        # And a producer redirects it to another station: the tablet gets the command
        async with await ProtocolClient.open(local_stack.url_for("producer")) as producer:
            devices = await producer.request("subscribe", topics=["devices"])
            (device,) = [
                d
                for p in devices["pages_received"]
                for d in p["items"]
                if d["subject"] == "e2e-presence-cam"
            ]
            redirect = await producer.request(
                "device.redirect", connection_id=device["connection_id"], station_id="st-2"
            )
            assert redirect["type"] == "ack", redirect
            command = await crew.next_event(type="command")
            assert (command["command"], command["station_id"]) == ("redirect", "st-2")
        # When it disconnects, the station goes offline on the kiosk
        await crew.close()
        offline = await kiosk.next_event(
            type="presence", crews=[c for c in online["crews"] if c != STATION]
        )
        assert STATION not in offline["crews"]
