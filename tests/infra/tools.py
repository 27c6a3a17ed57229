"""Running Terraform, checkov and actionlint offline from the tests.

Terraform finds the AWS provider in the machine's filesystem mirror when there is one
(`/opt/tf-plugins`, or TF_PROVIDER_MIRROR): a generated CLI config points at it. Without a
mirror Terraform uses the public registry as it would on any developer's machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.package import LAMBDA_PLATFORM, LAMBDA_PYTHON, Target, find_python

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
TOOLS_VENV = ROOT / ".venv-checkov"
TOOLS_REQUIREMENTS = INFRA / "requirements-tools.txt"
DEFAULT_MIRROR = Path("/opt/tf-plugins")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"


def provider_mirror() -> Path | None:
    mirror = Path(os.environ.get("TF_PROVIDER_MIRROR", DEFAULT_MIRROR))
    return mirror if (mirror / AWS_PROVIDER).is_dir() else None


def write_cli_config(path: Path, mirror: Path | None) -> Path | None:
    """A CLI config that installs the AWS provider from the mirror, or None (registry)."""
    if mirror is None:
        return None
    path.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{AWS_PROVIDER}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{AWS_PROVIDER}"]\n'
        "  }\n"
        "}\n"
    )
    return path


@dataclass
class Terraform:
    """`terraform` in the infra directory with its own data dir (nothing lands in the tree;
    init reads the committed lock file and may not change it)."""

    binary: str
    data_dir: Path
    cli_config: Path | None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 300

    def env(self) -> dict[str, str]:
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "TF_"))
        }
        env.update(
            TF_DATA_DIR=str(self.data_dir),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        if self.cli_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(self.cli_config)
        else:
            env.pop("TF_CLI_CONFIG_FILE", None)
        env.update(self.extra_env)
        return env

    def run(self, command: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        options = [] if command == "fmt" else ["-no-color"]
        result = subprocess.run(
            [self.binary, command, *options, *args],
            cwd=INFRA,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {command} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def json(self, command: str, *args: str) -> Any:
        return json.loads(self.run(command, "-json", *args).stdout)


def terraform_binary() -> str | None:
    return shutil.which("terraform")


def tool(name: str) -> Path:
    return TOOLS_VENV / "bin" / name


def ensure_tools_venv() -> None:
    """`make infra-tools` builds .venv-checkov once (a stamp holds the pinned versions)."""
    stamp = TOOLS_VENV / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= TOOLS_REQUIREMENTS.stat().st_mtime:
        return
    subprocess.run(["make", "-s", "infra-tools"], cwd=ROOT, check=True, timeout=600)


def run_tool(command: Sequence[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        check=False,
        timeout=kwargs.pop("timeout", 300),
        **kwargs,
    )


def lambda_python() -> Path | None:
    """A local CPython matching the Lambda runtime, to import the zips as Lambda would
    (the one the build compiles their bytecode with)."""
    return find_python(LAMBDA_PYTHON)


class Packages:
    """The zips of one build, and the interpreter and platform they were built for."""

    def __init__(self, zips: dict[str, Path], python: Path, target: Target) -> None:
        self.zips = zips
        self.python = python
        self.target = target

    @property
    def for_lambda(self) -> bool:
        return self.target.platform == LAMBDA_PLATFORM
