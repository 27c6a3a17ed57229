"""Device pairing's rows in the connections table: the only code that reads or writes them.

A screen opened without a token connects in pairing mode (connect.pairing) and waits as
a *pending device*: it is no `Connection`, so nothing that serves connections (reads,
subscriptions, fan-out, the devices topic) ever sees it. It asks for a short code, a
producer approves the code, and the device receives its token (messaging.pairing).

Layout (pk, sk), every row with a TTL (``expires_at``):
- ``pairing``, ``device#<connection id>``   a pending device: source, user agent, since,
  its current code and when that code expires
- ``pairing``, ``code#<CODE>``              a code: its device, ``state`` (pending, used,
  rejected) and, once used, who used it and for what (so a retried approval is answered
  the same, never applied twice)
- ``pairing``, ``watcher#<connection id>``  a producer connection watching pending devices
- ``pairsrc#<source ip>``, ``rate#<minute>``  per-source counters: pairing connects
  (``connects``) and codes asked for (``codes``)

Pending devices are not tied to a media day (the screen knows none until it is paired):
the producer who approves a code chooses the day (theirs), the role and the station. One
partition holds them, bounded by the pending-device cap (docs/security.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from mediaday.models import PK, SK, TTL_ATTRIBUTE, dynamo_to_plain, plain_to_dynamo
from mediaday.settings import ReadFromSettings, from_setting
from mediaday.unanswered import overload_as_busy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# No 0/O, 1/I/L: a code read off a TV across a room is typed without guessing.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
CODE_PATTERN = f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$"
# A used or spent code stays this long after it expired, so a late approval is told
# "expired" or "already used" instead of "no such code".
CODE_KEPT_SECONDS = 3600
POOL_PK = "pairing"
_DEVICE, _CODE, _WATCHER = "device#", "code#", "watcher#"
CodeState = Literal["pending", "used", "rejected"]
SourceCounter = Literal["connects", "codes"]


@dataclass(frozen=True)
class PairingLimits(ReadFromSettings):
    """How long a code lives and how much pairing one source, and everyone, may ask for."""

    code_seconds: int = from_setting("pairing_code_seconds")
    connects_per_source_per_minute: int = from_setting("pairing_connects_per_source_per_minute")
    codes_per_source_per_minute: int = from_setting("pairing_codes_per_source_per_minute")
    max_pending: int = from_setting("pairing_max_pending")
    messages_per_minute: int = from_setting("pairing_messages_per_minute")


class PendingDevice(BaseModel):
    """A screen waiting to be paired, as producers see it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: str
    source_ip: str = ""
    user_agent: str = ""
    connected_at: int  # epoch ms
    expires_at: int  # epoch s: the row's TTL
    code: str | None = None
    code_expires_at: int | None = None  # epoch ms

    def listed(self) -> dict[str, Any]:
        """The device as the console lists it (no TTL)."""
        return self.model_dump(exclude={"expires_at"}, exclude_none=True)


class PairingCode(BaseModel):
    """A code and what became of it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str
    connection_id: str
    code_expires_at: int  # epoch ms
    state: CodeState = "pending"
    used_by: str | None = None
    request_key: str | None = None  # the approving request (`<subject>/<request id>`)
    outcome: dict[str, Any] | None = None  # what the approval acknowledged


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a person typed (any case, spaces or a dash between the halves) as a code."""
    return "".join(text.split()).replace("-", "").upper()


