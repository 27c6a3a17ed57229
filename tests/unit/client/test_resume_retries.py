"""A resume's subscribe on a live link that the server could not answer: shed by the gateway
(its integration-failure frame names no request) or refused `busy` / `internal`. It is
resent on the same link under a new id, within the retry budget, instead of the link
being dropped for a reconnect that would cost the slow server far more."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from client.errors import RequestTimeout, ServerError
from client.matching import Requests
from client.mirror import Mirror
from client.pacing import RetryQuota
from mediaday.backoff import Backoff

GATEWAY_FAILURE = json.dumps(
    {"message": "Internal server error", "connectionId": "c-1", "requestId": "r-1"}
)


class ScriptedLink:
    """What `Requests` uses of a link, recording every frame sent on it."""

    number = 1
    reason = ""

    def __init__(self) -> None:
        self.lost = asyncio.Event()
        self.heard_at = 0.0
        self.shed_at = 0.0
        self.sent: list[dict[str, Any]] = []
        self.sent_now = asyncio.Event()

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))
        self.sent_now.set()

    async def probe(self) -> None:
        return None

    async def next_send(self) -> dict[str, Any]:
        await asyncio.wait_for(self.sent_now.wait(), 2.0)
        self.sent_now.clear()
        return self.sent[-1]


def requests_for(quota: RetryQuota | None = None) -> Requests:
    return Requests(
        Mirror(),
        lambda event: None,
        quota=quota,
        resend_backoff=Backoff(base=0.01, cap=0.01),
    )


def subscribe_ack(request_id: str) -> str:
    frame = {"type": "ack", "id": request_id, "action": "subscribe", "pages": 0}
    return json.dumps({**frame, "rev": 7, "topics": ["calls"], "server_time": 1})


def error(request_id: str, code: str, retry_after_ms: int | None = None) -> str:
    frame = {"type": "error", "id": request_id, "code": code, "message": code, "server_time": 1}
    return json.dumps({**frame, "retry_after_ms": retry_after_ms})


def subscribe(link: ScriptedLink, requests: Requests, within: float = 0.5) -> asyncio.Task[Any]:
    payload = {"action": "subscribe", "id": "first", "topics": ["calls"], "events": "batched"}
    return asyncio.create_task(requests.call(payload, link, within, patience=2))  # type: ignore[arg-type]


async def test_a_shed_subscribe_is_resent_on_the_same_link_under_a_new_id() -> None:
    link, requests = ScriptedLink(), requests_for()
    answer = subscribe(link, requests)
    first = await link.next_send()
    # When the gateway says an invocation on this link could not run
    requests.on_frame(link, GATEWAY_FAILURE)  # type: ignore[arg-type]
    # Then the subscribe goes out again on the same link, at once, under another id
    second = await link.next_send()
    assert second["action"] == "subscribe" and second["id"] != first["id"]
    # and a late answer to the first send is ignored; the second one's completes it
    requests.on_frame(link, error(first["id"], "internal"))  # type: ignore[arg-type]
    requests.on_frame(link, subscribe_ack(second["id"]))  # type: ignore[arg-type]
    ack = await answer
    assert (ack.id, ack.rev) == (second["id"], 7)
    assert requests.resends == 1


@pytest.mark.parametrize("code", ["busy", "internal"])
async def test_a_refused_subscribe_is_resent_on_its_link_not_failed(code: str) -> None:
    link, requests = ScriptedLink(), requests_for()
    answer = subscribe(link, requests)
    first = await link.next_send()
    requests.on_frame(link, error(first["id"], code, retry_after_ms=50))  # type: ignore[arg-type]
    second = await link.next_send()
    assert second["id"] != first["id"]
    requests.on_frame(link, subscribe_ack(second["id"]))  # type: ignore[arg-type]
    assert (await answer).rev == 7


async def test_refusals_past_the_patience_fail_with_the_last_refusal() -> None:
    link, requests = ScriptedLink(), requests_for()
    answer = subscribe(link, requests)
    for _ in range(3):  # the send and the two resends its patience allows
        sent = await link.next_send()
        requests.on_frame(link, error(sent["id"], "busy"))  # type: ignore[arg-type]
    with pytest.raises(ServerError) as refused:
        await answer
    assert refused.value.code == "busy"
    assert len(link.sent) == 3


async def test_an_empty_retry_budget_waits_instead_of_resending() -> None:
    link, requests = ScriptedLink(), requests_for(RetryQuota(capacity=0))
    answer = subscribe(link, requests, within=0.1)
    await link.next_send()
    requests.on_frame(link, GATEWAY_FAILURE)  # type: ignore[arg-type]
    with pytest.raises(RequestTimeout):
        await answer
    assert len(link.sent) == 1 and requests.budget.refused >= 1


async def test_a_silent_link_still_fails_the_subscribe_after_one_period() -> None:
    link, requests = ScriptedLink(), requests_for()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RequestTimeout):
        await subscribe(link, requests, within=0.1)
    # nothing was heard (no frame, no WebSocket pong): no patience, no resend
    assert loop.time() - started < 0.3 and len(link.sent) == 1
