"""Abuse limits under moto (issue #15 §4): per subject as well as per connection, refused
and malformed messages counted, a connection refused too often closed, subscriptions
capped and tied to the roster."""

from __future__ import annotations

import pytest

from mediaday.factories import reset_all
from tests.integration.messaging.conftest import Client, seed_connection


@pytest.fixture
def limits(monkeypatch):
    """Set abuse limits (settings names without the MEDIADAY_ prefix) for this test."""

    def apply(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"MEDIADAY_{name.upper()}", str(value))
        reset_all()

    yield apply
    reset_all()


def _counted(client: Client) -> dict:
    """A cheap request that counts against the limits (a ping, the heartbeat, does not)."""
    return client.request("unsubscribe", topics=["calls"])


def test_a_second_connection_with_the_same_token_shares_its_subjects_budget(
    roster, connection_store, poster, limits
):
    # Given a per-connection limit of 100 and a per-subject limit of 4 a minute
    limits(rate_limit_per_minute=100, rate_limit_per_subject_per_minute=4)
    seed_connection(connection_store, "producer", connection_id="c-a")
    seed_connection(connection_store, "producer", connection_id="c-b")  # same subject
    first, second = Client("c-a", poster), Client("c-b", poster)
    # When each connection sends 2 messages, then the second sends one more
    answers = [_counted(client)["type"] for client in (first, first, second, second)]
    over = _counted(second)
    # Then the fifth message of the subject is refused, although each socket sent little
    assert answers == ["ack"] * 4
    assert over["code"] == "rate_limited" and "subject" in over["message"]


def test_malformed_messages_count_against_the_rate_limit(roster, clients, limits):
    # Given a per-connection limit of 3 a minute
    limits(rate_limit_per_minute=3)
    producer = clients["producer"]
    # When 3 malformed frames arrive, then a valid request
    codes = [producer.send(raw=raw)["code"] for raw in ("{", "[]", '{"action": 7}')]
    valid = _counted(producer)
    # Then the valid request is over the limit: the garbage was not free
    assert codes == ["invalid", "invalid", "unknown_action"]
    assert valid["code"] == "rate_limited"


def test_refused_writes_count_against_the_rate_limit(roster, clients, limits):
    limits(rate_limit_per_minute=2)
    kiosk = clients["kiosk"]
    refused = [kiosk.request("slot.delete", slot_id="sl-1", version=1)["code"] for _ in range(2)]
    assert refused == ["forbidden", "forbidden"]
    assert _counted(kiosk)["code"] == "rate_limited"


def test_a_connection_refused_n_times_in_a_minute_is_told_why_closed_and_forgotten(
    roster, clients, poster, connection_store, limits
):
    # Given a close after 5 refusals a minute
    limits(refusals_before_close=5)
    crew = clients["crew"]
    # When the crew sends 4 malformed frames and one forbidden write
    for _ in range(4):
        assert crew.send(raw="not json")["code"] == "invalid"
    last = crew.request("station.put", station={"id": "st-7", "name": "x", "kind": "podcast"})
    # Then the fifth refusal says the connection is closed, the client is sent that frame
    # before the socket is deleted, and the connection's rows are gone
    assert last["code"] == "forbidden" and "connection is closed" in last["message"]
    assert poster.frames("c-crew")[-1]["message"] == last["message"]
    assert "c-crew" in poster.gone  # DELETE @connections
    assert connection_store.get("c-crew") is None
    # And a socket that lingers is refused from its next message on
    assert crew.request("ping")["code"] == "unauthorized"


def test_conflicts_and_missing_items_are_not_counted_as_abuse(
    roster, clients, poster, connection_store, limits
):
    limits(refusals_before_close=2)
    producer = clients["producer"]
    for _ in range(3):
        assert producer.request("slot.delete", slot_id="sl-1", version=9)["code"] == "conflict"
        assert producer.request("slot.delete", slot_id="sl-404", version=1)["code"] == ("not_found")
    assert "c-producer" not in poster.gone
    assert connection_store.get("c-producer") is not None


def test_station_topics_are_accepted_only_for_stations_on_the_roster(
    roster, clients, connection_store
):
    kiosk = clients["kiosk"]
    made_up = kiosk.request("subscribe", topics=["station:st-1", "shots:st-404"])
    assert made_up["code"] == "not_found" and "st-404" in made_up["message"]
    assert connection_store.topics_of("c-kiosk") == []  # nothing written, not even st-1
    ok = kiosk.request("subscribe", topics=["station:st-1", "shots:st-2"])
    assert ok["type"] == "ack"
    assert sorted(connection_store.topics_of("c-kiosk")) == ["shots:st-2", "station:st-1"]


def test_a_connection_holds_at_most_the_configured_number_of_topics(
    roster, clients, connection_store, limits
):
    # Given a cap of 3 topics per connection, and a kiosk holding 2
    limits(max_subscriptions_per_connection=3)
    kiosk = clients["kiosk"]
    assert kiosk.request("subscribe", topics=["schedule", "calls"])["type"] == "ack"
    # When it asks for 2 more (one of them already held)
    over = kiosk.request("subscribe", topics=["calls", "roster", "station:st-1"])
    # Then it is refused and nothing is added; one more within the cap is accepted
    assert over["code"] == "invalid" and "at most 3 topics" in over["message"]
    assert sorted(connection_store.topics_of("c-kiosk")) == ["calls", "schedule"]
    assert kiosk.request("subscribe", topics=["calls", "roster"])["type"] == "ack"
    assert len(connection_store.topics_of("c-kiosk")) == 3
