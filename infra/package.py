"""Build the Lambda deployment zips: one per service, for the Lambda platform.

Each zip holds the service package, the shared `mediaday` package and the dependencies
pinned in the service's `requirements.lock` (made from its `requirements.txt` by
`python -m infra.lock`), installed with `--require-hashes --no-deps` from manylinux wheels
for the target Python (`pip install --platform ... --only-binary=:all: --target`), so a
build on any Linux or macOS machine carries the right pydantic-core binary and nothing
that was not reviewed.

Lambda's task directory is read-only, so Python cannot write the bytecode it compiles at
a cold start: every cold start would compile pydantic, Powertools and our code again.
The zips therefore carry `__pycache__/*.cpython-312.pyc` compiled by a Python 3.12 (the
runtime's) in unchecked-hash mode: valid without comparing source timestamps, and the
same bytes on every build (no timestamp inside), with source paths as Lambda sees them
(/var/task/...). Zip entries have fixed timestamps and modes, so the same commit gives the
same zip and Terraform's source_code_hash does not change.

boto3 and the rest of the AWS SDK bundle are left out: the Lambda Python runtime ships
them (/var/runtime) and we require nothing newer than it has (`boto3>=1.34`). They still
arrive as transitive dependencies (aws-xray-sdk needs botocore), so they are removed after
the install. The connect zip serves both $connect and $disconnect.

    python -m infra.package                      # build/connect.zip, messaging.zip, broadcast.zip
    python -m infra.package --python-version 3.11 --platform-tag native   # the running interpreter
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("connect", "messaging", "broadcast")
SHARED_PACKAGES = ("mediaday",)
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
# What the Lambda Python runtime already provides (boto3 and its dependencies).
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
# Fixed timestamp for every zip entry: the same sources give the same zip, and Terraform's
# source_code_hash does not change on a rebuild.
_EPOCH = (2020, 1, 1, 0, 0, 0)
_SKIPPED_PARTS = frozenset({".mypy_cache", ".pytest_cache"})
# Where Lambda unpacks the zip: the source path compiled into each pyc (tracebacks).
TASK_ROOT = "/var/task"
LOCK_SOURCE_LINE = "# from requirements.txt sha256 "


@dataclass(frozen=True)
class Target:
    """The interpreter the zips are for. `platform=None`: the running one (tests, no wheels
    for another platform needed)."""

    python_version: str = LAMBDA_PYTHON
    platform: str | None = LAMBDA_PLATFORM


class PackagingError(RuntimeError):
    """pip could not install a service's requirements for the target."""


def requirements_file(service: str, root: Path = ROOT) -> Path:
    return root / service / "requirements.txt"


def lock_file(service: str, root: Path = ROOT) -> Path:
    return root / service / "requirements.lock"


def source_digest(requirements: Path) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    """The requirements.txt digest a lock was made from (None: no lock, or no record)."""
    if not lock.exists():
        return None
    for line in lock.read_text().splitlines():
        if line.startswith(LOCK_SOURCE_LINE):
            return line.removeprefix(LOCK_SOURCE_LINE).strip()
    return None


def is_current(service: str, root: Path = ROOT) -> bool:
    return recorded_digest(lock_file(service, root)) == source_digest(
        requirements_file(service, root)
    )


