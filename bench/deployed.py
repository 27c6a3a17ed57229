"""The cold start of the deployed zips, as Lambda runs them: each zip unzipped into a
read-only task directory, Python 3.12 (the runtime's), no bytecode written, and boto3 from
a runtime directory of its own (Lambda's /var/runtime, precompiled as there), in a fresh
interpreter per import. `bench.cold_start` reports these beside the dev-venv figures.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bench.common import run_python
from infra.package import LAMBDA_PYTHON, SERVICES, Target, build, find_python, pip_install

# What Lambda puts on sys.path, in its order: the task, the runtime, the standard library.
_PROBE = """
import json, sys, time
task, runtime, module = sys.argv[1:4]
sys.path[:] = [task, runtime] + [p for p in sys.path if "site-packages" not in p]
cpu, wall = time.process_time(), time.perf_counter()
__import__(module)
print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}))
"""


@dataclass(frozen=True)
class Deployed:
    """Unzipped packages by service, the runtime directory and the interpreter."""

    python: Path
    tasks: dict[str, Path]
    runtime: Path
    zip_bytes: dict[str, int]


@contextmanager
def deployed_packages() -> Iterator[Deployed | None]:
    """Build the zips (for Lambda), unzip them read-only, and install the runtime's boto3
    (the dev venv's version); None when no Python 3.12 is installed."""
    python = find_python(LAMBDA_PYTHON)
    if python is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="cold-start-") as work_name:
        work = Path(work_name)
        zips = build(out_dir=work / "zips", target=Target())
        runtime = work / "runtime"
        requirements = work / "runtime.txt"
        requirements.write_text(f"boto3=={version('boto3')}\n")
        pip_install(requirements, runtime, Target())
        # /var/runtime ships compiled; ours is compiled once, as there, before it is frozen
        subprocess.run(  # a fixed argument list
            [str(python), "-I", "-m", "compileall", "-q", str(runtime)], check=True, timeout=600
        )
        tasks = {}
        for service in SERVICES:
            task = work / f"task-{service}"
            with zipfile.ZipFile(zips[service]) as archive:
                archive.extractall(task)
            tasks[service] = task
        frozen = [runtime, *tasks.values()]
        for root in frozen:
            _set_read_only(root, True)
        try:
            yield Deployed(python, tasks, runtime, {s: p.stat().st_size for s, p in zips.items()})
        finally:
            for root in frozen:
                _set_read_only(root, False)


def _set_read_only(root: Path, read_only: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o555 if read_only else 0o755)
        else:
            path.chmod(0o444 if read_only else 0o644)


def import_deployed(
    deployed: Deployed, service: str, module: str, env: Mapping[str, str]
) -> dict[str, float]:
    """CPU and wall seconds of `import module` from `service`'s unzipped package."""
    task = deployed.tasks[service]
    lambda_env = {
        **{k: v for k, v in env.items() if k not in ("PYTHONPATH", "LAMBDA_TASK_ROOT")},
        "LAMBDA_TASK_ROOT": str(task),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{LAMBDA_PYTHON}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = run_python(
        deployed.python,
        ["-I", "-c", _PROBE, str(task), str(deployed.runtime), module],
        cwd=task,
        env=lambda_env,
        what=f"deployed import of {module}",
    )
    timings: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return timings
