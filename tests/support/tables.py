"""Reading whole tables back, for assertions (the service itself never scans)."""

from __future__ import annotations

from typing import Any


def table_rows(client: Any, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        rows.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(rows, key=lambda row: (row["pk"]["S"], row["sk"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
