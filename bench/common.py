"""What every benchmark shares: figures, the table, the JSON file, process plumbing.

A benchmark module offers `run(smoke: bool) -> Outcome` and `main()`; `python -m bench`
runs each in a fresh interpreter (so imports, mocks and sockets of one never skew another)
and collects the outcomes into one table and `bench/results/latest.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"


@dataclass
class Figure:
    """One measured figure and the reference it is judged against (same unit, same run)."""

    metric: str
    name: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        ratio = self.ratio
        data["ratio"] = None if ratio is None else round(ratio, 3)
        return data


def bounded_figure(
    metric: str,
    name: str,
    value: float,
    reference: float,
    reference_name: str,
    ratio: float | None,
    *,
    unit: str = "ms",
    digits: int = 1,
) -> Figure:
    """A figure judged `value <= ratio x reference` on the unrounded numbers (not judged
    when `ratio` is None): the target the latency and cold-start benchmarks share."""
    rounded, reference_rounded = round(value, digits), round(reference, digits)
    if ratio is None:
        return Figure(metric, name, rounded, unit, reference_rounded, reference_name)
    target, met = f"<= {ratio:g}x ref", value <= ratio * reference
    return Figure(metric, name, rounded, unit, reference_rounded, reference_name, target, met)


@dataclass
class Outcome:
    """What one benchmark measured: its figures, parameters, raw details and notes."""

    benchmark: str
    figures: list[Figure]
    parameters: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "seconds": round(self.seconds, 1),
            "parameters": self.parameters,
            "figures": [figure.as_json() for figure in self.figures],
            "details": self.details,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        figures = [
            Figure(**{k: v for k, v in raw.items() if k != "ratio"}) for raw in data["figures"]
        ]
        return cls(
            benchmark=data["benchmark"],
            figures=figures,
            parameters=data.get("parameters", {}),
            details=data.get("details", {}),
            notes=data.get("notes", []),
            seconds=data.get("seconds", 0.0),
        )


# -- statistics ----------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linearly interpolated between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


# -- the table -----------------------------------------------------------------------------
def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if float(value).is_integer() or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" if ratio >= 0.01 else f"{ratio:.2g}x"


def table(figures: Sequence[Figure]) -> str:
    """The figures as a fixed-width text table."""
    rows = [("metric", "figure", "measured", "reference", "ratio", "target", "met")]
    for figure in figures:
        ratio = figure.ratio
        reference = _number(figure.reference, figure.unit)
        if figure.reference_name:
            reference = f"{reference} ({figure.reference_name})"
        met = {True: "yes", False: "NO", None: ""}[figure.met]
        rows.append(
            (
                figure.metric,
                figure.name,
                _number(figure.value, figure.unit),
                reference,
                _ratio(ratio),
                figure.target,
                met,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(width) if column in (2, 4) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_json(path: Path, value: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(temporary, path)


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- one benchmark as a program ------------------------------------------------------------
def benchmark_main(name: str, run: Callable[[bool], Outcome], description: str) -> None:
    """`python -m bench.<name> [--smoke] [--json PATH]`: run, print, optionally write."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=description)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--json", type=Path, help="write the outcome here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)  # so that `finally` stops what we started
    started = time.perf_counter()
    outcome = run(args.smoke)
    outcome.seconds = time.perf_counter() - started
    print(table(outcome.figures))
    for note in outcome.notes:
        print(f"  note: {note}")
    if args.json is not None:
        write_json(args.json, outcome.as_json())


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# -- process plumbing ----------------------------------------------------------------------
def raise_fd_limit() -> int:
    """Raise this process's open-file limit as far as the hard limit allows (children
    inherit it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


RAM_DISK = Path("/dev/shm")


def scratch_dir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary data directory, on the RAM disk when there is one.

    DynamoDB Local syncs SQLite to disk on every write: on a VM disk that takes ~15 ms and
    would swamp every figure (the durability tests cover the disk); on tmpfs it is free.
    """
    usable = RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=RAM_DISK if usable else None)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (all its threads, live or ended)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct child processes of a process (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def offline_aws_env() -> None:
    """Fake credentials and no profile, so nothing here can reach a real AWS account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )


def python_env() -> dict[str, str]:
    """The environment for a child interpreter that imports the repository's packages."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT)
    return env


def bare_post(
    connection: http.client.HTTPConnection, path: str, body: bytes, headers: Mapping[str, str]
) -> Callable[[], None]:
    """One POST of `body`, signed once up front, on a kept-alive connection: the floor
    every poster's cost is judged against. It raises unless answered 200."""
    fixed = dict(headers)

    def post() -> None:
        connection.request("POST", path, body=body, headers=fixed)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"bare POST {path} answered {response.status}")

    return post


def run_python(
    python: str | Path, args: Sequence[str], *, cwd: Path, env: Mapping[str, str], what: str
) -> subprocess.CompletedProcess[str]:
    """`python args` to completion (2 min at most), output captured; RuntimeError naming
    `what`, with the end of its stderr, if it fails."""
    result = subprocess.run(  # a fixed argument list
        [str(python), *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stderr[-2000:]}")
    return result


def stop_on_timeout(process: subprocess.Popen[Any], timeout: float) -> int:
    """Wait for a benchmark process; past `timeout`, SIGTERM it first, so that its
    `finally` blocks stop the stacks and servers it started (see benchmark_main), then
    SIGKILL if that hangs, and raise TimeoutExpired."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        _terminate(process, grace=90)
        raise


def _terminate(process: subprocess.Popen[Any], *, grace: float) -> None:
    """SIGTERM, so that the process's `finally` blocks run; SIGKILL past `grace` seconds."""
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace)
        return  # it stopped in time
    process.kill()
    process.wait()


@contextlib.contextmanager
def child_process(
    arguments: Sequence[str], *, ready_line: str, timeout: float = 30.0
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `python <arguments>` in its own process group until the block ends; yields the
    process and the first stdout line that starts with `ready_line` (e.g. its port)."""
    process = subprocess.Popen(  # a fixed argument list
        [sys.executable, *arguments],
        cwd=REPO_ROOT,
        env=python_env(),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            readable, _, _ = select.select([process.stdout], [], [], 0.5)
            if not readable:
                if process.poll() is not None:
                    raise RuntimeError(f"{arguments} exited with {process.returncode}")
                continue
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError(f"{arguments} exited with {process.returncode}")
            if line.startswith(ready_line):
                break
        else:
            raise RuntimeError(f"{arguments} was not ready in {timeout}s")
        yield process, line.strip()
    finally:
        if process.poll() is None:
            _terminate(process, grace=10)
        if process.stdout is not None:
            process.stdout.close()
