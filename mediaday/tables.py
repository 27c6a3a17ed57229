"""The two tables, defined once: tests and the local stack create them from here and the
Terraform test checks the cloud tables against it."""

from __future__ import annotations

import contextlib
from typing import Any

from mediaday.models import PK, SK, TALENT_SLOT_ATTRIBUTE, TTL_ATTRIBUTE

REV_INDEX = "by_rev"
REV_ATTRIBUTE = "rev"
# Sparse (live slots only): an athlete's slots around a time, strongly consistent, for the
# double-booking check (mediaday.booking) at one Query per athlete.
TALENT_INDEX = "by_talent"


def connections_table_spec(name: str) -> dict[str, Any]:
    """Connections and subscriptions: "subscribers of topic T" is one Query on pk.

    Two sparse global indexes over the connection rows (mediaday.connections): a media
    day's devices, and the connections whose token runs out in a given hour.
    """
    return {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "S"},
            {"AttributeName": "device_day", "AttributeType": "S"},
            {"AttributeName": "device_subject", "AttributeType": "S"},
            {"AttributeName": "connected_at", "AttributeType": "N"},
            {"AttributeName": "expiry_hour", "AttributeType": "N"},
            {"AttributeName": "token_expires_at", "AttributeType": "N"},
        ],
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            _global_index("by_day", "device_day", "connected_at"),
            # The cap check only counts live rows: keys and the TTL are all it reads, and
            # every other attribute projected would be written again on each $connect.
            _global_index("by_subject", "device_subject", "connected_at", [TTL_ATTRIBUTE]),
            _global_index("by_token_expiry", "expiry_hour", "token_expires_at"),
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _global_index(
    name: str, partition: str, sort: str, include: list[str] | None = None
) -> dict[str, Any]:
    """`include`: project only the keys and these attributes (else every attribute)."""
    projection: dict[str, Any] = (
        {"ProjectionType": "ALL"}
        if include is None
        else {"ProjectionType": "INCLUDE", "NonKeyAttributes": include}
    )
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": partition, "KeyType": "HASH"},
            {"AttributeName": sort, "KeyType": "RANGE"},
        ],
        "Projection": projection,
    }


def coordination_table_spec(name: str) -> dict[str, Any]:
    """Coordination items of every media day, streamed to the broadcaster.

    The local index on `rev` answers "what changed since rev N" with a strongly consistent
    Query, so a resume is exact (a global index could lag behind the writes).
    """
    return {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "S"},
            {"AttributeName": REV_ATTRIBUTE, "AttributeType": "N"},
            {"AttributeName": TALENT_SLOT_ATTRIBUTE, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": REV_INDEX,
                "KeySchema": [
                    {"AttributeName": PK, "KeyType": "HASH"},
                    {"AttributeName": REV_ATTRIBUTE, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": TALENT_INDEX,
                "KeySchema": [
                    {"AttributeName": PK, "KeyType": "HASH"},
                    {"AttributeName": TALENT_SLOT_ATTRIBUTE, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "BillingMode": "PAY_PER_REQUEST",
    }


def create_tables(client: Any, *, connections: str, coordination: str) -> None:
    """Create both tables (and their TTL) where they do not exist yet."""
    existing = set(client.list_tables().get("TableNames", []))
    for spec in (connections_table_spec(connections), coordination_table_spec(coordination)):
        if spec["TableName"] in existing:
            continue
        # a CreateTable that timed out on a busy machine and was retried by botocore
        # reports the table its first attempt made: that table is ours
        with contextlib.suppress(client.exceptions.ResourceInUseException):
            client.create_table(**spec)
        client.get_waiter("table_exists").wait(TableName=spec["TableName"])
        client.update_time_to_live(
            TableName=spec["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
