"""The connections table: the only code that reads or writes it.

Layout (pk, sk):
- ``conn#<id>``, ``#meta``              the connection: role, station, subject, expiry
- ``conn#<id>``, ``topic#<topic>``      a pointer, so a disconnect finds its subscriptions
- ``conn#<id>``, ``rate#<minute>``      the per-connection message counter (``n``) and its
  refusals (``bad``)
- ``subj#<day>#<subject>``, ``rate#<minute>``  the per-subject message counter
- ``topic#<day>#<topic>``, ``<id>``     a subscription: "subscribers of T" is one Query
  (``batched: true`` when the connection subscribed with ``events="batched"``)

Connection rows also carry the keys of three sparse global indexes: ``by_day`` (a day's
devices), ``by_subject`` (one subject's connections, for the per-subject cap) and
``by_token_expiry`` (the expiry sweep); docs/architecture.md has the table.

Every item carries ``expires_at`` (TTL), a little past API Gateway's 2-hour limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mediaday.backoff import Backoff
from mediaday.models import PK, SK, TTL_ATTRIBUTE, Id, Role, dynamo_to_plain, plain_to_dynamo
from mediaday.unanswered import overload_as_busy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

META_SK = "#meta"
DAY_INDEX = "by_day"
DAY_ATTRIBUTE = "device_day"
SUBJECT_INDEX = "by_subject"
SUBJECT_ATTRIBUTE = "device_subject"  # "<day>#<subject>"
EXPIRY_INDEX = "by_token_expiry"
EXPIRY_BUCKET_ATTRIBUTE = "expiry_hour"
EXPIRY_BUCKET_SECONDS = 3600
_BATCHED = "batched"  # on a subscription row: the connection takes `events` frames
_BATCH = 25
# Unprocessed batch writes (DynamoDB throttling) are retried after 50 ms doubling up to
# 1 s, fully jittered so the Lambdas retrying together do not throttle again together.
_UNPROCESSED = Backoff(base=0.05, cap=1.0)


class Connection(BaseModel):
    """A WebSocket connection as the connect handler admitted it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: str = Field(min_length=1, max_length=128)
    media_day: Id
    role: Role
    subject: str
    station: Id | None = None
    connected_at: int = Field(description="epoch milliseconds")
    expires_at: int = Field(description="epoch seconds; the row's TTL")
    token_expires_at: int = Field(description="epoch seconds")
    source_ip: str = ""
    token_id: str = ""
    label: str = Field(default="", max_length=120)
    user_agent: str = Field(default="", max_length=512)
    last_active: int | None = Field(default=None, description="epoch ms, minute granularity")

    def device(self) -> dict[str, Any]:
        """The connection as the devices topic shows it (no row keys, no TTL)."""
        return self.model_dump(exclude={"expires_at"}, mode="json")


def _bucket(epoch_seconds: int) -> int:
    return epoch_seconds // EXPIRY_BUCKET_SECONDS


def _subject_key(media_day: str, subject: str) -> str:
    return f"{media_day}#{subject}"


def _conn_pk(connection_id: str) -> str:
    return f"conn#{connection_id}"


def _topic_pk(media_day: str, topic: str) -> str:
    return f"topic#{media_day}#{topic}"


