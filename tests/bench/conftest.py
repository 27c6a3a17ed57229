"""Smoke runs of the benchmarks: each one at tiny sizes, as `make bench` runs it (a new
interpreter, `python -m bench.<name> --smoke --json PATH`), checked for what it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.common import REPO_ROOT, python_env, stop_on_timeout

Smoke = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class RunnerRun:
    code: int
    stdout: str
    stderr: str
    output: Path


def run_bench(*args: str, directory: Path) -> tuple[int, str, str]:
    """`python -m bench ARGS`: exit code, stdout, stderr."""
    out, err = directory / "stdout", directory / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench", *args],
            cwd=REPO_ROOT,
            env=python_env(),
            stdout=stdout,
            stderr=stderr,
        )
        code = stop_on_timeout(process, 120)  # SIGTERM first: it stops its benchmark
    return code, out.read_text(), err.read_text()


@pytest.fixture
def bench_runner() -> Callable[..., tuple[int, str, str]]:
    """`run_bench` itself, for tests that run the runner with their own arguments."""
    return run_bench


@pytest.fixture(scope="session")
def cold_start_run(tmp_path_factory: pytest.TempPathFactory) -> RunnerRun:
    """`python -m bench --smoke --only cold_start`, once: the runner's test and the
    cold-start benchmark's test both read it."""
    directory = tmp_path_factory.mktemp("bench-runner")
    output = directory / "results.json"
    code, stdout, stderr = run_bench(
        "--smoke", "--only", "cold_start", "--json", str(output), directory=directory
    )
    return RunnerRun(code, stdout, stderr, output)


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
