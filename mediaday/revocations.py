"""Revoked subjects and tokens: stored durably, read through a cache of bounded staleness.

A producer revokes a subject (every token naming it, optionally until a time) or one token
(its `jti`). Revocations live in the connections table, one partition per media day:

- ``revoked#<day>``, ``subject#<subject>``   until (epoch s, or none: for good)
- ``revoked#<day>``, ``token#<jti>``         until the longest a token may live

so "is this caller revoked" is one strongly consistent Query of the day's partition (a
handful of rows). Each Lambda instance keeps that answer for `max_age_seconds`
(MEDIADAY_REVOCATION_CACHE_SECONDS, 1 s): a revocation reaches every message check within
that bound; `$connect` reads afresh (`fresh=True`), so a revoked token is refused at once.
Revoking needs no key rotation and touches no other device. A row's TTL is its `until`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mediaday.models import PK, SK, TTL_ATTRIBUTE
from mediaday.unanswered import overload_as_busy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_SUBJECT = "subject#"
_TOKEN = "token#"  # noqa: S105 (a key prefix, not a secret)


@dataclass(frozen=True)
class Revocation:
    """One revoked subject or token id of a media day; `until` None: for good."""

    media_day: str
    subject: str | None = None
    token_id: str | None = None
    until: int | None = None
    revoked_by: str = ""
    revoked_at: int = 0

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until

    def covers(self, subject: str, token_id: str) -> bool:
        if self.subject is not None:
            return self.subject == subject
        return bool(token_id) and self.token_id == token_id

    def describe(self) -> str:
        what = f"subject {self.subject}" if self.subject is not None else "this token"
        return f"{what} is revoked" + ("" if self.until is None else f" until {self.until}")


def _day_pk(media_day: str) -> str:
    return f"revoked#{media_day}"


class RevocationStore:
    """Reads and writes revocations; caches each day's list for `max_age_seconds`."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient,
        *,
        max_age_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table_name = table_name
        self._client = client
        overload_as_busy(client)  # no answer, or throttled: `busy`, no traceback
        self._max_age = max_age_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, list[Revocation]]] = {}
        self._lock = threading.Lock()

    def revoke(self, revocation: Revocation, *, keep_until: int) -> None:
        """Store it (replacing an earlier revocation of the same subject or token); the
        row expires at `until`, or at `keep_until` when it has none."""
        if (revocation.subject is None) == (revocation.token_id is None):
            raise ValueError("a revocation names a subject or a token id, not both")
        sk = (
            f"{_SUBJECT}{revocation.subject}"
            if revocation.subject is not None
            else f"{_TOKEN}{revocation.token_id}"
        )
        item: dict[str, Any] = {
            PK: {"S": _day_pk(revocation.media_day)},
            SK: {"S": sk},
            "revoked_by": {"S": revocation.revoked_by},
            "revoked_at": {"N": str(revocation.revoked_at)},
        }
        if revocation.until is not None:
            item["until"] = {"N": str(revocation.until)}
        if revocation.until is not None or revocation.token_id is not None:
            item[TTL_ATTRIBUTE] = {"N": str(revocation.until or keep_until)}
        self._client.put_item(TableName=self.table_name, Item=item)
        with self._lock:
            self._cache.pop(revocation.media_day, None)

    def find(
        self, media_day: str, subject: str, token_id: str, *, now: float, fresh: bool = False
    ) -> Revocation | None:
        """The active revocation covering this subject or token, if any."""
        for revocation in self.of_day(media_day, fresh=fresh):
            if revocation.active(now) and revocation.covers(subject, token_id):
                return revocation
        return None

    def of_day(self, media_day: str, *, fresh: bool = False) -> list[Revocation]:
        """The day's revocations, at most `max_age_seconds` old unless `fresh`."""
        moment = self._clock()
        with self._lock:
            cached = self._cache.get(media_day)
        if cached is not None and not fresh and moment - cached[0] < self._max_age:
            return cached[1]
        revocations = list(self._read(media_day))
        with self._lock:
            self._cache[media_day] = (moment, revocations)
        return revocations

    def _read(self, media_day: str) -> list[Revocation]:
        found: list[Revocation] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": PK},
            ExpressionAttributeValues={":pk": {"S": _day_pk(media_day)}},
            ConsistentRead=True,
        ):
            for row in page.get("Items", []):
                sk = row[SK]["S"]
                until = int(row["until"]["N"]) if "until" in row else None
                common: dict[str, Any] = {
                    "media_day": media_day,
                    "until": until,
                    "revoked_by": row.get("revoked_by", {}).get("S", ""),
                    "revoked_at": int(row.get("revoked_at", {}).get("N", "0")),
                }
                if sk.startswith(_SUBJECT):
                    found.append(Revocation(subject=sk.removeprefix(_SUBJECT), **common))
                elif sk.startswith(_TOKEN):
                    found.append(Revocation(token_id=sk.removeprefix(_TOKEN), **common))
        return found