class PairingStore:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self._client = client
        overload_as_busy(client)  # no answer, or throttled: `busy`, no traceback

    # -- limits --------------------------------------------------------------------------
    def count_source(self, source_ip: str, counter: SourceCounter, *, now: float) -> int:
        """Count one pairing connect or code request from `source_ip` in this minute's
        window; returns the count so far."""
        window = int(now) // 60
        response = self._client.update_item(
            TableName=self.table_name,
            Key={PK: {"S": f"pairsrc#{source_ip}"}, SK: {"S": f"rate#{window}"}},
            UpdateExpression="ADD #n :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#n": counter, "#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str((window + 2) * 60)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"][counter]["N"])

    def pending_count(self, *, now: float) -> int:
        """Live pending devices: one strongly consistent Query that counts (the cap keeps
        the pool to a few hundred small rows, well inside one 1 MB page)."""
        arguments = self._pool_query(_DEVICE, now=now)
        arguments.update(Select="COUNT", ConsistentRead=True)
        return int(self._client.query(**arguments).get("Count", 0))

    # -- pending devices -----------------------------------------------------------------
    def add_device(self, device: PendingDevice) -> None:
        self._put(_DEVICE + device.connection_id, device.model_dump(exclude_none=True))

    def device(self, connection_id: str) -> PendingDevice | None:
        raw = self._get(_DEVICE + connection_id)
        return PendingDevice.model_validate(raw) if raw else None

    def devices(self, *, now: float) -> list[PendingDevice]:
        """The live pending devices, each with its current code."""
        return [PendingDevice.model_validate(row) for row in self._rows(_DEVICE, now=now)]

    def forget_device(self, connection_id: str) -> PendingDevice | None:
        """Delete the pending device (its code stays, spent or to expire); as it was."""
        response = self._client.delete_item(
            TableName=self.table_name,
            Key=self._key(_DEVICE + connection_id),
            ReturnValues="ALL_OLD",
        )
        raw = response.get("Attributes")
        return PendingDevice.model_validate(dynamo_to_plain(raw)) if raw else None

    # -- codes ---------------------------------------------------------------------------
    def issue_code(
        self, device: PendingDevice, *, now: float, lifetime_seconds: int
    ) -> PendingDevice:
        """A fresh code for the device (its previous one stops working, unless already
        settled); the device as it now waits. A live code is never handed out twice."""
        expires_ms = int((now + lifetime_seconds) * 1000)
        for _ in range(8):
            code = new_code()
            item = PairingCode(
                code=code, connection_id=device.connection_id, code_expires_at=expires_ms
            )
            row = self._row(_CODE + code, item.model_dump(exclude_none=True))
            row[TTL_ATTRIBUTE] = {"N": str(int(now) + lifetime_seconds + CODE_KEPT_SECONDS)}
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=row,
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": PK},
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                continue  # one in 887 million per live code: draw again
            break
        else:
            raise RuntimeError("no free pairing code after 8 draws")
        if device.code is not None:
            self._forget_pending_code(device.code)
        waiting = device.model_copy(update={"code": code, "code_expires_at": expires_ms})
        self.add_device(waiting)
        return waiting

    def code(self, code: str) -> PairingCode | None:
        raw = self._get(_CODE + code)
        return PairingCode.model_validate(raw) if raw else None

    def settle_code(
        self,
        code: str,
        state: CodeState,
        *,
        by: str,
        request_key: str,
        outcome: dict[str, Any],
        now: float,
    ) -> PairingCode | None:
        """Mark a pending, unexpired code used (or rejected): one conditional write, so a
        code is settled once. The code as settled; None when it was not pending and
        unexpired (read it to tell why)."""
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=self._key(_CODE + code),
                UpdateExpression="SET #state = :state, used_by = :by, request_key = :key, "
                "outcome = :outcome",
                ConditionExpression="#state = :pending AND code_expires_at > :now",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=plain_to_dynamo(
                    {
                        ":state": state,
                        ":by": by,
                        ":key": request_key,
                        ":outcome": outcome,
                        ":pending": "pending",
                        ":now": int(now * 1000),
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return PairingCode.model_validate(dynamo_to_plain(response["Attributes"]))

    def reopen_code(self, code: str, *, request_key: str) -> None:
        """Undo `settle_code` by `request_key` (its token could not be delivered), so the
        approval can be sent again."""
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=self._key(_CODE + code),
                UpdateExpression="SET #state = :pending REMOVE used_by, request_key, outcome",
                ConditionExpression="request_key = :key",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=plain_to_dynamo(
                    {":pending": "pending", ":key": request_key}
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

    def _forget_pending_code(self, code: str) -> None:
        try:
            self._client.delete_item(
                TableName=self.table_name,
                Key=self._key(_CODE + code),
                ConditionExpression="#state = :pending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":pending": {"S": "pending"}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # settled: kept, so a replay is told "already used"

    # -- producers watching ----------------------------------------------------------------
    def watch(self, connection_id: str, *, until: int) -> None:
        """`connection_id` hears of pending devices until `until` (its own expiry)."""
        self._put(_WATCHER + connection_id, {"connection_id": connection_id, TTL_ATTRIBUTE: until})

    def watchers(self, *, now: float) -> list[str]:
        return [str(row["connection_id"]) for row in self._rows(_WATCHER, now=now)]

    def unwatch(self, connection_id: str) -> None:
        self._client.delete_item(TableName=self.table_name, Key=self._key(_WATCHER + connection_id))

    # -- plumbing ------------------------------------------------------------------------
    def _key(self, sk: str) -> dict[str, Any]:
        return {PK: {"S": POOL_PK}, SK: {"S": sk}}

    def _row(self, sk: str, fields: dict[str, Any]) -> dict[str, Any]:
        return plain_to_dynamo({**fields, PK: POOL_PK, SK: sk})

    def _put(self, sk: str, fields: dict[str, Any]) -> None:
        self._client.put_item(TableName=self.table_name, Item=self._row(sk, fields))

    def _get(self, sk: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self.table_name, Key=self._key(sk), ConsistentRead=True
        )
        raw = response.get("Item")
        return dynamo_to_plain(raw) if raw else None

    def _pool_query(self, prefix: str, *, now: float) -> dict[str, Any]:
        return {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "FilterExpression": "#ttl > :now",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK, "#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":pk": {"S": POOL_PK},
                ":prefix": {"S": prefix},
                ":now": {"N": str(int(now))},
            },
        }

    def _rows(self, prefix: str, *, now: float) -> Iterator[dict[str, Any]]:
        arguments = self._pool_query(prefix, now=now)
        arguments["ConsistentRead"] = True
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(**arguments):
            for raw in page.get("Items", []):
                yield dynamo_to_plain(raw)
