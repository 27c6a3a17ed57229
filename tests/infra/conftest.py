"""Fixtures of the infrastructure checks: Terraform (initialised once, offline where the
machine has a provider mirror), the linters' virtualenv, the Lambda zips (all once per
session), and for the deploy rehearsal a moto server and the applied dev environment."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.ports import free_port
from infra.package import LAMBDA_PLATFORM, LAMBDA_PYTHON, Target, build
from tests.infra.rehearsal import NAME, REGION, STATE_BUCKET, Deployment, client
from tests.infra.tools import (
    INFRA,
    ROOT,
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
    tf.run("init", "-backend=false", "-input=false", "-lockfile=readonly")
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


# -- the deploy rehearsal (test_rehearsal.py): one moto server and one apply per module ----
def _disable_distributions(endpoint: str) -> None:
    """Disable the pages' distribution before the destroy, as the provider's delete does
    first: after its own disable it sleeps a fixed 30 s before looking at a status moto
    reports at once. The destroy still deletes it (and waits its 15 s for the deletion)."""
    cloudfront = client("cloudfront", endpoint)
    for summary in cloudfront.list_distributions()["DistributionList"].get("Items", []):
        current = cloudfront.get_distribution_config(Id=summary["Id"])
        config = current["DistributionConfig"]
        if config["Enabled"]:
            config["Enabled"] = False
            cloudfront.update_distribution(
                Id=summary["Id"], IfMatch=current["ETag"], DistributionConfig=config
            )


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"moto server did not start on {endpoint}")
            time.sleep(0.2)
    try:
        yield endpoint
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def deployment(
    moto_endpoint: str,
    make_terraform: Any,
    packages: Packages,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    work = tmp_path_factory.mktemp("rehearsal")
    package_dir = work / "build"
    package_dir.mkdir()
    for service, zip_path in packages.zips.items():
        shutil.copy(zip_path, package_dir / f"{service}.zip")
    # A snapshot of the pages, so an edit during the run cannot change a planned hash.
    web_dir = work / "web"
    shutil.copytree(ROOT / "client" / "web", web_dir)
    (work / "rehearsal.tfvars.json").write_text(
        json.dumps(
            {
                "aws_endpoint_url": moto_endpoint,
                "package_dir": str(package_dir),
                "web_dir": str(web_dir),
                "rehearsal_omit": [
                    "api_deployment",
                    "tls_only_bucket_policy",
                    "signing_key_rotation",
                    "cloudfront_policies",
                ],
            }
        )
    )
    var_files = [
        f"-var-file={INFRA / 'environments' / 'dev.tfvars'}",
        f"-var-file={work / 'rehearsal.tfvars.json'}",
    ]
    tf: Terraform = make_terraform(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
    )
    client("s3", moto_endpoint).create_bucket(Bucket=STATE_BUCKET)
    tf.run(
        "init",
        "-input=false",
        "-lockfile=readonly",
        f"-backend-config=bucket={STATE_BUCKET}",
        "-backend-config=key=dev/terraform.tfstate",
        f"-backend-config=region={REGION}",
        f'-backend-config=endpoints={{s3="{moto_endpoint}"}}',
        "-backend-config=use_path_style=true",
        "-backend-config=use_lockfile=true",
        "-backend-config=skip_credentials_validation=true",
        "-backend-config=skip_requesting_account_id=true",
        "-backend-config=skip_metadata_api_check=true",
        "-backend-config=skip_region_validation=true",
    )
    started = time.monotonic()
    plan_file = str(work / "rehearsal.tfplan")
    tf.run("plan", "-input=false", f"-out={plan_file}", *var_files)
    plan = tf.json("show", plan_file)
    try:
        tf.run("apply", "-input=false", "-auto-approve", plan_file)
        elapsed = time.monotonic() - started
        state = tf.json("show")
        outputs = {name: value["value"] for name, value in tf.json("output").items()}
        yield Deployment(moto_endpoint, plan, state, outputs, elapsed)
    finally:
        try:
            _disable_distributions(moto_endpoint)
        finally:
            destroyed = tf.run(
                "destroy",
                "-input=false",
                "-auto-approve",
                "-refresh=false",
                *var_files,
                check=False,
            )
        assert destroyed.returncode == 0, f"terraform destroy failed:\n{destroyed.stderr[-4000:]}"
        assert "Destroy complete!" in destroyed.stdout
        leftovers = client("dynamodb", moto_endpoint).list_tables()["TableNames"]
        assert not [name for name in leftovers if name.startswith(NAME)], leftovers
        assert not client("lambda", moto_endpoint).list_functions()["Functions"]
        # the destroy deleted the distribution disabled above, not only left it disabled
        distributions = client("cloudfront", moto_endpoint).list_distributions()
        assert not distributions["DistributionList"].get("Items"), distributions
