"""The coordination table: the only code that reads or writes it.

Each write is one DynamoDB transaction of two parts:
1. the media day's change counter, conditioned on the value just read, set to value + 1;
2. the item, conditioned on the version the writer last saw (or on not existing).

So every committed change gets the next `rev`, revs commit in order, and a stale write is
refused rather than lost. A retried request (same subject and client request id) finds its
own write already there and gets the same answer instead of a conflict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mediaday.backoff import Backoff
from mediaday.errors import BatchTooLarge, Conflict, MediaDayError, NotFound, StoreBusy
from mediaday.models import (
    PK,
    REV_COUNTER_SK,
    SK,
    TALENT_SLOT_ATTRIBUTE,
    Item,
    ItemBase,
    Slot,
    dynamo_to_plain,
    item_from_dynamo,
    item_sk,
    item_to_dynamo,
    item_to_plain,
    item_type_prefix,
    media_day_pk,
    talent_slot_key,
)
from mediaday.tables import REV_ATTRIBUTE, REV_INDEX, TALENT_INDEX
from mediaday.unanswered import THROTTLED_REASONS, overload_as_busy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

COUNTER_ATTRIBUTE = "counter"
_MAX_ATTEMPTS = 12
# Writers that lost the counter race wait 5 ms doubling up to 200 ms, fully jittered, so
# twelve attempts outlast a burst of concurrent writes without holding a request long.
_COUNTER_RACE = Backoff(base=0.005, cap=0.2)
# DynamoDB holds 100 actions per transaction; one of them is the counter.
MAX_TRANSACTION_ITEMS = 99
_BATCH_GET_KEYS = 100
# Cancellations a fresh attempt can get past: a condition, a race, a throttled table.
_RETRYABLE_REASONS = THROTTLED_REASONS | {"None", "ConditionalCheckFailed", "TransactionConflict"}


@dataclass(frozen=True)
class PlannedWrite:
    """One item of a multi-item write, before the store stamps version and rev. A create
    lands on no row or on a tombstone at `previous_version`; otherwise it replaces the live
    item at `previous_version` (a delete: `item` with `deleted=True`)."""

    item: Item
    previous_version: int | None
    creates: bool
    request_key: str


@dataclass(frozen=True)
class WriteResult:
    item: Item
    duplicate: bool = False  # the request had already been applied: nothing written now


class CoordinationStore:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient,
        *,
        tombstone_ttl_seconds: int = 7 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self._client = client
        overload_as_busy(client)
        self._tombstone_ttl = tombstone_ttl_seconds
        self._clock = clock

    # -- reads ---------------------------------------------------------------------------
    def get(self, media_day: str, item_type: str, item_id: str) -> Item | None:
        """The item, tombstones included (callers decide what a deleted item means)."""
        response = self._client.get_item(
            TableName=self.table_name,
            Key={PK: {"S": media_day_pk(media_day)}, SK: {"S": item_sk(item_type, item_id)}},
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return item_from_dynamo(raw) if raw else None

    def current_rev(self, media_day: str) -> int:
        response = self._client.get_item(
            TableName=self.table_name,
            Key={PK: {"S": media_day_pk(media_day)}, SK: {"S": REV_COUNTER_SK}},
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return int(dynamo_to_plain(raw)[COUNTER_ATTRIBUTE]) if raw else 0

    def items_of_type(self, media_day: str, item_type: str) -> Iterator[Item]:
        """Live items of one type, in key order. DynamoDB filters the tombstones: parsing
        them made a snapshot 15x dearer after 2,000 deletes (`bench/snapshot_cost.py`)."""
        return self._day_items(
            media_day,
            "begins_with(#sk, :prefix)",
            names={"#sk": SK, "#deleted": "deleted"},
            values={":prefix": {"S": item_type_prefix(item_type)}, ":no": {"BOOL": False}},
            FilterExpression="attribute_not_exists(#deleted) OR #deleted = :no",
        )

    def changes_since(self, media_day: str, since_rev: int) -> Iterator[Item]:
        """Every item (tombstones included) whose last change has rev > since_rev, oldest
        first, from a strongly consistent Query of the local rev index."""
        return self._day_items(
            media_day,
            "#rev > :since",
            names={"#rev": REV_ATTRIBUTE},
            values={":since": {"N": str(since_rev)}},
            IndexName=REV_INDEX,
        )

    # -- writes --------------------------------------------------------------------------
    def create(self, item: Item, *, actor: str, request_key: str | None = None) -> WriteResult:
        """Write a new item; re-creating a deleted one continues its version sequence."""
        return self._commit(item, expected_version=None, actor=actor, request_key=request_key)

    def update(
        self, item: Item, *, expected_version: int, actor: str, request_key: str | None = None
    ) -> WriteResult:
        """Replace a live item whose version is still `expected_version`."""
        return self._commit(
            item, expected_version=expected_version, actor=actor, request_key=request_key
        )

    def delete(
        self, item: Item, *, expected_version: int, actor: str, request_key: str | None = None
    ) -> WriteResult:
        """Turn a live item into a tombstone that expires after the tombstone TTL."""
        tombstone = item.model_copy(update={"deleted": True})
        return self._commit(
            tombstone, expected_version=expected_version, actor=actor, request_key=request_key
        )

    def _commit(
        self,
        item: Item,
        *,
        expected_version: int | None,
        actor: str,
        request_key: str | None,
    ) -> WriteResult:
        pk = media_day_pk(item.media_day)
        # A create may land on a tombstone: then it must match the tombstone's version.
        tombstone_version: int | None = None
        for attempt in range(_MAX_ATTEMPTS):
            rev = self.current_rev(item.media_day)
            previous = expected_version if expected_version is not None else tombstone_version
            stamped = item.model_copy(
                update={
                    "version": (previous or 0) + 1,
                    "rev": rev + 1,
                    "updated_at": int(self._clock() * 1000),
                    "updated_by": actor,
                    "request_key": request_key,
                }
            )
            try:
                steps: list[Any] = [
                    self._counter_step(pk, rev),
                    self._item_step(stamped, expected_version, tombstone_version),
                ]
                self._client.transact_write_items(TransactItems=steps)
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = [
                    r.get("Code", "None") for r in error.response.get("CancellationReasons", [])
                ]
                item_refused = len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed"
                if not item_refused and not reasons:
                    # Emulators that omit reasons: find out from the item itself.
                    item_refused = self._item_moved_on(item, expected_version, tombstone_version)
                if item_refused:
                    current = self.get(item.media_day, item.type, item.id)
                    if current is not None and request_key and current.request_key == request_key:
                        return WriteResult(current, duplicate=True)
                    if expected_version is None and current is not None and current.deleted:
                        tombstone_version = current.version
                        continue
                    raise self._refusal(current, expected_version) from None
                time.sleep(_COUNTER_RACE.delay(attempt + 1))
                continue
            return WriteResult(stamped)
        raise StoreBusy("the media day is busy with other writes; retry")

    def _counter_step(self, pk: str, rev: int, count: int = 1) -> dict[str, Any]:
        condition = "attribute_not_exists(#c)" if rev == 0 else "#c = :rev"
        values: dict[str, Any] = {":next": {"N": str(rev + count)}}
        if rev:
            values[":rev"] = {"N": str(rev)}
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {PK: {"S": pk}, SK: {"S": REV_COUNTER_SK}},
                "UpdateExpression": "SET #c = :next",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#c": COUNTER_ATTRIBUTE},
                "ExpressionAttributeValues": values,
            }
        }

    def _item_step(
        self, stamped: ItemBase, expected_version: int | None, tombstone_version: int | None
    ) -> dict[str, Any]:
        expires_at = int(self._clock()) + self._tombstone_ttl if stamped.deleted else None
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": item_to_dynamo(stamped, expires_at=expires_at),
        }
        if expected_version is None and tombstone_version is None:
            put["ConditionExpression"] = "attribute_not_exists(#pk)"
            put["ExpressionAttributeNames"] = {"#pk": PK}
        elif expected_version is None:
            put["ConditionExpression"] = "#deleted = :true AND #version = :version"
            put["ExpressionAttributeNames"] = {"#deleted": "deleted", "#version": "version"}
            put["ExpressionAttributeValues"] = {
                ":true": {"BOOL": True},
                ":version": {"N": str(tombstone_version)},
            }
        else:
            put["ConditionExpression"] = "#deleted = :false AND #version = :version"
            put["ExpressionAttributeNames"] = {"#deleted": "deleted", "#version": "version"}
            put["ExpressionAttributeValues"] = {
                ":false": {"BOOL": False},
                ":version": {"N": str(expected_version)},
            }
        return {"Put": put}

    # -- multi-item writes (schedule.shift, batch, booking-checked slot writes) ----------
    def slots_of_talent(
        self, media_day: str, talent_id: str, *, starting_from: datetime, until: datetime
    ) -> list[Slot]:
        """The athlete's live slots that start in [starting_from, until]: one strongly
        consistent Query of the sparse `by_talent` index."""
        rows = self._query(
            IndexName=TALENT_INDEX,
            KeyConditionExpression="#pk = :pk AND #ts BETWEEN :low AND :high",
            ExpressionAttributeNames={"#pk": PK, "#ts": TALENT_SLOT_ATTRIBUTE},
            ExpressionAttributeValues={
                ":pk": {"S": media_day_pk(media_day)},
                ":low": {"S": talent_slot_key(talent_id, starting_from)},
                ":high": {"S": talent_slot_key(talent_id, until)},
            },
        )
        found = (item_from_dynamo(row) for row in rows)
        return [item for item in found if isinstance(item, Slot) and not item.deleted]

    def get_many(self, media_day: str, keys: Iterable[tuple[str, str]]) -> dict[str, Item]:
        """Items (tombstones included) by `(type, id)`, keyed `"<type>#<id>"`; strongly
        consistent BatchGetItem calls of up to 100 keys."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Item] = {}
        pk = media_day_pk(media_day)
        for start in range(0, len(wanted), _BATCH_GET_KEYS):
            pending: list[dict[str, Any]] = [
                {PK: {"S": pk}, SK: {"S": item_sk(item_type, item_id)}}
                for item_type, item_id in wanted[start : start + _BATCH_GET_KEYS]
            ]
            for attempt in range(_MAX_ATTEMPTS):
                response = self._client.batch_get_item(
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}}
                )
                for row in response.get("Responses", {}).get(self.table_name, []):
                    item = item_from_dynamo(row)
                    if item is not None:
                        found[item_sk(item.type, item.id)] = item
                unprocessed = response.get("UnprocessedKeys", {}).get(self.table_name)
                if not unprocessed:
                    break
                pending = list(unprocessed["Keys"])
                time.sleep(_COUNTER_RACE.delay(attempt + 1))
            else:
                raise StoreBusy("the media day is busy with other reads; retry")
        return found

    def commit_many(
        self, media_day: str, prepare: Callable[[int], Sequence[PlannedWrite]], *, actor: str
    ) -> list[Item]:
        """Write several items in ONE transaction with the counter: all or nothing, and
        the items get consecutive revs in the order `prepare` returns them.

        `prepare(rev)` reads what it needs (strongly consistent) and returns the writes, or
        raises a refusal. The counter is conditioned on the rev read before `prepare`, so a
        change committed by anyone meanwhile cancels the transaction and `prepare` runs
        again on fresh state: its checks (versions, double-booking) hold at commit time.
        Nothing to write (every write already applied) returns [] without a transaction.
        """
        pk = media_day_pk(media_day)
        for attempt in range(_MAX_ATTEMPTS):
            rev = self.current_rev(media_day)
            writes = prepare(rev)
            if not writes:
                return []
            if len(writes) > MAX_TRANSACTION_ITEMS:
                raise BatchTooLarge(
                    f"{len(writes)} items in one write: a transaction holds at most "
                    f"{MAX_TRANSACTION_ITEMS}; split it"
                )
            now_ms = int(self._clock() * 1000)
            stamped = [
                write.item.model_copy(
                    update={
                        "version": (write.previous_version or 0) + 1,
                        "rev": rev + number,
                        "updated_at": now_ms,
                        "updated_by": actor,
                        "request_key": write.request_key,
                    }
                )
                for number, write in enumerate(writes, 1)
            ]
            steps: list[Any] = [self._counter_step(pk, rev, len(writes))]
            for write, item in zip(writes, stamped, strict=True):
                if write.creates:
                    steps.append(self._item_step(item, None, write.previous_version))
                else:
                    steps.append(self._item_step(item, write.previous_version, None))
            try:
                self._client.transact_write_items(TransactItems=steps)
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = {
                    r.get("Code", "None") for r in error.response.get("CancellationReasons", [])
                }
                if reasons - _RETRYABLE_REASONS:
                    raise
                time.sleep(_COUNTER_RACE.delay(attempt + 1))
                continue
            return list(stamped)
        raise StoreBusy("the media day is busy with other writes; retry")

    def _item_moved_on(
        self, item: Item, expected_version: int | None, tombstone_version: int | None
    ) -> bool:
        current = self.get(item.media_day, item.type, item.id)
        if expected_version is None:
            if current is None:
                return False
            return not (current.deleted and current.version == tombstone_version)
        return current is None or current.deleted or current.version != expected_version

    @staticmethod
    def _refusal(current: Item | None, expected_version: int | None) -> MediaDayError:
        if expected_version is None:
            assert current is not None  # the create was refused because the item exists
            return Conflict("an item with this id already exists", item_to_plain(current))
        if current is None or current.deleted:
            return NotFound("no such item (it may have been deleted)")
        return Conflict(
            f"stale version {expected_version}: the item is at version {current.version}",
            item_to_plain(current),
        )

    def _day_items(
        self,
        media_day: str,
        condition: str,
        *,
        names: dict[str, str],
        values: dict[str, Any],
        **kwargs: Any,
    ) -> Iterator[Item]:
        """The day's items that meet `condition` (tombstones too, unless filtered)."""
        for row in self._query(
            KeyConditionExpression=f"#pk = :pk AND {condition}",
            ExpressionAttributeNames={"#pk": PK, **names},
            ExpressionAttributeValues={":pk": {"S": media_day_pk(media_day)}, **values},
            **kwargs,
        ):
            item = item_from_dynamo(row)
            if item is not None:
                yield item

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(TableName=self.table_name, ConsistentRead=True, **kwargs):
            yield from page.get("Items", [])
