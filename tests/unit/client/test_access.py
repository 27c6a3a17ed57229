"""Token expiry in the client: renew with a fresh token before it, or end plainly."""

from __future__ import annotations

import asyncio
import base64
import json
import time

from client.access import explain, fresh_token, seconds_left, token_expires_at
from client.errors import AccessExpired, ServerUnreachable, TokenRefused
from client.events import ConnectionState
from tests.support.client_options import fast
from tests.unit.client.fake_server import MEDIA_DAY, Caller, client_for


def _token(expires_at: float, subject: str = "producer") -> str:
    claims = {"role": "producer", "md": MEDIA_DAY, "sub": subject, "iat": 0, "exp": int(expires_at)}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"mdl1.{payload}.fake-signature-{subject}-{int(expires_at)}"


async def _polled(predicate, within: float) -> None:
    """Poll: a renewal that keeps the state CONNECTED emits no event to wake wait_until."""
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _admit(server, token: str) -> str:
    server.tokens[token] = Caller("producer", "producer")
    return token


def test_the_expiry_is_read_off_the_token_and_a_fresh_one_asked_for_only_near_it():
    soon, later = _token(time.time() + 30), _token(time.time() + 3600)
    assert token_expires_at(later) == int(time.time() + 3600) or token_expires_at(later)
    assert 28 < seconds_left(soon) <= 30
    assert token_expires_at("not-a-token") is None
    asked: list[str] = []
    source = lambda: asked.append("x") or "fresh"  # noqa: E731
    assert fresh_token(later, source, margin=60) == later
    assert fresh_token(soon, source, margin=60) == "fresh"
    assert fresh_token(soon, None, margin=60) == soon
    assert asked == ["x"]


def test_a_refusal_of_an_expired_token_is_named_access_expired():
    expired = _token(time.time() - 5)
    error = explain(TokenRefused("the server refused the token (HTTP 403)", 403), expired)
    assert isinstance(error, AccessExpired) and error.message.startswith("access expired:")
    # Anything else, or a token still valid, keeps its own error
    other = ServerUnreachable("down")
    assert explain(other, expired) is other
    valid = TokenRefused("revoked", 403)
    assert explain(valid, _token(time.time() + 60)) is valid


async def test_with_a_token_source_the_client_renews_with_a_fresh_token_before_expiry(server):
    # Given a token that runs out in 3-4 s and a source of fresh ones
    first = _admit(server, _token(time.time() + 4))
    second = _admit(server, _token(time.time() + 3600, "producer-2"))
    options = fast(token_source=lambda: second, renew_before_expiry=1.5)
    async with client_for(server, first, topics=["roster"], options=options) as client:
        # When it gets within 1.5 s of the expiry, it renews make-before-break
        await _polled(lambda: client.renewals >= 1, 4)
        # (make-before-break: the old link closes just after the new one is live)
        await _polled(lambda: len(server.callers) == 1, 4)
        # Then it never went through RECONNECTING and the live link uses the new token
        assert client.reconnects == 0 and client.state is ConnectionState.CONNECTED
        assert [caller.subject for caller in server.callers.values()] == ["producer"]
        assert server.handshakes == 2


async def test_without_a_source_an_expired_token_ends_the_client_with_access_expired(server):
    token = _admit(server, _token(time.time() + 1))
    options = fast(retry_initial=True)
    async with client_for(server, token, topics=["roster"], options=options) as client:
        # Given the token expires and the server closes the link and refuses the token
        await asyncio.sleep(max(0.0, seconds_left(token) or 0.0) + 0.05)
        del server.tokens[token]
        await server.drop_all(1000, "token expired")
        # Then the client stops, saying access expired, instead of reconnecting forever
        await client.wait_until(lambda: client.state is ConnectionState.CLOSED, 3)
        assert isinstance(client.failure, AccessExpired)
        assert "access expired" in client.failure.message