class ConnectionStore:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self._client = client
        overload_as_busy(client)  # no answer, or throttled: `busy`, no traceback

    # -- connections ---------------------------------------------------------------------
    def add(self, connection: Connection) -> None:
        item = connection.model_dump(exclude_none=True, mode="json")
        item.update(
            {
                PK: _conn_pk(connection.connection_id),
                SK: META_SK,
                DAY_ATTRIBUTE: connection.media_day,
                SUBJECT_ATTRIBUTE: _subject_key(connection.media_day, connection.subject),
                EXPIRY_BUCKET_ATTRIBUTE: _bucket(connection.token_expires_at),
            }
        )
        self._client.put_item(TableName=self.table_name, Item=plain_to_dynamo(item))

    def devices(self, media_day: str) -> list[Connection]:
        """Every connection of a media day, oldest first: one Query of `by_day`.

        The index is eventually consistent: a connection admitted a moment ago may be
        missing (see docs/security.md for what that means for revocation).
        """
        return [
            Connection.model_validate(dynamo_to_plain(row))
            for row in self._query_index(DAY_INDEX, DAY_ATTRIBUTE, {"S": media_day})
        ]

    def expired(self, *, now: float, lookback_seconds: int) -> list[Connection]:
        """Connections whose token ran out at or before `now` (and no earlier than
        `lookback_seconds` before it): one Query per hour bucket of `by_token_expiry`."""
        moment = int(now)
        first, last = _bucket(moment - lookback_seconds), _bucket(moment)
        found: list[Connection] = []
        for bucket in range(first, last + 1):
            rows = self._query_index(
                EXPIRY_INDEX,
                EXPIRY_BUCKET_ATTRIBUTE,
                {"N": str(bucket)},
                upper=("token_expires_at", moment),
            )
            found.extend(Connection.model_validate(dynamo_to_plain(row)) for row in rows)
        return found

    def set_label(self, connection_id: str, label: str) -> Connection | None:
        """Name a device; None when the connection is gone (nothing is written then)."""
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key={PK: {"S": _conn_pk(connection_id)}, SK: {"S": META_SK}},
                UpdateExpression="SET #label = :label",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#label": "label", "#pk": PK},
                ExpressionAttributeValues={":label": {"S": label}},
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return Connection.model_validate(dynamo_to_plain(response["Attributes"]))

    def touch(self, connection_id: str, *, now_ms: int) -> None:
        """Record that the device was active (once a minute: on its first message of the
        minute, so presence costs no extra write per message)."""
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={PK: {"S": _conn_pk(connection_id)}, SK: {"S": META_SK}},
                UpdateExpression="SET #last = :now",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#last": "last_active", "#pk": PK},
                ExpressionAttributeValues={":now": {"N": str(now_ms)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

    def get(self, connection_id: str) -> Connection | None:
        response = self._client.get_item(
            TableName=self.table_name,
            Key={PK: {"S": _conn_pk(connection_id)}, SK: {"S": META_SK}},
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return Connection.model_validate(dynamo_to_plain(raw)) if raw else None

    def remove(self, connection_id: str) -> int:
        """Delete the connection, its subscriptions and counters; returns items deleted."""
        keys: list[dict[str, Any]] = []
        for row in self._query(_conn_pk(connection_id)):
            keys.append({PK: row[PK], SK: row[SK]})
            sk = row[SK]["S"]
            if sk.startswith("topic#") and "media_day" in row:
                topic_pk = _topic_pk(row["media_day"]["S"], sk.removeprefix("topic#"))
                keys.append({PK: {"S": topic_pk}, SK: {"S": connection_id}})
        self._delete_keys(keys)
        return len(keys)

    # -- subscriptions -------------------------------------------------------------------
    def subscribe(
        self, connection: Connection, topics: Iterable[str], *, batched: bool = False
    ) -> None:
        """`batched`: the connection takes these topics' changes as `events` frames."""
        expires = {"N": str(connection.expires_at)}
        rows: list[dict[str, Any]] = []
        for topic in dict.fromkeys(topics):
            subscription: dict[str, Any] = {
                PK: {"S": _topic_pk(connection.media_day, topic)},
                SK: {"S": connection.connection_id},
                TTL_ATTRIBUTE: expires,
            }
            if batched:
                subscription[_BATCHED] = {"BOOL": True}
            rows.append(subscription)
            rows.append(
                {
                    PK: {"S": _conn_pk(connection.connection_id)},
                    SK: {"S": f"topic#{topic}"},
                    "media_day": {"S": connection.media_day},
                    TTL_ATTRIBUTE: expires,
                }
            )
        self._write([{"PutRequest": {"Item": row}} for row in rows])

    def unsubscribe(self, connection: Connection, topics: Iterable[str]) -> None:
        keys: list[dict[str, Any]] = []
        for topic in dict.fromkeys(topics):
            keys.append(
                {
                    PK: {"S": _topic_pk(connection.media_day, topic)},
                    SK: {"S": connection.connection_id},
                }
            )
            keys.append(
                {PK: {"S": _conn_pk(connection.connection_id)}, SK: {"S": f"topic#{topic}"}}
            )
        self._delete_keys(keys)

    def topics_of(self, connection_id: str) -> list[str]:
        return [
            row[SK]["S"].removeprefix("topic#")
            for row in self._query(_conn_pk(connection_id), sk_prefix="topic#")
        ]

    def subscribers(self, media_day: str, topic: str, *, now: float | None = None) -> Iterator[str]:
        """Connection ids subscribed to a topic, skipping rows whose TTL has passed."""
        for connection_id, _ in self.subscriptions(media_day, topic, now=now):
            yield connection_id

    def subscriptions(
        self, media_day: str, topic: str, *, now: float | None = None
    ) -> Iterator[tuple[str, bool]]:
        """(connection id, batched) per live subscription of a topic: one Query."""
        moment = int(time.time() if now is None else now)
        for row in self._query(_topic_pk(media_day, topic)):
            if int(row.get(TTL_ATTRIBUTE, {}).get("N", "0")) > moment:
                yield row[SK]["S"], bool(row.get(_BATCHED, {}).get("BOOL", False))

    # -- rate limiting -------------------------------------------------------------------
    def count_message(
        self, connection_id: str, *, now: float | None = None, weight: int = 1
    ) -> int:
        """Count a message (`weight` messages: a batch's per-item cost) in the current
        minute's window; returns the count so far."""
        moment = int(time.time() if now is None else now)
        window = moment // 60
        response = self._client.update_item(
            TableName=self.table_name,
            Key={PK: {"S": _conn_pk(connection_id)}, SK: {"S": f"rate#{window}"}},
            UpdateExpression="ADD #n :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#n": "n", "#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":one": {"N": str(weight)},
                ":ttl": {"N": str((window + 2) * 60)},
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["n"]["N"])

    # -- abuse limits (issue #15 §4): per subject, refusals, connections per subject -------
    def count_subject_message(
        self, media_day: str, subject: str, *, now: float | None = None
    ) -> int:
        """Count a message of any of `subject`'s connections in this minute's window
        (``subj#<day>#<subject>``, ``rate#<minute>``); returns the count so far."""
        moment = int(time.time() if now is None else now)
        return self._add_to_window(f"subj#{media_day}#{subject}", moment, "n")

    def count_refusal(
        self, connection_id: str, *, now: float | None = None, as_message: bool = False
    ) -> int:
        """Count a refused message in the connection's window (attribute ``bad`` of its
        ``rate#<minute>`` row, and ``n`` too when `as_message`: input refused before the
        rate counters saw it, in the same one write); returns the refusals this minute."""
        moment = int(time.time() if now is None else now)
        counted = ("bad", "n") if as_message else ("bad",)
        return self._add_to_window(_conn_pk(connection_id), moment, *counted)

    def subject_connections(self, media_day: str, subject: str, *, now: float, at_most: int) -> int:
        """How many live connections `subject` has on the day, counting no further than
        `at_most + 1`: a Query of `by_subject`, newest first, so the cap check at `$connect`
        reads at most that many rows (plus rows whose TTL passed but are not yet deleted),
        however many devices the day has. Eventually consistent: a connection admitted a
        moment ago may not be counted yet."""
        arguments: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": SUBJECT_INDEX,
            "KeyConditionExpression": "#subject = :subject",
            "FilterExpression": "#ttl > :now",
            "ExpressionAttributeNames": {"#subject": SUBJECT_ATTRIBUTE, "#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":subject": {"S": _subject_key(media_day, subject)},
                ":now": {"N": str(int(now))},
            },
            "ScanIndexForward": False,
            "Select": "COUNT",
            "Limit": at_most + 1,
        }
        count = 0
        while count <= at_most:
            page = self._client.query(**arguments)
            count += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return count

    def _add_to_window(self, pk: str, moment: int, *attributes: str) -> int:
        """Add one to each attribute of the minute's row; the first one's new value."""
        window = moment // 60
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        response = self._client.update_item(
            TableName=self.table_name,
            Key={PK: {"S": pk}, SK: {"S": f"rate#{window}"}},
            UpdateExpression="ADD "
            + ", ".join(f"{key} :one" for key in names)
            + " SET #ttl = :ttl",
            ExpressionAttributeNames={**names, "#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str((window + 2) * 60)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"][attributes[0]]["N"])

    # -- plumbing ------------------------------------------------------------------------
    def _query(self, pk: str, *, sk_prefix: str | None = None) -> Iterator[dict[str, Any]]:
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        names = {"#pk": PK}
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            values[":prefix"] = {"S": sk_prefix}
            names["#sk"] = SK
        return self._paginate(condition, names, values)

    def _query_index(
        self,
        index: str,
        attribute: str,
        value: dict[str, str],
        *,
        upper: tuple[str, int] | None = None,
    ) -> Iterator[dict[str, Any]]:
        condition = "#key = :key"
        names = {"#key": attribute}
        values: dict[str, Any] = {":key": value}
        if upper is not None:
            condition += " AND #upper <= :upper"
            names["#upper"] = upper[0]
            values[":upper"] = {"N": str(upper[1])}
        return self._paginate(condition, names, values, index=index)

    def _paginate(
        self,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
        *,
        index: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every row of one Query (of the table, or of an index), page after page."""
        on_index: dict[str, Any] = {"IndexName": index} if index is not None else {}
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            **on_index,
        ):
            yield from page.get("Items", [])

    def _delete_keys(self, keys: list[dict[str, Any]]) -> None:
        self._write([{"DeleteRequest": {"Key": key}} for key in keys])

    def _write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), _BATCH):
            pending: dict[str, Any] = {self.table_name: requests[start : start + _BATCH]}
            for attempt in range(8):
                response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(_UNPROCESSED.delay(attempt + 1))
            else:
                raise RuntimeError("DynamoDB left batch writes unprocessed after 8 attempts")
