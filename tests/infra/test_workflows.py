"""The GitHub Actions workflows: actionlint finds nothing, CI runs every check on every
push and pull request, and deploys go through OIDC with a plan shown before each apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.infra.tools import ROOT, run_tool, tool

pytestmark = pytest.mark.infra

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def test_actionlint_finds_nothing(infra_tools: None) -> None:
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    assert files
    result = run_tool([tool("actionlint"), "-color=false", *files], cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_every_check_on_push_and_pull_request() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    assert ci["on"]["push"] is None and ci["on"]["pull_request"] is None  # every branch
    commands = "\n".join(
        step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]
    )
    for target in ("make lint", "make typecheck", "make infra-check", "make test"):
        assert target in commands, target


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def _index(steps: list[dict[str, Any]], needle: str) -> int:
    for index, step in enumerate(steps):
        if needle in step.get("run", "") or needle in step.get("uses", ""):
            return index
    raise AssertionError(f"no step with {needle!r}")


def test_deploys_dev_on_main_and_prod_after_approval_with_oidc() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert jobs["dev"]["environment"] == "dev"
    assert jobs["prod"]["environment"] == "prod"  # required reviewers live on the environment
    assert jobs["prod"]["needs"] == "prod-plan" and jobs["prod-plan"]["needs"] == "dev"
    for name in ("dev", "prod-plan", "prod"):
        job = jobs[name]
        assert job["permissions"]["id-token"] == "write", name
        steps = _steps(job)
        credentials = steps[_index(steps, "aws-actions/configure-aws-credentials")]
        assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
    # The plan is shown before every apply, and prod applies exactly the plan shown.
    dev = _steps(jobs["dev"])
    assert _index(dev, "terraform plan") < _index(dev, "terraform apply dev.tfplan")
    assert "terraform show" in dev[_index(dev, "terraform plan")]["run"]
    assert (
        "terraform show"
        in _steps(jobs["prod-plan"])[_index(_steps(jobs["prod-plan"]), "terraform plan")]["run"]
    )
    prod = _steps(jobs["prod"])
    assert _index(prod, "terraform show") < _index(prod, "terraform apply prod.tfplan")


def test_no_workflow_stores_aws_keys() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = Path(path).read_text()
        assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text, (
            path.name
        )
