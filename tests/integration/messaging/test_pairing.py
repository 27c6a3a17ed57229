"""Device pairing through on_connect and on_message (moto): a screen without a token waits,
a producer approves its code, the screen gets a token for the producer's day; every
refusal path (wrong, expired, replayed code; a pending screen acting; a flood of codes)."""

from __future__ import annotations

import time
from typing import Any

import pytest

import connect.handler
from connect.handler import on_connect, on_disconnect
from infra.local.events import LambdaContext
from mediaday.factories import reset_all
from mediaday.pairing import CODE_PATTERN, PairingStore
from mediaday.tokens import verify_token
from tests.conftest import CONNECTIONS_TABLE
from tests.integration.messaging.conftest import MEDIA_DAY, Client
from tests.support.events import connect_event, disconnect_event


@pytest.fixture
def pairing(dynamodb, key_file, roster, clients, poster, monkeypatch) -> PairingStore:
    """A stack whose $connect and $disconnect post through the test's poster."""
    monkeypatch.setattr(connect.handler, "get_callback_poster", lambda domain, stage: poster)
    return PairingStore(CONNECTIONS_TABLE, dynamodb)


def _screen(connection_id: str, poster) -> Client:
    """A screen opened without a token, in pairing mode: admitted, waiting."""
    response = on_connect(connect_event(connection_id, query={"pair": ""}), LambdaContext("t"))
    assert response["statusCode"] == 200, response
    return Client(connection_id, poster)


def _code(screen: Client) -> str:
    ack = screen.request("pair.start")
    assert ack["type"] == "ack", ack
    return str(ack["item"]["code"])


def test_a_screen_without_a_token_gets_a_code_and_then_its_token_on_approval(
    pairing, clients, poster, keys
):
    # Given a producer watching, and a screen showing a code
    producer = clients["producer"]
    assert producer.request("pair.watch")["item"] == {"devices": []}
    screen = _screen("c-tv", poster)
    code = _code(screen)
    assert len(code) == 6
    [waiting] = [f for f in poster.frames("c-producer") if f["type"] == "pairing"]
    assert (waiting["change"], waiting["device"]["code"]) == ("waiting", code)
    # When the producer approves it, typed as a person would, as a crew of station st-2
    ack = producer.request(
        "pair.approve", code=f"{code[:3].lower()} {code[3:]}", role="crew", station_id="st-2",
        label="Camera 2 tablet",
    )  # fmt: skip
    # Then the screen alone receives a token for the producer's day, role and station
    assert ack["type"] == "ack", ack
    [paired] = [f for f in poster.frames("c-tv") if f["type"] == "paired"]
    claims = verify_token(paired["token"], keys)
    assert (claims.media_day, claims.role.value, claims.station) == (MEDIA_DAY, "crew", "st-2")
    assert claims.label == "Camera 2 tablet"
    assert claims.expires_at - claims.issued_at == 24 * 3600  # the crew maximum
    # And the ack names it for revocation, never carrying the token itself
    assert ack["item"]["token_id"] == claims.token_id and "token" not in ack["item"]
    # And its pending socket is closed and forgotten; the producer hears `paired`
    assert "c-tv" in poster.gone and pairing.device("c-tv") is None
    assert poster.frames("c-producer")[-1]["change"] == "paired"


def test_a_pending_screen_may_only_ping_and_ask_for_a_code(pairing, poster, connection_rows):
    screen = _screen("c-tv", poster)
    before = connection_rows()
    assert screen.request("ping")["type"] == "pong"
    refused: list[tuple[str, dict[str, Any]]] = [
        ("subscribe", {"topics": ["roster"]}),
        ("sync", {"topics": ["roster"], "since": 0}),
        ("pair.watch", {}),
        ("pair.approve", {"code": "ABCDEF", "role": "producer"}),
        ("revoke", {"subject": "anyone"}),
    ]
    for action, fields in refused:
        reply = screen.request(action, **fields)
        assert (reply["type"], reply["code"]) == ("error", "unauthorized"), (action, reply)
        assert "waiting to be paired" in reply["message"]
    # Nothing but its own message counter was written
    written = [row for row in connection_rows() if row not in before]
    assert {row["sk"]["S"].split("#")[0] for row in written} <= {"rate"}


def test_a_wrong_code_is_refused_and_spends_nothing(pairing, clients, poster):
    screen = _screen("c-tv", poster)
    code = _code(screen)
    wrong = "".join("A" if ch != "A" else "B" for ch in code)
    reply = clients["producer"].request("pair.approve", code=wrong, role="kiosk")
    assert (reply["type"], reply["code"]) == ("error", "pairing_code_unknown")
    assert not [f for f in poster.frames("c-tv") if f["type"] == "paired"]
    # The right code still works
    assert clients["producer"].request("pair.approve", code=code, role="kiosk")["type"] == "ack"


def test_a_replayed_code_is_refused_but_a_retry_of_the_same_request_is_answered_again(
    pairing, clients, poster
):
    screen = _screen("c-tv", poster)
    code = _code(screen)
    producer = clients["producer"]
    first = producer.send({"action": "pair.approve", "id": "r-1", "code": code, "role": "kiosk"})
    assert first["type"] == "ack"
    # A retry with the same request id is the same answer, marked duplicate, no new token
    again = producer.send({"action": "pair.approve", "id": "r-1", "code": code, "role": "kiosk"})
    assert again["duplicate"] is True and again["item"] == first["item"]
    assert len([f for f in poster.frames("c-tv") if f["type"] == "paired"]) == 1
    # Any other use of the spent code is refused, approval or rejection
    for action, fields in [("pair.approve", {"role": "kiosk"}), ("pair.reject", {})]:
        reply = producer.request(action, code=code, **fields)
        assert (reply["type"], reply["code"]) == ("error", "pairing_code_used"), reply


