"""Smoke: the cold-start benchmark times each handler import against `import boto3`."""

from __future__ import annotations

import json

from bench.cold_start import HANDLERS, where_it_goes


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
    # and the staircase adds up to the handlers' total
    steps = outcome["details"]["staircase"]
    assert steps[0]["step"] == "boto3"
    assert abs(sum(step["adds_ms"] for step in steps) - steps[-1]["total_ms"]) < 1


def test_where_it_goes_lists_the_largest_extra_packages_first():
    handler = {"pydantic": 30_000, "botocore": 52_000, "mediaday": 12_000, "tiny": 500}
    reference = {"botocore": 49_000}
    expected = ["pydantic 30 ms", "mediaday 12 ms", "botocore 3 ms"]
    assert where_it_goes(handler, reference) == expected
