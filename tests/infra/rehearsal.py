"""What the deploy rehearsal (test_rehearsal.py) compares and holds: the dev environment's
names, the table shapes of the Python definitions, the plan and the deployed tables, and
the deployment itself (plan, state, outputs) with boto3 clients pointed at moto. The
fixtures that start moto and apply the plan are in conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from mediaday.tables import connections_table_spec, coordination_table_spec

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
STATE_BUCKET = "rehearsal-tfstate"
NAME = "mediaday-dev"
ROUTES = {
    "$connect": (f"{NAME}-connect", "connect.handler.on_connect"),
    "$disconnect": (f"{NAME}-disconnect", "connect.handler.on_disconnect"),
    "$default": (f"{NAME}-message", "messaging.handler.on_message"),
}
ROTATION_FUNCTION = f"{NAME}-rotate-signing-key"


# ---------------------------------------------------------------------------------------
# Table shapes, compared between the Python definitions, the plan and the deployed tables
# ---------------------------------------------------------------------------------------


def shape_of_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "keys": {key["KeyType"]: key["AttributeName"] for key in spec["KeySchema"]},
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]
        },
        "local_indexes": {
            index["IndexName"]: (
                {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]},
                index["Projection"]["ProjectionType"],
            )
            for index in spec.get("LocalSecondaryIndexes", [])
        },
        "stream": spec["StreamSpecification"]["StreamViewType"]
        if spec.get("StreamSpecification", {}).get("StreamEnabled")
        else None,
        "billing": spec.get("BillingMode", "PROVISIONED"),
    }


def shape_of_planned(values: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "HASH": values["hash_key"],
        **({"RANGE": values["range_key"]} if values["range_key"] else {}),
    }
    return {
        "keys": keys,
        "attributes": {a["name"]: a["type"] for a in values["attribute"]},
        "local_indexes": {
            index["name"]: (
                {"HASH": values["hash_key"], "RANGE": index["range_key"]},
                index["projection_type"],
            )
            for index in values["local_secondary_index"]
        },
        "stream": values["stream_view_type"] if values["stream_enabled"] else None,
        "billing": values["billing_mode"],
    }


def shape_of_table(table: dict[str, Any]) -> dict[str, Any]:
    stream = table.get("StreamSpecification", {})
    return {
        "keys": {key["KeyType"]: key["AttributeName"] for key in table["KeySchema"]},
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]
        },
        "local_indexes": {
            index["IndexName"]: (
                {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]},
                index["Projection"]["ProjectionType"],
            )
            for index in table.get("LocalSecondaryIndexes", [])
        },
        "stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "billing": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
    }


EXPECTED_TABLES = {
    f"{NAME}-connections": shape_of_spec(connections_table_spec("x")),
    f"{NAME}-coordination": shape_of_spec(coordination_table_spec("x")),
}


def client(service: Any, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


@dataclass
class Deployment:
    endpoint: str
    plan: dict[str, Any]
    state: dict[str, Any]
    outputs: dict[str, Any]
    apply_seconds: float

    def client(self, service: str) -> Any:
        return client(service, self.endpoint)


def planned_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from planned_resources(child)
