"""`python -m bench`: runs the chosen benchmarks, prints one table, writes one JSON file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import REPO_ROOT, python_env, stop_on_timeout


def run_bench(*args: str, tmp_path: Path) -> tuple[int, str, str]:
    """`python -m bench ARGS`: exit code, stdout, stderr."""
    out, err = tmp_path / "stdout", tmp_path / "stderr"
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


@pytest.mark.e2e  # the throughput benchmark runs DynamoDB Local
def test_the_runner_collects_figures_into_one_table_and_json(tmp_path):
    # When the runner runs one benchmark at its smoke size
    output = tmp_path / "results.json"
    code, stdout, stderr = run_bench(
        "--smoke", "--only", "throughput", "--json", str(output), tmp_path=tmp_path
    )

    # Then it prints the combined table and writes every figure with its machine and load
    assert code == 0, stderr
    assert "== all figures" in stdout and "2 throughput" in stdout
    written = json.loads(output.read_text())
    assert written["smoke"] is True and written["failed"] == {}
    assert list(written["benchmarks"]) == ["throughput"]
    assert [figure["metric"] for figure in written["figures"]] == ["2 throughput"]
    assert written["machine"]["cpus"] >= 1 and len(written["load_average"]["start"]) == 3


def test_an_unknown_benchmark_is_refused_before_anything_runs(tmp_path):
    output = tmp_path / "results.json"
    code, _, stderr = run_bench("--only", "nonsense", "--json", str(output), tmp_path=tmp_path)
    assert code == 2
    assert "unknown benchmark(s): nonsense" in stderr
    assert not output.exists()
