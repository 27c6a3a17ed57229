"""Smoke runs of the benchmarks: each one at tiny sizes, as `make bench` runs it (a new
interpreter, `python -m bench.<name> --smoke --json PATH`), checked for what it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.common import REPO_ROOT, python_env

Smoke = Callable[[str], dict[str, Any]]


@pytest.fixture
def smoke(tmp_path: Path) -> Smoke:
    """Run one benchmark's smoke size; its outcome (the JSON it wrote)."""

    def run(name: str) -> dict[str, Any]:
        output = tmp_path / f"{name}.json"
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", "--smoke", "--json", str(output)],
            cwd=REPO_ROOT,
            env=python_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        outcome: dict[str, Any] = json.loads(output.read_text())
        assert outcome["benchmark"] == name
        return outcome

    return run
