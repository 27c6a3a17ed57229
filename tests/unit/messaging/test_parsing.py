"""Reading a message: every kind of bad input gets a stable code and a short message."""

from __future__ import annotations

import base64
import json

import pytest

from mediaday.errors import InvalidRequest, MessageTooLarge, UnknownAction
from mediaday.protocol import ShotSetStatus, SlotCreate
from messaging.parsing import decode_body, readable_id, validate_request

SLOT = {
    "station_id": "st-1",
    "talent_id": "t-1",
    "starts_at": "2026-11-25T14:00:00Z",
    "ends_at": "2026-11-25T14:10:00+00:00",
}


def read(body: str):
    return validate_request(decode_body(body))


def refusal(body: str) -> tuple[str, str]:
    with pytest.raises((InvalidRequest, UnknownAction, MessageTooLarge)) as raised:
        read(body)
    return raised.value.code, raised.value.message


def test_a_valid_message_becomes_its_typed_request():
    request = read(json.dumps({"action": "slot.create", "id": "r-1", "slot": SLOT}))
    assert isinstance(request, SlotCreate)
    assert request.slot.starts_at.isoformat() == "2026-11-25T14:00:00+00:00"


def test_enum_values_are_read_from_their_json_strings():
    body = {"action": "shot.set_status", "id": "r", "shot_id": "s", "version": 1}
    request = read(json.dumps({**body, "status": "captured"}))
    assert isinstance(request, ShotSetStatus)
    assert request.status.value == "captured"


@pytest.mark.parametrize(
    "body,message",
    [
        ("{", "not valid JSON"),
        ("", "empty message"),
        ('{"action": "ping", "id": NaN}', "not valid JSON"),
        ("[" * 5000, "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"ping"', "must be a JSON object"),
    ],
)
def test_malformed_json_is_invalid(body, message):
    code, text = refusal(body)
    assert code == "invalid"
    assert message in text


@pytest.mark.parametrize(
    "body,message",
    [
        ({"id": "r"}, "message has no `action`"),
        ({"action": None, "id": "r"}, "message has no `action`"),
        ({"action": "slot.explode", "id": "r"}, "unknown action 'slot.explode'"),
        ({"action": 7, "id": "r"}, "unknown action 7"),
        ({"action": "x" * 500, "id": "r"}, "unknown action 'xxxxxxxxx"),
    ],
)
def test_missing_or_unknown_action_is_unknown_action(body, message):
    code, text = refusal(json.dumps(body))
    assert code == "unknown_action"
    assert text.startswith(message)
    assert len(text) < 120


@pytest.mark.parametrize(
    "body,expected",
    [
        # wrong types: strict, no coercion
        (
            {"action": "slot.delete", "id": "r", "slot_id": "s", "version": "3"},
            "`version`: input should be a valid integer",
        ),
        (
            {"action": "slot.delete", "id": "r", "slot_id": "s", "version": True},
            "`version`: input should be a valid integer",
        ),
        (
            {"action": "slot.delete", "id": "r", "slot_id": "s", "version": 0},
            "`version`: input should be greater than or equal to 1",
        ),
        # unknown fields, at the top and nested
        ({"action": "ping", "id": "r", "extra": 1}, "unknown field `extra`"),
        (
            {"action": "slot.create", "id": "r", "slot": {**SLOT, "colour": "red"}},
            "unknown field `slot.colour`",
        ),
        # missing fields
        ({"action": "ping"}, "`id` is required"),
        ({"action": "call.ack", "id": "r", "call_id": "c", "version": 1}, "`state` is required"),
        # bad ids: too long, separators, control characters
        (
            {"action": "slot.delete", "id": "r", "slot_id": "s#1", "version": 1},
            "`slot_id` must be 1-64 letters, digits",
        ),
        (
            {"action": "slot.delete", "id": "r", "slot_id": "s" * 65, "version": 1},
            "`slot_id` must be 1-64 letters, digits",
        ),
        ({"action": "ping", "id": "r" * 65}, "`id`: string should have at most 64 characters"),
        ({"action": "ping", "id": "a\u0001b"}, "`id` must be printable ASCII without spaces"),
        (
            {"action": "slot.create", "id": "r", "slot": {**SLOT, "title": "Hi\nthere"}},
            "`slot.title` must not contain control characters",
        ),
        # time zones and enum values
        (
            {"action": "slot.create", "id": "r", "slot": {**SLOT, "ends_at": "2026-11-25T14:10"}},
            "`slot.ends_at`: input should have timezone info",
        ),
        (
            {"action": "call.ack", "id": "r", "call_id": "c", "version": 1, "state": "cancelled"},
            "`state`: input should be 'en-route', 'arrived' or 'done'",
        ),
        ({"action": "subscribe", "id": "r", "topics": []}, "`topics`: list should have at least"),
        ({"action": "subscribe", "id": "r", "topics": [5]}, "`topics[0]`: input should be"),
    ],
)
def test_bad_fields_are_invalid_with_a_message_naming_the_field(body, expected):
    code, message = refusal(json.dumps(body))
    assert code == "invalid"
    assert message.startswith(expected), message


def test_several_problems_are_counted_not_dumped():
    body = {"action": "slot.create", "id": "r", "slot": {"title": 5, "x": 1}}
    code, message = refusal(json.dumps(body))
    assert code == "invalid"
    assert "more problems" in message
    assert "pydantic" not in message and "errors.pydantic.dev" not in message


def test_client_chosen_field_names_are_shown_short_and_printable():
    weird = "\u202e" + "k" * 500
    code, message = refusal(json.dumps({"action": "ping", "id": "r", weird: 1}))
    assert code == "invalid"
    assert len(message) < 100
    assert message.isascii()


def test_a_body_over_128_kb_is_too_large_before_any_parsing():
    # Not even valid JSON: the size is checked first.
    code, message = refusal("{" + " " * (128 * 1024))
    assert code == "too_large"
    assert "128 KB" in message


def test_a_body_of_exactly_128_kb_is_parsed():
    body = json.dumps({"action": "ping", "id": "r"})
    body = body[:-1] + " " * (128 * 1024 - len(body)) + "}"
    assert len(body.encode()) == 128 * 1024
    assert read(body).action == "ping"


def test_multibyte_characters_count_as_bytes_toward_the_limit():
    body = json.dumps({"action": "ping", "id": "r", "pad": "é" * 70_000}, ensure_ascii=False)
    assert len(body) < 128 * 1024 < len(body.encode())
    assert refusal(body)[0] == "too_large"


def test_lone_surrogates_are_invalid_json_not_a_crash():
    assert refusal('{"action": "ping", "id": "r", "x": "\\ud800"}')[0] == "invalid"
    assert refusal('{"action": "ping", "id": "r", "x": "\ud800"}')[0] == "invalid"


def test_binary_frames_carrying_utf8_json_are_read():
    body = base64.b64encode(b'{"action": "ping", "id": "r"}').decode()
    assert validate_request(decode_body(body, base64_encoded=True)).action == "ping"
    with pytest.raises(InvalidRequest):
        decode_body("not base64!!", base64_encoded=True)


@pytest.mark.parametrize(
    "data,expected",
    [
        ({"id": "abc-1"}, "abc-1"),
        ({"id": "a b"}, None),
        ({"id": "x" * 65}, None),
        ({"id": 5}, None),
        (["id"], None),
        ("id", None),
    ],
)
def test_only_a_well_formed_request_id_is_echoed(data, expected):
    assert readable_id(data) == expected
