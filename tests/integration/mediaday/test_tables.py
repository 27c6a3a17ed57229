"""Creating the tables survives a retried CreateTable, as a busy machine's botocore makes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from mediaday.tables import create_tables


class _ListsNothing:
    """A client whose ListTables is stale: the table exists, yet is not listed (what a
    CreateTable that timed out and was retried looks like to the caller)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def list_tables(self) -> dict[str, Any]:
        return {"TableNames": []}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.mark.usefixtures("aws")
def test_create_tables_accepts_a_table_its_own_earlier_attempt_made() -> None:
    client = boto3.client("dynamodb", region_name="eu-west-1")
    create_tables(client, connections="conns", coordination="coord")

    create_tables(_ListsNothing(client), connections="conns", coordination="coord")

    assert sorted(client.list_tables()["TableNames"]) == ["conns", "coord"]
