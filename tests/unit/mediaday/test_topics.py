from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mediaday.models import Call, Shot, Slot, Station
from mediaday.topics import TOPIC_HELP, UnknownTopic, parse_topic, topic_specs, topics_of

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
SLOT = Slot(
    media_day="m",
    id="s",
    station_id="st-1",
    talent_id="t",
    starts_at=START,
    ends_at=START + timedelta(minutes=5),
)
SHOT = Shot(media_day="m", id="h", station_id="st-1", talent_id="t", description="Wide")
CALL = Call(media_day="m", id="c", station_id="st-2", talent_id="t")
STATION = Station(media_day="m", id="st-1", name="Room")


@pytest.mark.parametrize(
    "item,expected",
    [
        (SLOT, {"schedule", "station:st-1"}),
        (SHOT, {"shots:st-1"}),
        (CALL, {"calls", "station:st-2"}),
        (STATION, {"roster"}),
    ],
)
def test_each_item_reaches_exactly_its_topics(item, expected):
    assert topics_of(item) == expected


def test_every_topic_of_an_item_holds_that_item():
    for item in (SLOT, SHOT, CALL, STATION):
        for name in topics_of(item):
            spec = parse_topic(name)
            assert spec is not None and spec.holds(item)


def test_station_topic_holds_only_its_station():
    spec = parse_topic("station:st-9")
    assert spec is not None and not spec.holds(SLOT)


@pytest.mark.parametrize(
    "name", ["", "nope", "station:", "station:a b", "shots:x#y", "calls:st-1", "station:st-1:x"]
)
def test_unknown_topic_names_parse_to_none(name):
    assert parse_topic(name) is None


def test_the_topic_help_names_every_kind_of_topic():
    for name in ("roster", "schedule", "calls", "station:<id>", "shots:<id>"):
        assert name in TOPIC_HELP


def test_topic_specs_keep_order_drop_duplicates_and_refuse_a_non_topic():
    specs = topic_specs(["calls", "station:st-1", "calls"])
    assert [spec.name for spec in specs] == ["calls", "station:st-1"]
    with pytest.raises(UnknownTopic, match="not a topic: 'weather'") as refused:
        topic_specs(["calls", "weather"])
    assert isinstance(refused.value, ValueError) and refused.value.name == "weather"
    assert TOPIC_HELP in str(refused.value)
