"""Session fixtures for the infrastructure checks: Terraform (initialised once, offline
where the machine has a provider mirror), the linters' virtualenv, and the Lambda zips."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.package import LAMBDA_PLATFORM, LAMBDA_PYTHON, Target, build
from tests.infra.tools import (
    Terraform,
    ensure_tools_venv,
    provider_mirror,
    run_tool,
    terraform_binary,
    write_cli_config,
)

pytestmark = pytest.mark.infra


@pytest.fixture(scope="session")
def tf_cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    return write_cli_config(tmp_path_factory.mktemp("tf") / "terraformrc", provider_mirror())


def _terraform(tmp_path_factory: pytest.TempPathFactory, cli_config: Path | None) -> Terraform:
    binary = terraform_binary()
    if binary is None:
        pytest.skip(
            "terraform is not installed (https://developer.hashicorp.com/terraform/install)"
        )
    return Terraform(binary, tmp_path_factory.mktemp("tf-data"), cli_config)


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory, tf_cli_config: Path | None) -> Terraform:
    """Initialised without a backend: fmt, validate, test."""
    tf = _terraform(tmp_path_factory, tf_cli_config)
    tf.run("init", "-backend=false", "-input=false")
    return tf


@pytest.fixture(scope="session")
def make_terraform(
    tmp_path_factory: pytest.TempPathFactory, tf_cli_config: Path | None
) -> Callable[..., Terraform]:
    """For the rehearsal, which initialises its own backend."""

    def factory(**extra_env: str) -> Terraform:
        tf = _terraform(tmp_path_factory, tf_cli_config)
        tf.extra_env = extra_env
        return tf

    return factory


@pytest.fixture(scope="session")
def infra_tools() -> None:
    ensure_tools_venv()


def lambda_python() -> Path | None:
    """A local CPython matching the Lambda runtime, to import the zips as Lambda would
    (a pyenv shim may exist without the version behind it, so each candidate is run)."""
    candidates = sorted(
        Path.home().glob(f".pyenv/versions/{LAMBDA_PYTHON}.*/bin/python{LAMBDA_PYTHON}")
    )
    found = shutil.which(f"python{LAMBDA_PYTHON}")
    for candidate in [*reversed(candidates), *([Path(found)] if found else [])]:
        probe = run_tool([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        if probe.returncode == 0 and probe.stdout.strip() == LAMBDA_PYTHON:
            return candidate
    return None


class Packages:
    """The zips of one build, and the interpreter and platform they were built for."""

    def __init__(self, zips: dict[str, Path], python: Path, target: Target) -> None:
        self.zips = zips
        self.python = python
        self.target = target

    @property
    def for_lambda(self) -> bool:
        return self.target.platform == LAMBDA_PLATFORM


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    """Built once per session. For Lambda (manylinux, Python 3.12) when a local Python 3.12
    can import them; otherwise (CI machines without 3.12) for the running interpreter, so the
    import check still runs, on the same code, with wheels for this platform."""
    out = tmp_path_factory.mktemp("build")
    python = lambda_python()
    if python is not None:
        target = Target(LAMBDA_PYTHON, LAMBDA_PLATFORM)
    else:
        python = Path(sys.executable)
        target = Target(f"{sys.version_info.major}.{sys.version_info.minor}", None)
    return Packages(build(out_dir=out, target=target), python, target)
