"""The two tables, defined once: tests and the local stack create them from here and the
Terraform test checks the cloud tables against it."""

from __future__ import annotations

from typing import Any

from mediaday.models import PK, SK, TTL_ATTRIBUTE

REV_INDEX = "by_rev"
REV_ATTRIBUTE = "rev"


def connections_table_spec(name: str) -> dict[str, Any]:
    """Connections and subscriptions: "subscribers of topic T" is one Query on pk."""
    return {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
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
            }
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
        client.create_table(**spec)
        client.get_waiter("table_exists").wait(TableName=spec["TableName"])
        client.update_time_to_live(
            TableName=spec["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
