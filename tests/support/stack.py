"""The `local_stack` fixture: one `mediaday serve` with the demo day per test module.

The runner itself is infra/local/runner.py, shared with the benchmarks; this module adds
only what pytest needs.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from infra.local.layout import CONNECTIONS_TABLE, key_file
from infra.local.runner import LocalStack
from mediaday.connections import META_SK
from mediaday.keys import FileKeyProvider
from mediaday.tokens import verify_token


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One running stack with the demo day, shared by a test module."""
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
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
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
