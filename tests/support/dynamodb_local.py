"""DynamoDB Local for tests that need real DynamoDB semantics (atomic transactions under
concurrency, streams) without the whole stack: one instance per session, fresh tables
per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra.local.dynamodb import DynamoDBLocal
from mediaday.tables import create_tables


@dataclass(frozen=True)
class LocalTables:
    client: Any
    streams: Any
    connections: str
    coordination: str
    stream_arn: str


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDBLocal]:
    database = DynamoDBLocal(tmp_path_factory.mktemp("dynamodb-local"))
    database.start()
    try:
        yield database
    finally:
        database.stop()


@pytest.fixture
def local_tables(dynamodb_local: DynamoDBLocal) -> LocalTables:
    """Both tables under fresh names, so tests sharing the instance never meet."""
    suffix = uuid.uuid4().hex[:8]
    client = dynamodb_local.client()
    names = {"connections": f"conn-{suffix}", "coordination": f"coord-{suffix}"}
    create_tables(client, **names)
    arn = client.describe_table(TableName=names["coordination"])["Table"]["LatestStreamArn"]
    return LocalTables(
        client=client,
        streams=dynamodb_local.client("dynamodbstreams"),
        stream_arn=arn,
        **names,
    )
