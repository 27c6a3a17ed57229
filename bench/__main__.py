"""Run every benchmark, print one table, write bench/results/latest.json.

    .venv/bin/python -m bench                         # `make bench`: < 10 minutes on 2 cores
    .venv/bin/python -m bench --smoke                 # tiny sizes: seconds
    .venv/bin/python -m bench --only cold_start,throughput

Each benchmark runs in a fresh interpreter (`python -m bench.<name> --json ...`), so one's
imports, mocks, sockets and memory never skew another's figures; one that fails is
reported and the others still run (the exit status is then 1).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS,
    Figure,
    Outcome,
    machine,
    now_stamp,
    python_env,
    raise_fd_limit,
    stop_on_timeout,
    table,
    write_json,
)

# Quick and steady first; the local-stack ones last.
BENCHMARKS = (
    "cold_start",
    "throughput",
    "broadcast_cost",
    "snapshot_cost",
    "poster_cost",
    "fanout_latency",
    "burst",
    "e2e_latency",
    "gateway_capacity",
    "import_burst",
)
TIMEOUT_SECONDS = {"full": 420.0, "smoke": 120.0}


def run_one(name: str, *, smoke: bool, timeout: float) -> Outcome:
    """`python -m bench.<name>` in a new interpreter; its outcome."""
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        output = Path(scratch) / f"{name}.json"
        errors = Path(scratch) / f"{name}.stderr"
        command = [sys.executable, "-m", f"bench.{name}", "--json", str(output)]
        if smoke:
            command.append("--smoke")
        with errors.open("w") as stderr:
            process = subprocess.Popen(  # a fixed argument list
                command, cwd=Path(__file__).resolve().parents[1], env=python_env(), stderr=stderr
            )
            try:
                code = stop_on_timeout(process, timeout)
            except subprocess.TimeoutExpired:
                raise RuntimeError(
                    f"bench.{name} took longer than {timeout:.0f} s{_tail(errors)}"
                ) from None
            except BaseException:  # Ctrl-C or SIGTERM: the benchmark stops what it started
                _stop(process)
                raise
        if code != 0:
            raise RuntimeError(f"bench.{name} exited with {code}{_tail(errors)}")
        return Outcome.from_json(json.loads(output.read_text()))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """After Ctrl-C (which the benchmark got too) give it time to clean up; after SIGTERM
    to us, pass it on."""
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(subprocess.TimeoutExpired):
            stop_on_timeout(process, 0)


def _tail(path: Path, lines: int = 25) -> str:
    text = path.read_text(errors="replace").strip().splitlines()[-lines:]
    return ("\n" + "\n".join(text)) if text else ""


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds, for tests)")
    parser.add_argument(
        "--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}", default=""
    )
    parser.add_argument(
        "--json", type=Path, default=RESULTS / "latest.json", help="where to write the results"
    )
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name] or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    raise_fd_limit()  # inherited by every benchmark and the servers they start
    signal.signal(signal.SIGTERM, _interrupted)

    timeout = TIMEOUT_SECONDS["smoke" if args.smoke else "full"]
    started = time.perf_counter()
    load_before = os.getloadavg()
    outcomes: list[Outcome] = []
    failures: dict[str, str] = {}
    for name in chosen:
        print(f"\n== bench.{name}{' (smoke)' if args.smoke else ''}", flush=True)
        try:
            outcomes.append(run_one(name, smoke=args.smoke, timeout=timeout))
        except RuntimeError as error:
            failures[name] = str(error)
            print(f"!! {error}", flush=True)
    seconds = time.perf_counter() - started

    figures: list[Figure] = sorted(  # by metric number, each benchmark's order kept
        (figure for outcome in outcomes for figure in outcome.figures),
        key=lambda figure: figure.metric.split()[0],
    )
    print(f"\n== all figures ({seconds:.0f} s; load average {load_before[0]:.1f} at the start)")
    print(table(figures))
    for name, reason in failures.items():
        print(f"FAILED {name}: {reason}")
    result: dict[str, Any] = {
        "at": now_stamp(),
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "smoke": args.smoke,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "load_average": {"start": load_before, "end": os.getloadavg()},
        "figures": [figure.as_json() for figure in figures],
        "benchmarks": {outcome.benchmark: outcome.as_json() for outcome in outcomes},
        "failed": failures,
    }
    write_json(args.json, result)
    print(f"written to {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
