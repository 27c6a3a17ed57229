"""`python -m bench`: runs the chosen benchmarks, prints one table, writes one JSON file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.common import REPO_ROOT, python_env


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO_ROOT,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e  # the throughput benchmark runs DynamoDB Local
def test_the_runner_collects_figures_into_one_table_and_json(tmp_path):
    # When the runner runs one benchmark at its smoke size
    output = tmp_path / "results.json"
    result = run_bench("--smoke", "--only", "throughput", "--json", str(output))

    # Then it prints the combined table and writes every figure with its machine and load
    assert result.returncode == 0, result.stderr
    assert "== all figures" in result.stdout and "2 throughput" in result.stdout
    written = json.loads(output.read_text())
    assert written["smoke"] is True and written["failed"] == {}
    assert list(written["benchmarks"]) == ["throughput"]
    assert [figure["metric"] for figure in written["figures"]] == ["2 throughput"]
    assert written["machine"]["cpus"] >= 1 and len(written["load_average"]["start"]) == 3


def test_an_unknown_benchmark_is_refused_before_anything_runs(tmp_path):
    output = tmp_path / "results.json"
    result = run_bench("--only", "nonsense", "--json", str(output))
    assert result.returncode == 2
    assert "unknown benchmark(s): nonsense" in result.stderr
    assert not output.exists()
