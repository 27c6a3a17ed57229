"""What the message fuzz tests generate and check: hypothesis strategies derived from the
protocol's request models (valid messages, invalidating mutations, random JSON and text)
and the check that an answer is a clean protocol frame. The tests are in test_fuzz.py."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, get_args

from hypothesis import strategies as st
from pydantic import BaseModel

from mediaday.protocol import ACTIONS, Ack, ErrorFrame, Pong, Request
from tests.integration.messaging.conftest import MESSAGES

ERROR_CODES = {
    "invalid",
    "unknown_action",
    "too_large",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "invalid_state",
    "rate_limited",
    "resync_required",
    "busy",
    "delivery_failed",
}
REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,64}$")

# -- what the protocol's models say ------------------------------------------------------
MODELS: dict[str, type[BaseModel]] = {
    model.model_fields["action"].annotation.__args__[0]: model
    for model in get_args(get_args(Request)[0])
}


def _nested_model(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    annotation = model.model_fields[key].annotation
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _required(model: type[BaseModel]) -> list[str]:
    return [name for name, field in model.model_fields.items() if field.is_required()]


KNOWN_FIELDS = {
    name
    for model in MODELS.values()
    for name in model.model_fields
    for name in [name, *(_nested_model(model, name) or BaseModel).model_fields]
}
ID_FIELDS = {"slot_id", "shot_id", "call_id", "station_id", "talent_id"}
TEXT_FIELDS = {"title", "description", "note", "name", "location", "team", "position"}
ENUM_FIELDS = {"status", "state", "kind"}
TIME_FIELDS = {"starts_at", "ends_at"}
NUMBER_FIELDS = {"version", "since"}


# -- strategies --------------------------------------------------------------------------
characters = st.characters() | st.characters(categories=["Cs"]) | st.sampled_from("\x00\x1f\x7f")
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(characters, max_size=30)
    | st.sampled_from([*ACTIONS, *KNOWN_FIELDS, "sl-1", "st-1", "t-1", "schedule", "calls"])
)
keys = st.sampled_from(sorted(KNOWN_FIELDS)) | st.text(characters, max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=10,
)
request_ids = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64
)
unknown_keys = st.text(characters, min_size=1, max_size=20).filter(lambda k: k not in KNOWN_FIELDS)
bad_ids = st.one_of(
    st.just(""),
    st.text(st.sampled_from("abc123"), min_size=65, max_size=80),
    st.tuples(st.text(max_size=5), st.sampled_from("#/: \t\n\x00\x7fé"), st.text(max_size=5)).map(
        "".join
    ),
    st.sampled_from(["-lead", ".lead", "_lead"]),
)
bad_request_ids = st.one_of(
    st.just(""),
    st.text(st.sampled_from("abc"), min_size=65, max_size=70),
    st.tuples(request_ids, st.sampled_from(" \t\n\x00é\u2028")).map("".join),
)
# 0 is a valid `since` (but not a valid `version`), so it is not among the bad numbers.
bad_numbers = st.sampled_from([-1, -(2**40), "1", "0", 1.5, True, False, [], {}])
bad_times = st.sampled_from(
    ["2026-11-25T14:00:00", "tomorrow", "", "2026-13-40T25:61:00Z", 1_795_000_000, [], {}]
)


def _dicts(message: dict[str, Any]) -> list[tuple[dict[str, Any], type[BaseModel]]]:
    """Every JSON object of a message with the model it is validated against."""
    model = MODELS[message["action"]]
    found = [(message, model)]
    for key, value in message.items():
        nested = _nested_model(model, key) if key in model.model_fields else None
        if nested is not None and isinstance(value, dict):
            found.append((value, nested))
    return found


def _keys_in(message: dict[str, Any], names: set[str]) -> list[tuple[dict[str, Any], str]]:
    return [(obj, key) for obj, _ in _dicts(message) for key in obj if key in names]


@st.composite
def invalid_messages(draw: st.DrawFn) -> tuple[str, str | None]:
    """A valid message with 1-3 mutations, each of which alone makes it invalid (none can
    undo another). Returns the body and the request id the answer must echo (or None)."""
    action = draw(st.sampled_from(ACTIONS))
    message: dict[str, Any] = {
        "action": action,
        "id": draw(request_ids),
        **copy.deepcopy(MESSAGES[action]),
    }
    action_valid = True
    for kind in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        if kind == "bad_action":
            message["action"] = draw(
                st.one_of(st.text(characters, max_size=20), json_values).filter(
                    lambda value: value not in ACTIONS
                )
            )
            action_valid = False
            continue
        if not action_valid or not _mutate(draw, message, kind):
            obj, _ = draw(st.sampled_from(_dicts(message) if action_valid else [(message, None)]))
            obj[draw(unknown_keys)] = draw(scalars)
    echoed = message.get("id") if isinstance(message.get("id"), str) else None
    echoed = echoed if echoed and REQUEST_ID.match(echoed) else None
    if _has_lone_surrogate(message):  # not valid UTF-8 JSON: nothing can be read from it
        echoed = None
    body = json.dumps(message, ensure_ascii=draw(st.booleans()))
    ending = draw(st.sampled_from(["as is", "as is", "as is", "truncate", "oversize", "array"]))
    if ending == "truncate":
        return body[: draw(st.integers(min_value=0, max_value=len(body) - 1))], None
    if ending == "oversize":
        padding = " " * (128 * 1024 + 1 - len(body.encode("utf-8", "surrogatepass")))
        return body[:-1] + padding + "}", None
    if ending == "array":
        return f"[{body}]", None
    return body, echoed


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


MUTATIONS = [
    "unknown_field",
    "retype",
    "drop_required",
    "bad_id",
    "bad_request_id",
    "bad_number",
    "bad_enum",
    "bad_time",
    "control_text",
    "bad_action",
]


def _mutate(draw: st.DrawFn, message: dict[str, Any], kind: str) -> bool:
    """Apply one invalidating mutation; False when this message has nothing to apply it to."""
    if kind == "unknown_field":
        obj, _ = draw(st.sampled_from(_dicts(message)))
        obj[draw(unknown_keys)] = draw(scalars)
        return True
    if kind == "retype":  # an object where a scalar or list goes, a list where an object goes
        obj, _ = draw(st.sampled_from(_dicts(message)))
        key = draw(st.sampled_from(sorted(k for k in obj if k != "action") or ["id"]))
        obj[key] = [draw(json_values)] if isinstance(obj.get(key), dict) else {"x": 1}
        return True
    if kind == "drop_required":
        choices = [(obj, key) for obj, model in _dicts(message) for key in _required(model)]
        choices = [(obj, key) for obj, key in choices if key in obj and key != "action"]
        if not choices:
            return False
        obj, key = draw(st.sampled_from(choices))
        del obj[key]
        return True
    if kind == "bad_request_id":
        message["id"] = draw(bad_request_ids)
        return True
    targets = {
        "bad_id": ID_FIELDS,
        "bad_number": NUMBER_FIELDS,
        "bad_enum": ENUM_FIELDS,
        "bad_time": TIME_FIELDS,
        "control_text": TEXT_FIELDS,
    }[kind]
    choices = _keys_in(message, targets)
    if kind == "bad_id":  # the item's own id inside slot / shot / call / station / talent
        choices += [(obj, "id") for obj, _ in _dicts(message)[1:] if "id" in obj]
    if not choices:
        return False
    obj, key = draw(st.sampled_from(choices))
    if kind == "bad_id":
        obj[key] = draw(bad_ids)
    elif kind == "bad_number":
        obj[key] = draw(bad_numbers)
    elif kind == "bad_enum":
        obj[key] = draw(
            st.text(max_size=12).filter(
                lambda v: (
                    v
                    not in {
                        "pending",
                        "captured",
                        "skipped",
                        "en-route",
                        "arrived",
                        "done",
                        "interview",
                        "photo",
                        "video",
                        "podcast",
                        "other",
                    }
                )
            )
        )
    elif kind == "bad_time":
        obj[key] = draw(bad_times)
    else:
        obj[key] = draw(st.sampled_from(["a\x00b", "line\nbreak", "tab\there", "\x1b[31m", "\x7f"]))
    return True


random_bodies = st.one_of(
    json_values.map(json.dumps),
    # objects that look like requests: a real or random action, known and random fields
    st.builds(
        lambda action, request_id, fields: {"action": action, "id": request_id, **fields},
        st.sampled_from(ACTIONS) | st.text(max_size=12),
        request_ids | scalars,
        st.dictionaries(keys, json_values, max_size=5),
    ).map(lambda message: json.dumps(message, ensure_ascii=False)),
    st.text(characters, max_size=200),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
)


@st.composite
def anything(draw: st.DrawFn) -> str:
    """Random, mutated, garbled, or valid (reads and writes alike)."""
    kind = draw(st.sampled_from(["random", "mutated", "garbled", "valid", "valid"]))
    if kind == "random":
        return draw(random_bodies)
    if kind == "mutated":
        return draw(invalid_messages())[0]
    action = draw(st.sampled_from(ACTIONS))
    fields = copy.deepcopy(MESSAGES[action])
    if action in {"subscribe", "unsubscribe"}:
        fields["topics"] = draw(
            st.lists(
                st.sampled_from(["roster", "schedule", "calls", "station:st-1", "shots:st-2"]),
                min_size=1,
                max_size=4,
            )
        )
    if action == "sync":
        fields["since"] = draw(st.integers(min_value=0, max_value=40))
    body = json.dumps({"action": action, "id": draw(request_ids), **fields})
    if kind == "garbled":
        at = draw(st.integers(min_value=0, max_value=len(body)))
        body = body[:at] + draw(st.text(characters, min_size=1, max_size=5)) + body[at:]
    return body


# -- checks ------------------------------------------------------------------------------
# Words that only an internal leak (a stack trace, a library's own error text) would put
# in a message: unless the client sent them itself, which an echoed action name may carry.
LEAK_WORDS = ("Traceback", "pydantic")


def well_formed(frame: dict[str, Any], body: str = "") -> None:
    """The answer is one of the protocol's frames, and an error is a clean one."""
    kind = frame["type"]
    if kind == "error":
        ErrorFrame.model_validate(frame)
        assert frame["code"] in ERROR_CODES, frame
        assert 0 < len(frame["message"]) <= 300
        leaked = [w for w in LEAK_WORDS if w in frame["message"] and w not in body]
        assert not leaked, (leaked, frame)
        assert frame.get("id") is None or REQUEST_ID.match(frame["id"])
    elif kind == "ack":
        Ack.model_validate(frame)
    else:
        assert kind == "pong", frame
        Pong.model_validate(frame)
