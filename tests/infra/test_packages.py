"""The Lambda zips: built from each service's hashed requirements.lock (made from its
requirements.txt, which must agree with pyproject.toml), importable on their own in a
fresh interpreter from a read-only directory, from the bytecode they carry (compiled by
Python 3.12, unchecked-hash), without the AWS SDK the runtime provides, small, and the
same bytes when rebuilt from the same commit."""

from __future__ import annotations

import ast
import json
import re
import shutil
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from infra.package import (
    RUNTIME_PROVIDED,
    SERVICES,
    SHARED_PACKAGES,
    Target,
    build,
    canonical_name,
    is_current,
    lock_file,
    pip_install,
    read_requirements,
    requirements_file,
)
from tests.infra.tools import ROOT, Packages, run_tool

pytestmark = pytest.mark.infra

HANDLERS = {
    "connect": [
        "connect.handler.on_connect",
        "connect.handler.on_disconnect",
        "connect.handler.on_rotate_signing_key",
    ],
    "messaging": ["messaging.handler.on_message"],
    "broadcast": ["broadcast.handler.on_stream"],
}
# The oldest SDK we accept (pyproject: boto3>=1.34) stands in for the runtime's own copy.
RUNTIME_SDK = "boto3==1.34.*"
LAMBDA_ZIP_LIMIT_BYTES = 50 * 1024 * 1024  # direct upload
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024


def _pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        canonical_name(Requirement(line).name): Requirement(line)
        for line in project["dependencies"]
    }


@pytest.mark.parametrize("service", SERVICES)
def test_requirements_agree_with_pyproject(service: str) -> None:
    # Given the project's declared runtime dependencies
    declared = _pyproject_requirements()
    # When the service's requirements.txt is read
    lines = read_requirements(requirements_file(service))
    assert lines, f"{service}/requirements.txt is empty"
    for line in lines:
        requirement = Requirement(line)
        name = canonical_name(requirement.name)
        # Then each is a project dependency, with the same extras and version range
        assert name in declared, f"{service}: {name} is not a dependency in pyproject.toml"
        assert requirement.extras == declared[name].extras, f"{service}: extras of {name}"
        assert requirement.specifier == declared[name].specifier, f"{service}: range of {name}"
        assert name not in RUNTIME_PROVIDED, f"{service}: {name} comes with the Lambda runtime"


def _third_party_imports(package: Path) -> set[str]:
    """Top-level modules the package imports at run time (TYPE_CHECKING blocks excluded)."""
    found: set[str] = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        skipped: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(child) for child in ast.walk(node))
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    local = {"__future__", *SERVICES, *SHARED_PACKAGES}
    return {name for name in found if name not in sys.stdlib_module_names and name not in local}


def _zip_roots(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name.split("/")[0].removesuffix(".py") for name in archive.namelist()}


@pytest.mark.parametrize("service", SERVICES)
def test_every_module_the_code_imports_is_in_the_zip(service: str, packages: Packages) -> None:
    imported = _third_party_imports(ROOT / service) | _third_party_imports(ROOT / "mediaday")
    provided = {"boto3", "botocore", "urllib3"}  # by the Lambda runtime (/var/runtime)
    missing = imported - provided - _zip_roots(packages.zips[service])
    assert not missing, f"{service}.zip lacks {sorted(missing)}"


