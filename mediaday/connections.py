"""The connections table: the only code that reads or writes it.

Layout (pk, sk):
- ``conn#<id>``, ``#meta``              the connection: role, station, subject, expiry
- ``conn#<id>``, ``topic#<topic>``      a pointer, so a disconnect finds its subscriptions
- ``conn#<id>``, ``rate#<minute>``      the per-connection message counter
- ``topic#<day>#<topic>``, ``<id>``     a subscription: "subscribers of T" is one Query

Every item carries ``expires_at`` (TTL), a little past API Gateway's 2-hour limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mediaday.backoff import Backoff
from mediaday.models import PK, SK, TTL_ATTRIBUTE, Id, Role, dynamo_to_plain, plain_to_dynamo

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

META_SK = "#meta"
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


def _conn_pk(connection_id: str) -> str:
    return f"conn#{connection_id}"


def _topic_pk(media_day: str, topic: str) -> str:
    return f"topic#{media_day}#{topic}"


class ConnectionStore:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self._client = client

    # -- connections ---------------------------------------------------------------------
    def add(self, connection: Connection) -> None:
        item = connection.model_dump(exclude_none=True, mode="json")
        item.update({PK: _conn_pk(connection.connection_id), SK: META_SK})
        self._client.put_item(TableName=self.table_name, Item=plain_to_dynamo(item))

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
    def subscribe(self, connection: Connection, topics: Iterable[str]) -> None:
        expires = {"N": str(connection.expires_at)}
        rows: list[dict[str, Any]] = []
        for topic in dict.fromkeys(topics):
            rows.append(
                {
                    PK: {"S": _topic_pk(connection.media_day, topic)},
                    SK: {"S": connection.connection_id},
                    TTL_ATTRIBUTE: expires,
                }
            )
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
        moment = int(time.time() if now is None else now)
        for row in self._query(_topic_pk(media_day, topic)):
            if int(row.get(TTL_ATTRIBUTE, {}).get("N", "0")) > moment:
                yield row[SK]["S"]

    # -- rate limiting -------------------------------------------------------------------
    def count_message(self, connection_id: str, *, now: float | None = None) -> int:
        """Count a message in the current minute's window; returns the count so far."""
        moment = int(time.time() if now is None else now)
        window = moment // 60
        response = self._client.update_item(
            TableName=self.table_name,
            Key={PK: {"S": _conn_pk(connection_id)}, SK: {"S": f"rate#{window}"}},
            UpdateExpression="ADD #n :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#n": "n", "#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str((window + 2) * 60)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["n"]["N"])

    # -- plumbing ------------------------------------------------------------------------
    def _query(self, pk: str, *, sk_prefix: str | None = None) -> Iterator[dict[str, Any]]:
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        names = {"#pk": PK}
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            values[":prefix"] = {"S": sk_prefix}
            names["#sk"] = SK
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
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
