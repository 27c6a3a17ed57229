"""Session fixtures for the infrastructure checks: Terraform (initialised once, offline
where the machine has a provider mirror), the linters' virtualenv, and the Lambda zips."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.package import LAMBDA_PLATFORM, LAMBDA_PYTHON, Target, build
from tests.infra.tools import (
    Packages,
    Terraform,
    ensure_tools_venv,
    lambda_python,
    provider_mirror,
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