def read_requirements(path: Path) -> list[str]:
    """Requirement lines without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def canonical_name(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def pip_target_options(target: Target) -> list[str]:
    """pip options that pick wheels for `target` (none: the running interpreter's)."""
    if target.platform is None:
        return []
    return [
        "--platform",
        target.platform,
        "--implementation",
        "cp",
        "--python-version",
        target.python_version,
        "--only-binary=:all:",
    ]


def run_pip_install(
    requirements: Path, target: Target, *options: str
) -> subprocess.CompletedProcess[str]:
    """`pip install --requirement requirements` with `options`, quietly, for `target`'s
    platform and Python: what building a package (below) and locking one (infra/lock.py)
    both run."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        *options,
        "--requirement",
        str(requirements),
        *pip_target_options(target),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def pip_install(
    requirements: Path, target_dir: Path, target: Target, *, locked: bool = False
) -> None:
    """Install `requirements` into `target_dir`; `locked`: a hashed lock, installed exactly
    (--require-hashes --no-deps: no file whose hash is not listed, no unlisted package)."""
    exactly = ["--require-hashes", "--no-deps"] if locked else []
    result = run_pip_install(
        requirements, target, "--no-compile", "--target", str(target_dir), *exactly
    )
    if result.returncode != 0:
        raise PackagingError(
            f"pip could not install {requirements} for Python {target.python_version} "
            f"({target.platform or 'this platform'}):\n{result.stderr.strip()}"
        )


def remove_distributions(site_dir: Path, names: Iterable[str]) -> list[str]:
    """Delete installed distributions (their files per RECORD, then the dist-info)."""
    wanted = {canonical_name(name) for name in names}
    removed = []
    for dist_info in sorted(site_dir.glob("*.dist-info")):
        name = canonical_name(dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        if name not in wanted:
            continue
        record = dist_info / "RECORD"
        if record.exists():
            for line in record.read_text().splitlines():
                relative = line.split(",", 1)[0]
                path = (site_dir / relative).resolve()
                if path.is_file() and path.is_relative_to(site_dir.resolve()):
                    path.unlink()
        shutil.rmtree(dist_info)
        removed.append(name)
    _remove_empty_dirs(site_dir)
    return removed


def _remove_empty_dirs(root: Path) -> None:
    for directory in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def copy_sources(packages: Sequence[str], dest: Path, root: Path = ROOT) -> None:
    for package in packages:
        shutil.copytree(
            root / package,
            dest / package,
            ignore=shutil.ignore_patterns(
                *_SKIPPED_PARTS, "__pycache__", "*.pyc", "requirements.txt", "requirements.lock"
            ),
        )


def find_python(version: str) -> Path | None:
    """A local CPython `version` (e.g. "3.12"): the running one, `python3.12` on PATH or
    pyenv's (a pyenv shim may exist without the version behind it, so each is run)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return Path(sys.executable)
    candidates = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    found = shutil.which(f"python{version}")
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in [*reversed(candidates), *([Path(found)] if found else [])]:
        result = subprocess.run(  # noqa: S603
            [str(candidate), "-I", "-c", probe], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and result.stdout.strip() == version:
            return candidate
    return None


def compile_bytecode(staging: Path, python: Path) -> None:
    """Compile every module in `staging` with `python`, as it will run in /var/task:
    unchecked-hash pycs (no timestamp to check on a read-only disk, none to vary)."""
    command = [
        str(python),
        "-I",
        "-m",
        "compileall",
        "-q",
        "-f",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(staging),
        "-p",
        TASK_ROOT,
        str(staging),
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if result.returncode != 0:
        raise PackagingError(f"{python} could not compile {staging.name}:\n{result.stdout[-3000:]}")


def write_zip(source_dir: Path, zip_path: Path) -> None:
    """Deterministic zip: sorted entries, fixed timestamps, 0644/0755 modes."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_suffix(".zip.partial")
    files = sorted(p for p in source_dir.rglob("*") if p.is_file())
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            if _SKIPPED_PARTS.intersection(path.relative_to(source_dir).parts):
                continue
            info = zipfile.ZipInfo(path.relative_to(source_dir).as_posix(), _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, path.read_bytes())
    partial.replace(zip_path)


def build(
    services: Sequence[str] = SERVICES,
    out_dir: Path = ROOT / "build",
    target: Target = Target(),
    root: Path = ROOT,
) -> dict[str, Path]:
    """Build `<out_dir>/<service>.zip` for each service; return the paths by service.

    Services with identical locks share one pip install (today all three do).
    """
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown service(s) {sorted(unknown)}: expected {', '.join(SERVICES)}")
    stale = [service for service in services if not is_current(service, root)]
    if stale:
        raise PackagingError(
            f"{', '.join(f'{s}/requirements.lock' for s in stale)} missing or older than "
            "requirements.txt: run `python -m infra.lock` and review the diff"
        )
    python = find_python(target.python_version)
    if python is None:
        raise PackagingError(
            f"Python {target.python_version} is needed to compile the bytecode Lambda runs "
            f"(install it, e.g. `pyenv install {target.python_version}`)"
        )
    built: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="package-") as work_name:
        work = Path(work_name)
        installed: dict[str, Path] = {}
        for service in services:
            text = lock_file(service, root).read_text().splitlines()
            lock = "\n".join(line for line in text if not line.startswith("#"))
            if lock not in installed:
                deps = work / f"deps-{len(installed)}"
                pip_install(lock_file(service, root), deps, target, locked=True)
                remove_distributions(deps, RUNTIME_PROVIDED)
                shutil.rmtree(deps / "bin", ignore_errors=True)
                installed[lock] = deps
            staging = work / service
            shutil.copytree(installed[lock], staging)
            copy_sources((service, *SHARED_PACKAGES), staging, root)
            compile_bytecode(staging, python)
            built[service] = out_dir / f"{service}.zip"
            write_zip(staging, built[service])
    return built


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument(
        "services", nargs="*", metavar="SERVICE", help=f"default: {' '.join(SERVICES)}"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--python-version", default=LAMBDA_PYTHON)
    parser.add_argument(
        "--platform-tag",
        default=LAMBDA_PLATFORM,
        help="wheel platform tag, or 'native' for the running interpreter's platform",
    )
    args = parser.parse_args(argv)
    platform = None if args.platform_tag == "native" else args.platform_tag
    target = Target(python_version=args.python_version, platform=platform)
    try:
        built = build(args.services or SERVICES, args.out, target)
    except (PackagingError, ValueError) as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    for zip_path in built.values():
        print(f"{zip_path}  {zip_path.stat().st_size / 1_000_000:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
