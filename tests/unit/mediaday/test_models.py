from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from mediaday.models import (
    Call,
    CallState,
    Shot,
    Slot,
    Station,
    item_from_dynamo,
    item_to_dynamo,
    parse_item,
)

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def slot(**overrides):
    fields = {
        "media_day": "md-1",
        "id": "sl-1",
        "station_id": "st-1",
        "talent_id": "t-12",
        "starts_at": START,
        "ends_at": START + timedelta(minutes=10),
    }
    fields.update(overrides)
    return Slot(**fields)


@pytest.mark.parametrize(
    "item",
    [
        slot(version=3, rev=17, title="Pre-game"),
        Shot(media_day="md-1", id="sh-1", station_id="st-1", talent_id="t-1", description="Wide"),
        Call(
            media_day="md-1",
            id="c-1",
            talent_id="t-1",
            station_id="st-2",
            note="now",
            state=CallState.EN_ROUTE,
        ),
        Station(media_day="md-1", id="st-1", name="Room 1", deleted=True, version=4),
    ],
)
def test_items_round_trip_through_dynamodb(item):
    row = item_to_dynamo(item)
    assert row["pk"] == {"S": "md#md-1"}
    assert row["sk"] == {"S": f"{item.type}#{item.id}"}
    assert item_from_dynamo(row) == item


def test_tombstone_row_carries_its_ttl_and_still_parses():
    row = item_to_dynamo(slot(deleted=True), expires_at=1_900_000_000)
    assert row["expires_at"] == {"N": "1900000000"}
    assert item_from_dynamo(row).deleted


def test_rows_that_are_not_items_parse_to_none():
    assert (
        item_from_dynamo({"pk": {"S": "md#x"}, "sk": {"S": "~rev"}, "counter": {"N": "4"}}) is None
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "has space"},
        {"id": "x" * 65},
        {"id": "a#b"},
        {"station_id": "st\n1"},
        {"title": "bell\x07"},
        {"title": "x" * 201},
        {"ends_at": START},
        {"ends_at": START + timedelta(hours=13)},
        {"starts_at": datetime(2026, 11, 25, 14, 0)},  # naive
        {"version": -1},
        {"unknown": 1},
    ],
)
def test_invalid_fields_are_refused(bad):
    with pytest.raises(ValidationError):
        slot(**bad)


def test_parse_item_dispatches_on_type():
    plain = {
        "type": "station",
        "media_day": "md-1",
        "id": "st-9",
        "name": "Podcast",
        "kind": "podcast",
    }
    assert isinstance(parse_item(plain), Station)
    with pytest.raises(ValidationError):
        parse_item({**plain, "type": "spaceship"})