@pytest.mark.parametrize("service", SERVICES)
def test_zip_holds_the_service_and_domain_package_but_not_the_runtime_sdk(
    service: str, packages: Packages
) -> None:
    with zipfile.ZipFile(packages.zips[service]) as archive:
        names = archive.namelist()
        unzipped = sum(info.file_size for info in archive.infolist())
    roots = {name.split("/")[0] for name in names}
    assert {service, "mediaday", "pydantic", "pydantic_core", "aws_lambda_powertools"} <= roots
    assert not roots & {"boto3", "botocore", "s3transfer", "bin"}, roots
    assert f"{service}/handler.py" in names and "mediaday/tables.py" in names
    # Every module ships its bytecode for the target Python, and nothing else does
    tag = "cpython-" + packages.target.python_version.replace(".", "")
    sources = [name for name in names if name.endswith(".py")]
    pycs = {name for name in names if name.endswith(".pyc")}
    assert sources and all(
        f"{name.rsplit('/', 1)[0]}/__pycache__/{name.rsplit('/', 1)[-1][:-3]}.{tag}.pyc" in pycs
        if "/" in name
        else f"__pycache__/{name[:-3]}.{tag}.pyc" in pycs
        for name in sources
    )
    assert len(pycs) == len(sources)
    assert packages.zips[service].stat().st_size < LAMBDA_ZIP_LIMIT_BYTES
    assert unzipped < LAMBDA_UNZIPPED_LIMIT_BYTES
    if packages.for_lambda:
        assert any(
            name.startswith("pydantic_core/") and "cpython-312-x86_64-linux-gnu" in name
            for name in names
        ), "pydantic-core must be the manylinux build for CPython 3.12"


