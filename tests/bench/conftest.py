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

from bench.common import REPO_ROOT, python_env, stop_on_timeout

Smoke = Callable[[str], dict[str, Any]]


@pytest.fixture
def smoke(tmp_path: Path) -> Smoke:
    """Run one benchmark's smoke size; its outcome (the JSON it wrote)."""

    def run(name: str) -> dict[str, Any]:
        output = tmp_path / f"{name}.json"
        log = tmp_path / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", f"bench.{name}", "--smoke", "--json", str(output)],
                cwd=REPO_ROOT,
                env=python_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            code = stop_on_timeout(process, 120)  # SIGTERM first: it stops its servers
        assert code == 0, log.read_text()[-4000:]
        outcome: dict[str, Any] = json.loads(output.read_text())
        assert outcome["benchmark"] == name
        return outcome

    return run
