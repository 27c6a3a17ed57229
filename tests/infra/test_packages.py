"""The Lambda zips: built from each service's requirements.txt (which must agree with
pyproject.toml), importable on their own in a fresh interpreter, without the AWS SDK the
runtime provides, and small."""

from __future__ import annotations

import ast
import json
import sys
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
    canonical_name,
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
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert f"{service}/handler.py" in names and "mediaday/tables.py" in names
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
