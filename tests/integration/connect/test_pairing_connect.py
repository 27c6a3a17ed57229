"""`$connect ?pair`: a screen without a token is admitted as a pending device, within the
per-source rate and the cap of waiting screens (429 past either, nothing recorded)."""

from __future__ import annotations

import time

import pytest

from connect.handler import on_connect
from infra.local.events import LambdaContext
from mediaday.factories import reset_all
from mediaday.pairing import PairingStore
from tests.conftest import CONNECTIONS_TABLE
from tests.support.events import connect_event

CONTEXT = LambdaContext("test-function")


@pytest.fixture
def pairing(dynamodb) -> PairingStore:
    return PairingStore(CONNECTIONS_TABLE, dynamodb)


def _pair(connection_id: str, headers: dict[str, str] | None = None) -> int:
    event = connect_event(connection_id, query={"pair": ""}, headers=headers)
    return int(on_connect(event, CONTEXT)["statusCode"])


@pytest.fixture
def limits(monkeypatch):
    def apply(**settings: int) -> None:
        for name, value in settings.items():
            monkeypatch.setenv(f"MEDIADAY_PAIRING_{name.upper()}", str(value))
        reset_all()

    yield apply
    reset_all()


def test_a_screen_without_a_token_is_admitted_as_pending_and_nothing_else(
    pairing, connection_store
):
    assert _pair("c-tv") == 200
    device = pairing.device("c-tv")
    assert device is not None and device.source_ip == "203.0.113.7" and device.code is None
    assert connection_store.get("c-tv") is None  # no connection: it can act on nothing


def test_without_the_pairing_flag_a_missing_token_is_still_401(pairing, key_file):
    assert on_connect(connect_event("c-tv"), CONTEXT)["statusCode"] == 401
    assert pairing.device("c-tv") is None


def test_a_flood_of_pairing_connects_from_one_source_is_refused_429(pairing, limits):
    limits(connects_per_source_per_minute=3)
    statuses = [_pair(f"c-{n}") for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert pairing.device("c-3") is None and pairing.device("c-4") is None
    # Another source's budget is its own
    assert pairing.count_source("198.51.100.9", "connects", now=time.time()) == 1


def test_no_more_screens_wait_than_the_cap(pairing, limits):
    limits(max_pending=2)
    assert [_pair(f"c-{n}") for n in range(3)] == [200, 200, 429]
    assert len(pairing.devices(now=time.time())) == 2


def test_a_page_from_a_foreign_origin_is_refused_403(pairing, monkeypatch):
    monkeypatch.setenv("MEDIADAY_ALLOWED_ORIGINS", '["https://screens.example"]')
    reset_all()
    assert _pair("c-tv", headers={"Origin": "https://evil.example"}) == 403
    assert pairing.device("c-tv") is None
    reset_all()