def test_an_expired_code_is_refused(pairing, clients, poster, monkeypatch):
    monkeypatch.setenv("MEDIADAY_PAIRING_CODE_SECONDS", "30")
    reset_all()
    screen = _screen("c-tv", poster)
    code = _code(screen)
    later = time.time() + 31
    monkeypatch.setattr(time, "time", lambda: later)
    reply = clients["producer"].request("pair.approve", code=code, role="kiosk")
    assert (reply["type"], reply["code"]) == ("error", "pairing_code_expired"), reply
    assert not [f for f in poster.frames("c-tv") if f["type"] == "paired"]


def test_a_new_code_replaces_the_old_one(pairing, clients, poster):
    screen = _screen("c-tv", poster)
    old, new = _code(screen), _code(screen)
    reply = clients["producer"].request("pair.approve", code=old, role="kiosk")
    assert reply["code"] == "pairing_code_unknown"
    assert clients["producer"].request("pair.approve", code=new, role="kiosk")["type"] == "ack"


def test_a_flood_of_code_requests_from_one_source_is_refused(pairing, poster, monkeypatch):
    monkeypatch.setenv("MEDIADAY_PAIRING_CODES_PER_SOURCE_PER_MINUTE", "3")
    reset_all()
    screens = [_screen(f"c-tv-{n}", poster) for n in range(2)]
    answers = [screen.request("pair.start") for screen in screens for _ in range(2)]
    assert [a["type"] for a in answers[:3]] == ["ack"] * 3
    assert (answers[3]["type"], answers[3]["code"]) == ("error", "pairing_rate_limited")


def test_a_pending_screen_that_floods_messages_is_disconnected(pairing, poster, monkeypatch):
    monkeypatch.setenv("MEDIADAY_PAIRING_MESSAGES_PER_MINUTE", "3")
    reset_all()
    screen = _screen("c-tv", poster)
    replies = [screen.request("subscribe", topics=["roster"]) for _ in range(4)]
    assert replies[-1]["code"] == "rate_limited" and "c-tv" in poster.gone


def test_a_rejected_screen_is_told_and_closed(pairing, clients, poster):
    clients["producer"].request("pair.watch")
    screen = _screen("c-tv", poster)
    code = _code(screen)
    assert clients["producer"].request("pair.reject", code=code)["type"] == "ack"
    told = poster.frames("c-tv")[-1]
    assert (told["type"], told["code"]) == ("error", "unauthorized")
    assert "c-tv" in poster.gone and pairing.device("c-tv") is None
    assert poster.frames("c-producer")[-1]["change"] == "rejected"


def test_a_screen_that_left_is_listed_no_more_and_its_code_finds_nobody(pairing, clients, poster):
    producer = clients["producer"]
    producer.request("pair.watch")
    screen = _screen("c-tv", poster)
    code = _code(screen)
    assert [d["code"] for d in producer.request("pair.watch")["item"]["devices"]] == [code]
    on_disconnect(disconnect_event("c-tv"), LambdaContext("t"))
    assert poster.frames("c-producer")[-1]["change"] == "left"
    assert producer.request("pair.watch")["item"]["devices"] == []
    # Its code is still on record until it expires, but no screen would receive a token
    poster.gone.add("c-tv")
    reply = producer.request("pair.approve", code=code, role="kiosk")
    assert (reply["type"], reply["code"]) == ("error", "not_found"), reply


def test_approval_refuses_a_lifetime_over_the_role_maximum_and_spends_nothing(
    pairing, clients, poster
):
    screen = _screen("c-tv", poster)
    code = _code(screen)
    producer = clients["producer"]
    reply = producer.request("pair.approve", code=code, role="crew", station_id="st-1",
                             ttl_seconds=2 * 24 * 3600)  # fmt: skip
    assert (reply["type"], reply["code"]) == ("error", "invalid") and "at most 1d" in reply[
        "message"
    ]
    reply = producer.request("pair.approve", code=code, role="kiosk", station_id="st-nope")
    assert (reply["type"], reply["code"]) == ("error", "not_found")
    assert producer.request("pair.approve", code=code, role="kiosk")["type"] == "ack"


def test_codes_come_from_the_unambiguous_alphabet(pairing, poster):
    import re

    screen = _screen("c-tv", poster)
    codes = {_code(screen) for _ in range(10)}
    assert all(re.fullmatch(CODE_PATTERN, code) for code in codes) and len(codes) == 10


def test_a_token_that_could_not_be_delivered_reopens_the_code_for_the_same_request(
    pairing, clients, poster
):
    from mediaday.errors import DeliveryThrottled

    screen = _screen("c-tv", poster)
    code = _code(screen)

    def throttle_first_token(connection_id, frame, attempt):
        if frame.get("type") == "paired" and not throttled:
            throttled.append(connection_id)
            return DeliveryThrottled("429")
        return None

    throttled: list[str] = []
    poster._script = throttle_first_token
    request = {"action": "pair.approve", "id": "r-9", "code": code, "role": "kiosk"}
    first = clients["producer"].send(request)
    assert (first["type"], first["code"]) == ("error", "delivery_failed"), first
    # The same request again: the code was reopened, so this time the screen gets a token
    again = clients["producer"].send(request)
    assert again["type"] == "ack" and not again.get("duplicate"), again
    assert len([f for f in poster.frames("c-tv") if f["type"] == "paired"]) == 1
