"""Smoke: the cold-start benchmark times each handler import against `import boto3`."""

from __future__ import annotations

import json

from bench.cold_start import HANDLERS, STAIRCASE, where_it_goes


def test_each_handler_import_is_timed_against_boto3_and_explained(cold_start_run):
    # When the benchmark runs at its smoke size (through the runner, once a session)
    assert cold_start_run.code == 0, cold_start_run.stderr
    outcome = json.loads(cold_start_run.output.read_text())["benchmarks"]["cold_start"]

    # Then there is one figure per handler module, judged against a bare boto3 import
    figures = {figure["name"]: figure for figure in outcome["figures"]}
    assert set(figures) == {f"import {module}" for module in HANDLERS}
    for figure in figures.values():
        assert figure["reference_name"] == "import boto3"
        assert figure["value"] > 0 and figure["reference"] > 0
        assert figure["met"] == (figure["value"] <= 1.5 * figure["reference"])
    # and each handler's extra import time is attributed to packages
    for module in HANDLERS:
        assert outcome["details"][module]["importtime_extra_over_boto3"]
    # and the staircase has every step, in order, each measured in the same interpreter:
    # its running CPU total never goes down, and the handlers cost more than boto3 alone
    steps = outcome["details"]["staircase"]
    assert [step["step"] for step in steps] == [name for name, _ in STAIRCASE]
    totals = [step["total_ms"] for step in steps]
    assert totals[0] > 0 and totals == sorted(totals), steps
    assert totals[-1] > totals[0], steps
    assert all(step["adds_ms"] >= 0 for step in steps), steps


def test_where_it_goes_lists_the_largest_extra_packages_first():
    handler = {"pydantic": 30_000, "botocore": 52_000, "mediaday": 12_000, "tiny": 500}
    reference = {"botocore": 49_000}
    expected = ["pydantic 30 ms", "mediaday 12 ms", "botocore 3 ms"]
    assert where_it_goes(handler, reference) == expected
