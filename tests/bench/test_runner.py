"""`python -m bench`: runs the chosen benchmarks, prints one table, writes one JSON file."""

from __future__ import annotations

import json


def test_the_runner_collects_figures_into_one_table_and_json(cold_start_run):
    # When the runner runs one benchmark at its smoke size (the session's cold_start_run)
    # Then it prints the combined table and writes every figure with its machine and load
    assert cold_start_run.code == 0, cold_start_run.stderr
    assert "== all figures" in cold_start_run.stdout
    assert "4 cold start" in cold_start_run.stdout
    written = json.loads(cold_start_run.output.read_text())
    assert written["smoke"] is True and written["failed"] == {}
    assert list(written["benchmarks"]) == ["cold_start"]
    assert {figure["metric"] for figure in written["figures"]} == {"4 cold start"}
    assert written["machine"]["cpus"] >= 1 and len(written["load_average"]["start"]) == 3


def test_an_unknown_benchmark_is_refused_before_anything_runs(bench_runner, tmp_path):
    output = tmp_path / "results.json"
    code, _, stderr = bench_runner("--only", "nonsense", "--json", str(output), directory=tmp_path)
    assert code == 2
    assert "unknown benchmark(s): nonsense" in stderr
    assert not output.exists()
