from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from mediaday.models import (
    ITEM_TYPES,
    Call,
    CallState,
    Notice,
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
        # its `expires_at` shares its name with the table's TTL attribute
        Notice(media_day="md-1", id="n-1", text="Lunch", expires_at=START, stations=["st-2"]),
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


# -- text that cannot spoof a screen (issue #15) ------------------------------------------
MINIMAL = {
    "day": {"name": "Media Day"},
    "station": {"name": "Room 1"},
    "talent": {"name": "Zoë"},
    "slot": {
        "station_id": "st-1",
        "talent_id": "t-1",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(minutes=10)).isoformat(),
    },
    "shot": {"station_id": "st-1", "talent_id": "t-1", "description": "Wide"},
    "call": {"station_id": "st-1", "talent_id": "t-1"},
    "notice": {"text": "Lunch in 10 minutes"},
}
SPOOFERS = {
    "\x85": "U+0085",  # C1 control (NEL)
    "\x1b": "U+001B",  # escape: terminal colours on a CLI dashboard
    "\n": "U+000A",  # no text field is multi-line
    "\t": "U+0009",
    "\u202e": "U+202E",  # right-to-left override: "gpj.exe" shows as "exe.jpg"
    "\u2066": "U+2066",  # left-to-right isolate
    "\u200b": "U+200B",  # zero-width space
    "\u200d": "U+200D",  # zero-width joiner
    "\ufeff": "U+FEFF",  # byte order mark
    "\u2028": "U+2028",  # line separator (Zl): a line break JavaScript renders
    "\u2029": "U+2029",  # paragraph separator (Zp)
    "\U000e0041": "U+E0041",  # tag character: invisible
}


def text_fields() -> list[tuple[str, str]]:
    """Every str field of every item type (ids included: they refuse by their pattern)."""
    return [
        (item_type, name)
        for item_type, model in ITEM_TYPES.items()
        for name, field in model.model_fields.items()
        if field.annotation in (str, str | None) and name != "type"
    ]


@pytest.mark.parametrize("item_type,field", text_fields())
@pytest.mark.parametrize("character,code_point", SPOOFERS.items())
def test_every_text_field_refuses_control_and_format_characters(
    item_type, field, character, code_point
):
    plain = {"type": item_type, "media_day": "md-1", "id": "x-1", **MINIMAL[item_type]}
    plain[field] = f"ok{character}ok"
    with pytest.raises(ValidationError) as refused:
        parse_item(plain)
    if field not in {"media_day", "id", "station_id", "talent_id"}:  # ids: their own rule
        (problem,) = refused.value.errors(include_input=False)
        assert (
            problem["msg"] == f"must not contain control characters ({code_point} is not allowed)"
        )


@pytest.mark.parametrize(
    "text",
    [
        "Zoë Ünal",
        "Ørsted \u2013 10",
        "東京 ドーム",
        "محمد",
        "שלום",
        "Straße 😀",
        "O'Neil & co. <b>",
    ],
)
def test_text_in_any_script_and_emoji_is_accepted(text):
    call = parse_item({"type": "call", "media_day": "md-1", "id": "c-1", **MINIMAL["call"]})
    assert Call.model_validate({**call.model_dump(), "note": text}).note == text
    assert Station(media_day="md-1", id="st-1", name=text).name == text


def test_every_item_type_has_minimal_fields_in_this_test():
    assert set(MINIMAL) == set(ITEM_TYPES)
