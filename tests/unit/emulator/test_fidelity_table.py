"""The fidelity table of infra/local/README.md stays true: every row names an AWS source
and at least one test, and every test it names exists, so a row cannot outlive its proof."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "infra" / "local" / "README.md"
TEST_NAME = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def section() -> str:
    text = README.read_text()
    start = text.index("## How faithful the emulator is")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def rows() -> list[list[str]]:
    lines = [line for line in section().splitlines() if line.startswith("| ")]
    header, *body = lines
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "behaviour",
        "AWS source",
        "emulator",
        "test",
    ]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in body]


@cache
def functions_in(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    )


def test_every_row_has_a_behaviour_a_source_and_a_test():
    table = rows()
    assert len(table) >= 20
    labels = set(re.findall(r"\[([^\]]+)\] = \[", section()))
    for behaviour, source, emulator, tests in table:
        assert behaviour and emulator, behaviour
        cited = "](http" in source or any(f"[{label}]" in source for label in labels)
        assert cited, f"no AWS source or published observation for: {behaviour}"
        assert TEST_NAME.search(tests), f"no test for: {behaviour}"
    behaviours = [row[0] for row in table]
    assert len(set(behaviours)) == len(behaviours)


def test_every_test_the_section_names_exists():
    named = TEST_NAME.findall(section())
    assert named
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (ROOT / path).is_file() or name not in functions_in(path)
    ]
    assert missing == []
