"""The `local_stack` fixture: one `mediaday serve` with the demo day per test module (or
per folder, where a folder's conftest shares one: tests/browser/views, tests/e2e/stack).

The runner itself is infra/local/runner.py, shared with the benchmarks; this module adds
only what pytest needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.dynamodb import local_client
from infra.local.layout import CONNECTIONS_TABLE, COORDINATION_TABLE, key_file
from infra.local.runner import LocalStack
from mediaday.connections import META_SK
from mediaday.coordination import CoordinationStore
from mediaday.keys import FileKeyProvider
from mediaday.tokens import verify_token


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One running stack with the demo day, shared by a test module."""
    yield from running_stack(tmp_path_factory)


def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack with the demo day until the generator is closed: the body of `local_stack`,
    for a folder whose modules share one stack (a package-scoped `local_stack` there)."""
    stack = LocalStack(tmp_path_factory.mktemp("stack")).start()
    try:
        yield stack
    finally:
        if stack.running:
            stack.stop()


def connection_id_of(stack: LocalStack, token: str) -> str:
    """The id the gateway gave the one socket opened with `token` (only the handlers are
    told): its connection row carries the token's unique id (`jti`)."""
    token_id = verify_token(token, FileKeyProvider(key_file(stack.data_dir))).token_id
    dynamodb = local_client(stack.dynamodb_endpoint)
    rows = [
        row
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=CONNECTIONS_TABLE,
            FilterExpression="sk = :meta AND token_id = :jti",
            ExpressionAttributeValues={":meta": {"S": META_SK}, ":jti": {"S": token_id}},
            ConsistentRead=True,
        )
        for row in page.get("Items", [])
    ]
    assert len(rows) == 1, rows
    return str(rows[0]["connection_id"]["S"])


def connection_rows(stack: LocalStack, connection_id: str) -> list[Any]:
    """Every row of one connection (the connection, its subscriptions, its counters)."""
    rows: list[Any] = local_client(stack.dynamodb_endpoint).query(
        TableName=CONNECTIONS_TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"conn#{connection_id}"}},
        ConsistentRead=True,
    )["Items"]
    return rows


def coordination_store(stack: LocalStack) -> CoordinationStore:
    """The stack's coordination table, read as the handlers read it."""
    return CoordinationStore(COORDINATION_TABLE, local_client(stack.dynamodb_endpoint))
