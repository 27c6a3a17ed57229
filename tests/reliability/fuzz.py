"""Hostile frames, generated from a seed: what a broken or malicious client sends.

Every frame is bad by construction, whoever sends it: not JSON, not an object, no or an
unknown action, wrong types, unknown fields, ids and topics outside their patterns,
numbers out of range, NaN, lone surrogates, deep nesting, binary garbage. Read-only and
crew connections also send well-formed writes their role may not make (`forbidden`) and
writes of items that do not exist (`not_found`). Nothing here can be a write the service
would apply; a few frames are too big on purpose, and binary frames are refused (the
gateway closes the connection: 1009, and 1003 for binary, as API Gateway does).
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mediaday.protocol import ACTIONS, READ_ACTIONS
from messaging.authorization import CREW_WRITES

# What each kind of frame must be answered with (an error frame's code), or how the gateway
# must end the connection (close code).
INVALID = frozenset({"invalid", "unknown_action", "too_large"})
REFUSED = frozenset({"forbidden", "not_found", "rate_limited"})
# well formed after all (an empty `changes`, a huge version): refused, about a ghost item
INVALID_OR_REFUSED = INVALID | REFUSED
KNOWN_CODES = INVALID | REFUSED | {"conflict", "invalid_state", "unauthorized"}

_WRITES = tuple(action for action in ACTIONS if action not in READ_ACTIONS)


@dataclass(frozen=True)
class Fuzzed:
    kind: str
    data: str | bytes | list[str]  # a list: one message sent as several frames
    request_id: str | None  # the id an error answer will echo, if it is readable
    expect: frozenset[str] | None  # acceptable error codes; None: the gateway closes


class HostileFrames:
    def __init__(self, rng: random.Random, role: str, station: str | None = None) -> None:
        self.rng = rng
        self.role = role
        self.station = station
        self._serial = 0
        makers: list[tuple[Callable[[], Fuzzed], int]] = [
            (self.garbage_text, 8),
            (self.truncated_json, 8),
            (self.not_an_object, 6),
            (self.no_action, 6),
            (self.unknown_action, 8),
            (self.wrong_types, 14),
            (self.unknown_fields, 8),
            (self.bad_ids, 10),
            (self.bad_topics, 6),
            (self.out_of_range, 8),
            (self.non_finite_numbers, 4),
            (self.lone_surrogates, 4),
            (self.deep_nesting, 2),
            (self.binary_garbage, 3),
            (self.huge_text_field, 3),
        ]
        if role in ("kiosk", "crew"):
            makers += [(self.forbidden_write, 10), (self.write_of_nothing, 6)]
        self._makers = [m for m, _ in makers]
        self._weights = [w for _, w in makers]

    def frames(self, count: int, *, oversize_every: int = 0) -> Iterator[Fuzzed]:
        """`count` frames; every `oversize_every`-th one is too big (the gateway closes)."""
        for n in range(1, count + 1):
            if oversize_every and n % oversize_every == 0:
                yield self.oversized()
            else:
                yield self.rng.choices(self._makers, self._weights)[0]()

    # -- helpers ---------------------------------------------------------------------------
    def _id(self) -> str:
        self._serial += 1
        return f"fz{self._serial}-{self.rng.randrange(10**9)}"

    def _text(self, length: int) -> str:
        alphabet = string.printable + "\x00\x01\x1b\x7f\u00e9\u2028\u202e\U0001f600"
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def _json(self, kind: str, body: dict[str, object], expect: frozenset[str]) -> Fuzzed:
        request_id = body.get("id")
        readable = request_id if isinstance(request_id, str) and _readable(request_id) else None
        return Fuzzed(kind, json.dumps(body), readable, expect)

    def _valid_shape(self, action: str) -> dict[str, object]:
        """A well-formed body of `action` about items that do not exist."""
        ghost = f"zz-{self.rng.randrange(10**9)}"
        station = self.station or "st-1"
        slot = {
            "station_id": station,
            "talent_id": "t-1",
            "starts_at": "2026-11-25T09:00:00Z",
            "ends_at": "2026-11-25T09:10:00Z",
        }
        bodies: dict[str, dict[str, object]] = {
            "slot.create": {"slot": slot},
            "slot.update": {"slot_id": ghost, "version": 1, "changes": {"title": "x"}},
            "slot.move": {"slot_id": ghost, "version": 1, "station_id": station},
            "slot.delete": {"slot_id": ghost, "version": 1},
            "shot.add": {"shot": {"station_id": station, "talent_id": "t-1", "description": "x"}},
            "shot.update": {"shot_id": ghost, "version": 1, "changes": {"description": "x"}},
            "shot.set_status": {"shot_id": ghost, "version": 1, "status": "captured"},
            "shot.delete": {"shot_id": ghost, "version": 1},
            "call.push": {"call": {"talent_id": "t-1", "station_id": station}},
            "call.ack": {"call_id": ghost, "version": 1, "state": "arrived"},
            "call.cancel": {"call_id": ghost, "version": 1},
            "station.put": {"station": {"id": ghost, "name": "x"}},
            "talent.put": {"talent": {"id": ghost, "name": "x"}},
            "schedule.shift": {"station_id": ghost, "minutes": 10},
            "slot.arrive": {"slot_id": ghost, "version": 1},
            "slot.done": {"slot_id": ghost, "version": 1},
            "notice.post": {"notice": {"text": "x", "stations": [ghost]}},
            "notice.update": {"notice_id": ghost, "version": 1, "changes": {"text": "x"}},
            "notice.clear": {"notice_id": ghost, "version": 1},
            "batch": {
                "writes": [{"action": "slot.delete", "id": "w1", "slot_id": ghost, "version": 1}]
            },
            "device.label": {"connection_id": ghost, "label": "x"},
            "device.identify": {"connection_id": ghost},
            "device.redirect": {"connection_id": ghost},
            "revoke": {"connection_id": ghost},
            "pair.start": {},
            "pair.watch": {},
            "pair.approve": {"code": "KMNPQR", "role": "kiosk"},
            "pair.reject": {"code": "KMNPQR"},
            "subscribe": {"topics": ["schedule"]},
            "unsubscribe": {"topics": ["schedule"]},
            "sync": {"since": 0},
            "ping": {},
        }
        return {"action": action, "id": self._id(), **bodies[action]}

    # -- bad by construction ---------------------------------------------------------------
    def garbage_text(self) -> Fuzzed:
        text = self._text(self.rng.randrange(1, 300)).replace("{", "(")
        return Fuzzed("garbage", text or "x", None, INVALID)

    def truncated_json(self) -> Fuzzed:
        whole = json.dumps(self._valid_shape(self.rng.choice(_WRITES)))
        cut = self.rng.randrange(1, len(whole) - 1)
        return Fuzzed("truncated", whole[:cut], None, INVALID)

    def not_an_object(self) -> Fuzzed:
        value = self.rng.choice(
            [[], [1, 2], 42, -1.5, "ping", None, True, [{"action": "ping", "id": "x"}]]
        )
        return Fuzzed("not_object", json.dumps(value), None, INVALID)

    def no_action(self) -> Fuzzed:
        body = self._valid_shape(self.rng.choice(_WRITES))
        del body["action"]
        return self._json("no_action", body, INVALID)

    def unknown_action(self) -> Fuzzed:
        strange: list[object] = ["$connect", "$disconnect", "$default", "SLOT.CREATE", "", 7]
        action = self.rng.choice([*strange, None, "slot.create ", self._text(12)])
        body = {"action": action, "id": self._id()}
        return self._json("unknown_action", body, INVALID)

    def wrong_types(self) -> Fuzzed:
        # an action with fields to spoil (`pair.start` and `pair.watch` carry none)
        body = self._valid_shape(self.rng.choice([*_WRITES, "subscribe"]))
        while len(body) == 2:
            body = self._valid_shape(self.rng.choice([*_WRITES, "subscribe"]))
        field = self.rng.choice([k for k in body if k not in ("action", "id")])
        body[field] = self.rng.choice(["3", 3.5, True, [], {}, "", None, [1], {"$ne": 1}])
        return self._json("wrong_types", body, INVALID_OR_REFUSED)

    def unknown_fields(self) -> Fuzzed:
        body = self._valid_shape(self.rng.choice(_WRITES))
        body[self.rng.choice(["version2", "role", "station", "__proto__", "media_day"])] = "x"
        return self._json("unknown_fields", body, INVALID)

    def bad_ids(self) -> Fuzzed:
        action = self.rng.choice(["slot.update", "shot.update", "call.ack", "slot.delete"])
        body = self._valid_shape(action)
        field = next(k for k in body if k.endswith("_id"))
        body[field] = self.rng.choice(
            ["", "../st-1", "slot#sl-1", "a b", "x" * 65, "sl\x00", "-leading", "\u00e9t\u00e9"]
        )
        return self._json("bad_ids", body, INVALID)

    def bad_topics(self) -> Fuzzed:
        topics = self.rng.choice(
            [[], ["station:"], ["shots:../x"], ["x" * 81], ["a b"], ["schedule"] * 21, [7]]
        )
        body: dict[str, object] = {
            "action": self.rng.choice(["subscribe", "unsubscribe"]),
            "id": self._id(),
            "topics": topics,
        }
        return self._json("bad_topics", body, INVALID)

    def out_of_range(self) -> Fuzzed:
        action = self.rng.choice(["slot.update", "shot.set_status", "call.cancel", "sync"])
        body = self._valid_shape(action)
        if action == "sync":
            body["since"] = self.rng.choice([-1, -(2**63), "0", 0.5])
            return self._json("out_of_range", body, INVALID)
        body["version"] = self.rng.choice([0, -1, -(2**63), 2**64, 10**40])
        return self._json("out_of_range", body, INVALID_OR_REFUSED)

    def non_finite_numbers(self) -> Fuzzed:
        body = self._valid_shape("slot.update")
        text = json.dumps(body).replace(
            '"version": 1',
            '"version": ' + self.rng.choice(["NaN", "Infinity", "-Infinity", "1e999"]),
        )
        return Fuzzed("non_finite", text, str(body["id"]), INVALID)

    def lone_surrogates(self) -> Fuzzed:
        body = self._valid_shape("slot.update")
        text = json.dumps(body).replace('"title": "x"', '"title": "\\ud800\\udfff\\udc00"')
        return Fuzzed("surrogates", text, str(body["id"]), INVALID_OR_REFUSED)

    def deep_nesting(self) -> Fuzzed:
        depth = self.rng.choice([500, 5_000, 14_000])  # 28 KB at most: one frame
        text = '{"action": "ping", "id": "deep", "x": ' + "[" * depth + "]" * depth + "}"
        return Fuzzed("deep_nesting", text, "deep", INVALID)

    def binary_garbage(self) -> Fuzzed:
        data = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 200)))
        return Fuzzed("binary", data, None, None)  # API Gateway closes with 1003

    def huge_text_field(self) -> Fuzzed:
        body = self._valid_shape("slot.update")
        body["changes"] = {"title": "x" * self.rng.choice([201, 5_000, 30_000])}
        return self._json("huge_field", body, INVALID)

    def oversized(self) -> Fuzzed:
        """A 140 KB message in 28 KB frames: over the 128 KB limit, the gateway closes."""
        text = json.dumps({"action": "ping", "id": "big", "pad": "x" * 140_000})
        return Fuzzed(
            "oversized", [text[i : i + 28_000] for i in range(0, len(text), 28_000)], None, None
        )

    # -- well formed, but refused ------------------------------------------------------------
    def forbidden_write(self) -> Fuzzed:
        """A write this role may not make (a crew: anything but shots and call acks)."""
        allowed = CREW_WRITES if self.role == "crew" else frozenset()
        action = self.rng.choice([a for a in _WRITES if a not in allowed])
        return self._json("forbidden", self._valid_shape(action), REFUSED)

    def write_of_nothing(self) -> Fuzzed:
        """A crew's allowed write, about an item that does not exist (kiosks: forbidden)."""
        action = self.rng.choice(["shot.set_status", "call.ack"])
        return self._json("not_found", self._valid_shape(action), REFUSED)


def _readable(request_id: str) -> bool:
    return 1 <= len(request_id) <= 64 and all("\x21" <= c <= "\x7e" for c in request_id)
