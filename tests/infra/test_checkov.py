"""checkov over the Terraform: no failed check, and every skip says why, inline."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.tools import INFRA, ROOT, run_tool, tool

pytestmark = pytest.mark.infra

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?$")


@pytest.fixture(scope="module")
def report(infra_tools: None) -> dict[str, Any]:
    result = run_tool(
        [
            tool("checkov"),
            "--directory",
            INFRA,
            "--framework",
            "terraform",
            "--skip-path",
            "infra/local",
            "--skip-download",  # offline: no Prisma Cloud guidelines
            "--output",
            "json",
        ],
        cwd=ROOT,
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-3000:]}"
    parsed = json.loads(result.stdout)
    report: dict[str, Any] = parsed[0] if isinstance(parsed, list) else parsed
    return report


def test_no_check_fails(report: dict[str, Any]) -> None:
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 100


def test_every_skip_is_inline_with_a_reason(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    assert skipped, "expected the documented inline skips to be reported"
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.strip()) >= 20, f"{check['check_id']} on {check['resource']}: {reason!r}"


def test_skip_comments_in_the_sources_all_carry_reasons() -> None:
    comments = []
    for path in sorted(INFRA.rglob("*.tf")):
        if ".terraform" in path.parts or path.relative_to(INFRA).parts[0] == "local":
            continue
        for line in path.read_text().splitlines():
            match = SKIP_COMMENT.search(line.strip())
            if match:
                comments.append((path.name, match.group(1), (match.group(2) or "").strip()))
    assert comments
    missing = [f"{name}: {check_id}" for name, check_id, reason in comments if len(reason) < 20]
    assert not missing, missing