@pytest.fixture(scope="module")
def runtime_sdk(packages: Packages, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What Lambda's /var/runtime adds to the path: boto3, botocore, urllib3."""
    target_dir = tmp_path_factory.mktemp("var-runtime")
    requirements = target_dir.parent / "runtime-requirements.txt"
    requirements.write_text(RUNTIME_SDK + "\n")
    pip_install(requirements, target_dir, packages.target)
    return target_dir


IMPORT_CHECK = """
import importlib, json, sys
task, runtime, stdlib, handler = sys.argv[1:5]
sys.path[:] = [task] + [p for p in sys.path if p.startswith(stdlib)] + [runtime]
module_name, function_name = handler.rsplit(".", 1)
function = getattr(importlib.import_module(module_name), function_name)
assert callable(function), handler
outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and not module.__file__.startswith((task, runtime, stdlib))
)
print(json.dumps({"outside": outside, "modules": len(sys.modules)}))
"""


@pytest.mark.parametrize(
    "handler", [handler for service in SERVICES for handler in HANDLERS[service]]
)
def test_handler_imports_from_the_unzipped_package_alone(
    handler: str,
    packages: Packages,
    runtime_sdk: Path,
    tmp_path: Path,
) -> None:
    service = handler.split(".", maxsplit=1)[0]
    if not (ROOT / service / "handler.py").exists():
        pytest.skip(f"{service}/handler.py does not exist yet")
    # Given the service's zip unzipped into an empty directory (Lambda's /var/task)
    task = tmp_path / "task"
    with zipfile.ZipFile(packages.zips[service]) as archive:
        archive.extractall(task)
    stdlib = run_tool(
        [packages.python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]
    )
    # When a fresh interpreter with nothing but the package, the standard library and the
    # runtime's SDK on its path imports the handler
    result = run_tool(
        [
            packages.python,
            "-I",
            "-S",
            "-c",
            IMPORT_CHECK,
            task,
            runtime_sdk,
            stdlib.stdout.strip(),
            handler,
        ],
        cwd=tmp_path,
        env={
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "LANG": "C.UTF-8",
        },
        timeout=120,
    )
    # Then it finds the function, and loaded no module from anywhere else
    assert result.returncode == 0, result.stderr[-4000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["outside"] == [], loaded["outside"]


def test_sizes_are_reported(packages: Packages, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        target = (
            f"Lambda: CPython {packages.target.python_version} {packages.target.platform}"
            if packages.for_lambda
            else f"the running interpreter (CPython {packages.target.python_version}): "
            "no local Python 3.12 to import Lambda builds with"
        )
        print(f"\nLambda packages, built for {target}:")
        for service, zip_path in packages.zips.items():
            with zipfile.ZipFile(zip_path) as archive:
                unzipped = sum(info.file_size for info in archive.infolist())
            print(
                f"  {service + '.zip':<16} {zip_path.stat().st_size / 1e6:5.1f} MB zipped, "
                f"{unzipped / 1e6:5.1f} MB unzipped"
            )
    assert all(zip_path.stat().st_size > 0 for zip_path in packages.zips.values())


def test_target_matches_the_lambda_runtime_in_terraform() -> None:
    function_module = (ROOT / "infra" / "modules" / "function" / "main.tf").read_text()
    assert f'runtime                        = "python{Target().python_version}"' in function_module


def test_zips_carry_unchecked_hash_bytecode_with_lambdas_paths(packages: Packages) -> None:
    with zipfile.ZipFile(packages.zips["connect"]) as archive:
        tag = "cpython-" + packages.target.python_version.replace(".", "")
        pyc = archive.read(f"connect/__pycache__/handler.{tag}.pyc")
    # PEP 552 flags: bit 0 hash-based, bit 1 check_source; unchecked-hash is 0b01: valid on
    # a read-only disk without comparing timestamps, and no timestamp inside to vary
    assert int.from_bytes(pyc[4:8], "little") == 0b01
    assert b"/var/task/connect/handler.py" in pyc


def test_a_rebuild_from_the_same_commit_gives_the_same_bytes(
    packages: Packages, tmp_path: Path
) -> None:
    # Given one commit's sources (a snapshot: the working tree may change meanwhile)
    commit = tmp_path / "commit"
    for package in (*SERVICES, *SHARED_PACKAGES):
        shutil.copytree(
            ROOT / package, commit / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    # When it is built twice, in two places, a second apart (new mtimes on every file)
    first = build(["connect"], tmp_path / "first", packages.target, root=commit)
    time.sleep(1)
    for path in commit.rglob("*.py"):
        path.touch()
    second = build(["connect"], tmp_path / "second", packages.target, root=commit)
    # Then the zips are byte for byte the same (Terraform's source_code_hash is stable)
    assert first["connect"].read_bytes() == second["connect"].read_bytes()


@pytest.mark.parametrize("service", SERVICES)
def test_lock_is_current_hashed_and_holds_no_dev_or_runtime_package(service: str) -> None:
    lock = lock_file(service)
    # Given the lock made from the service's requirements.txt: it is not stale
    assert is_current(service), f"{lock} is stale: run `make lock`"
    entries = re.findall(
        r"^([a-z0-9-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
        lock.read_text(),
        re.MULTILINE,
    )
    names = {name for name, _, _ in entries}
    # Then every pinned package has its hashes, and the requirements' packages are there
    lines = [line for line in lock.read_text().splitlines() if "==" in line]
    assert len(entries) == len(lines) > 0
    wanted = {
        canonical_name(Requirement(r).name) for r in read_requirements(requirements_file(service))
    }
    assert wanted <= names
    # and neither a dev extra nor what the Lambda runtime provides is installed
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dev_only = {
        canonical_name(Requirement(r).name) for r in project["optional-dependencies"]["dev"]
    }
    assert not names & dev_only, names & dev_only
    assert not names & RUNTIME_PROVIDED, names & RUNTIME_PROVIDED


def test_handler_runs_from_its_bytecode_in_a_read_only_task_directory(
    packages: Packages, runtime_sdk: Path, tmp_path: Path
) -> None:
    if not packages.for_lambda:
        pytest.skip("no local Python 3.12: the bytecode is for Lambda's interpreter")
    # Given the connect zip unzipped read-only, with its handler's source made unusable
    task = tmp_path / "task"
    with zipfile.ZipFile(packages.zips["connect"]) as archive:
        archive.extractall(task)
    (task / "connect" / "handler.py").write_text("raise SystemExit('the source was compiled')\n")
    for path in [task, *task.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    stdlib = run_tool(
        [packages.python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]
    )
    try:
        # When Python 3.12 imports the handler as Lambda does
        result = run_tool(
            [
                packages.python,
                "-I",
                "-S",
                "-c",
                IMPORT_CHECK,
                task,
                runtime_sdk,
                stdlib.stdout.strip(),
                "connect.handler.on_connect",
            ],
            cwd=tmp_path,
            env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"},
            timeout=120,
        )
        # Then it ran the shipped bytecode (the source was never compiled) and wrote nothing
        assert result.returncode == 0, result.stderr[-3000:]
        assert not [p for p in task.rglob("*.pyc") if ".cpython-312.pyc" not in p.name]
    finally:
        for path in [task, *task.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
