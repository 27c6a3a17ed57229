"""Build the Lambda deployment zips: one per service, for the Lambda platform.

Each zip holds the service package, the shared `mediaday` package and the dependencies
named in the service's own `requirements.txt`, installed from manylinux wheels for the
target Python (`pip install --platform ... --only-binary=:all: --target`), so a build on
any Linux or macOS machine carries the right pydantic-core binary.

boto3 and the rest of the AWS SDK bundle are left out: the Lambda Python runtime ships
them (/var/runtime) and we require nothing newer than it has (`boto3>=1.34`). They still
arrive as transitive dependencies (aws-xray-sdk needs botocore), so they are removed after
the install. The connect zip serves both $connect and $disconnect.

    python -m infra.package                      # build/connect.zip, messaging.zip, broadcast.zip
    python -m infra.package --python-version 3.11 --platform-tag native   # the running interpreter
"""

from __future__ import annotations

import argparse
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
_SKIPPED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache"})


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


def read_requirements(path: Path) -> list[str]:
    """Requirement lines without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def canonical_name(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def pip_install(requirements: Path, target_dir: Path, target: Target) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target_dir),
        "--requirement",
        str(requirements),
    ]
    if target.platform is not None:
        command += [
            "--platform",
            target.platform,
            "--implementation",
            "cp",
            "--python-version",
            target.python_version,
            "--only-binary=:all:",
        ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
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
            ignore=shutil.ignore_patterns(*_SKIPPED_PARTS, "*.pyc", "requirements.txt"),
        )


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

    Services with identical requirements share one pip install (today all three do).
    """
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown service(s) {sorted(unknown)}: expected {', '.join(SERVICES)}")
    built: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="package-") as work_name:
        work = Path(work_name)
        installed: dict[tuple[str, ...], Path] = {}
        for service in services:
            requirements = tuple(read_requirements(requirements_file(service, root)))
            if requirements not in installed:
                deps = work / f"deps-{len(installed)}"
                pip_install(requirements_file(service, root), deps, target)
                remove_distributions(deps, RUNTIME_PROVIDED)
                shutil.rmtree(deps / "bin", ignore_errors=True)
                installed[requirements] = deps
            staging = work / service
            shutil.copytree(installed[requirements], staging)
            copy_sources((service, *SHARED_PACKAGES), staging, root)
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
