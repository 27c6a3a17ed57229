"""4. Cold start: the import time of each Lambda handler module in a fresh interpreter,
against a bare `import boto3` in the same run. Target: <= 1.5x.

Two settings: the dev venv (the sources, with their bytecode caches), and the deployed
zip as Lambda runs it (bench/deployed.py: built by `make package`, unzipped read-only,
Python 3.12, no bytecode written, boto3 from a runtime directory of its own); the target
is judged on the deployed figure, the one a cold start in AWS pays. The full run only:
building the zips takes a minute.

Each import runs in its own new interpreter, the modules taking turns so that a burst of
load on the machine hits them all alike; the figure is the median over the runs (one
warm-up run each first, so bytecode caches exist, as in a deployed package). The time is
the importing process's CPU time (user + system), which a busy shared machine barely
disturbs; wall times are kept in the JSON. The environment is Lambda's as deployed:
`LAMBDA_TASK_ROOT` and a function name set and tracing on (Terraform's default), so
Powertools' Tracer loads and patches the X-Ray SDK just as it does in AWS.

Where the time goes: `python -X importtime` of each handler against that of boto3 alone,
summed per top-level package (self times), largest differences first.

    .venv/bin/python -m bench.cold_start [--smoke] [--json PATH]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.common import (
    REPO_ROOT,
    Outcome,
    benchmark_main,
    bounded_figure,
    median,
    run_python,
)
from bench.deployed import Deployed, deployed_packages, import_deployed

REFERENCE = "boto3"
HANDLERS = ("connect.handler", "messaging.handler", "broadcast.handler")
SERVICE_OF = {module: module.split(".", 1)[0] for module in HANDLERS}
TARGET_RATIO = 1.5

_PROBE = """
import json, sys, time
cpu, wall = time.process_time(), time.perf_counter()
import {module}
print(json.dumps({{"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}}))
"""


@dataclass(frozen=True)
class Plan:
    runs: int
    profiles: int  # -X importtime runs per module (the minimum per package is kept)
    warmup: bool


FULL = Plan(runs=9, profiles=3, warmup=True)
SMOKE = Plan(runs=1, profiles=1, warmup=False)


def lambda_env() -> dict[str, str]:
    """A Lambda function's environment, with fake credentials and nothing of ours."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_", "MEDIADAY_", "PYTHON"))
    }
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "LAMBDA_TASK_ROOT": str(REPO_ROOT),
            "AWS_LAMBDA_FUNCTION_NAME": "mediaday-bench",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "bench",
            "POWERTOOLS_METRICS_NAMESPACE": "MediaDayLive",
            "MEDIADAY_CONNECTIONS_TABLE": "mediaday-connections",
            "MEDIADAY_COORDINATION_TABLE": "mediaday-coordination",
        }
    )
    return env


def _python(args: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter with `args` in `env`; RuntimeError naming `what` if it fails."""
    return run_python(sys.executable, args, cwd=REPO_ROOT, env=env, what=what)


def import_once(module: str, env: dict[str, str]) -> dict[str, float]:
    """Seconds of CPU and wall time `import module` takes in a new interpreter."""
    result = _python(["-c", _PROBE.format(module=module)], env, f"import {module}")
    timings: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return timings


def import_profile(module: str, env: dict[str, str], runs: int) -> Counter[str]:
    """Microseconds of self import time per top-level package (`-X importtime`), the
    smallest of `runs` runs for each package (one run is noisy)."""
    profiles = [_import_profile(module, env) for _ in range(runs)]
    return Counter(
        {name: min(profile.get(name, 0) for profile in profiles) for name in profiles[0]}
    )


def _import_profile(module: str, env: dict[str, str]) -> Counter[str]:
    result = _python(["-X", "importtime", "-c", f"import {module}"], env, f"import {module}")
    totals: Counter[str] = Counter()
    seen = False
    for line in result.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].strip()
        if name == "site" and not seen:
            continue  # interpreter start-up, not the import measured
        seen = True
        totals[name.split(".")[0]] += int(fields[0])
    return totals


# Where the time goes, as a staircase: each step imports more, in one interpreter; a step's
# cost is what it adds to the ones before (CPU ms, median over the runs).
STAIRCASE = (
    ("boto3", "import boto3"),
    ("pydantic", "import pydantic; from pydantic import BaseModel"),
    (
        "Powertools Logger, Metrics, Tracer (X-Ray, botocore patched)",
        "from aws_lambda_powertools import Logger, Metrics, Tracer; "
        "Logger(); Metrics(); Tracer(patch_modules=['botocore'])",
    ),
    # (pydantic-settings and Powertools' parser models and batch package used to be steps
    # here: the handlers no longer import them, issue #17)
    (
        "our settings, events, models and protocol",
        "import mediaday.settings, mediaday.gateway_events, mediaday.models, mediaday.protocol",
    ),
    ("the three handlers", "import connect.handler, messaging.handler, broadcast.handler"),
)

_STAIRS = """
import json, time
steps = []
cpu = time.process_time()
{body}
print(json.dumps(steps))
"""


def staircase(env: dict[str, str], runs: int) -> list[dict[str, Any]]:
    """CPU ms each STAIRCASE step adds to the ones before it (medians)."""
    body = "\n".join(
        f"{statement}\nsteps.append(time.process_time() - cpu)" for _, statement in STAIRCASE
    )
    samples: list[list[float]] = []
    for _ in range(runs):
        result = _python(["-c", _STAIRS.format(body=body)], env, "staircase")
        samples.append(json.loads(result.stdout.strip().splitlines()[-1]))
    steps = []
    previous = 0.0
    for index, (name, _) in enumerate(STAIRCASE):
        total = median([sample[index] for sample in samples]) * 1000
        steps.append(
            {"step": name, "adds_ms": round(total - previous, 1), "total_ms": round(total, 1)}
        )
        previous = total
    return steps


def where_it_goes(
    handler: Mapping[str, int], reference: Mapping[str, int], top: int = 6
) -> list[str]:
    """The packages whose self import time grows most over the reference's."""
    extra = {name: handler[name] - reference.get(name, 0) for name in handler}
    largest = sorted(extra.items(), key=lambda item: -item[1])[:top]
    return [f"{name} {micro / 1000:.0f} ms" for name, micro in largest if micro > 1000]


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    env = lambda_env()
    modules = (REFERENCE, *HANDLERS)
    for module in modules if plan.warmup else ():
        import_once(module, env)  # warm-up: bytecode caches
    cpu: dict[str, list[float]] = {module: [] for module in modules}
    wall: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(plan.runs):
        for module in modules:
            timing = import_once(module, env)
            cpu[module].append(timing["cpu"] * 1000)
            wall[module].append(timing["wall"] * 1000)
    reference = median(cpu[REFERENCE])
    figures = []
    for module in HANDLERS:
        value = median(cpu[module])
        figures.append(
            bounded_figure(
                "4 cold start", f"import {module}", value, reference, "import boto3", TARGET_RATIO
            )
        )
    details: dict[str, Any] = {
        module: {
            "cpu_ms_median": round(median(cpu[module]), 1),
            "wall_ms_median": round(median(wall[module]), 1),
            "cpu_ms": [round(v, 1) for v in cpu[module]],
            "wall_ms": [round(v, 1) for v in wall[module]],
        }
        for module in modules
    }
    notes = [
        f"median of {plan.runs} fresh interpreters each, CPU time; Lambda environment with "
        "tracing on"
    ]
    stairs = staircase(env, plan.runs)
    details["staircase"] = stairs
    boto3_ms = stairs[0]["total_ms"]
    notes.append(
        "where the time goes (CPU ms each import adds, in order): "
        + ", ".join(f"{step['step']} +{step['adds_ms']:.0f}" for step in stairs)
        + f"; boto3 + pydantic alone are {stairs[1]['total_ms'] / boto3_ms:.2f}x boto3"
    )
    if plan.profiles:
        baseline = import_profile(REFERENCE, env, plan.profiles)
        for module in HANDLERS:
            profile = import_profile(module, env, plan.profiles)
            extra = where_it_goes(profile, baseline)
            details[module]["importtime_extra_over_boto3"] = extra
            notes.append(f"{module} beyond boto3 (-X importtime, self): {', '.join(extra)}")
    if not smoke:
        with deployed_packages() as deployed:
            if deployed is None:
                notes.append("deployed zips: not measured (no local Python 3.12)")
            else:
                figures += deployed_figures(deployed, env, plan, details, notes)
    return Outcome(
        benchmark="cold_start",
        figures=figures,
        parameters={
            "runs": plan.runs,
            "environment": "LAMBDA_TASK_ROOT set, tracing on (Terraform default)",
            "clock": "process CPU time (user + system)",
        },
        details=details,
        notes=notes,
    )


def deployed_figures(
    deployed: Deployed,
    env: dict[str, str],
    plan: Plan,
    details: dict[str, Any],
    notes: list[str],
) -> list[Any]:
    """The deployed zips' figures: each handler from its own unzipped package against
    `import boto3` from the runtime directory, taking turns, medians of CPU time."""
    cpu: dict[str, list[float]] = {module: [] for module in (REFERENCE, *HANDLERS)}
    for module in cpu:  # warm-up: the page cache, not bytecode (none can be written)
        import_deployed(deployed, SERVICE_OF.get(module, "connect"), module, env)
    for _ in range(plan.runs):
        for module, samples in cpu.items():
            timing = import_deployed(deployed, SERVICE_OF.get(module, "connect"), module, env)
            samples.append(timing["cpu"] * 1000)
    reference = median(cpu[REFERENCE])
    details["deployed"] = {
        module: {"cpu_ms_median": round(median(v), 1), "cpu_ms": [round(x, 1) for x in v]}
        for module, v in cpu.items()
    }
    details["deployed"]["zip_bytes"] = deployed.zip_bytes
    notes.append(
        f"deployed zips: Python 3.12 {deployed.python}, read-only task directory, "
        f"PYTHONDONTWRITEBYTECODE, boto3 from a runtime directory; import boto3 "
        f"{reference:.0f} ms CPU there"
    )
    return [
        bounded_figure(
            "4 cold start (deployed zip)",
            f"import {module}",
            median(cpu[module]),
            reference,
            "import boto3",
            TARGET_RATIO,
        )
        for module in HANDLERS
    ]


if __name__ == "__main__":
    benchmark_main("cold_start", run, __doc__.splitlines()[0])
