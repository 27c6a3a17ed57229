"""The GitHub Actions workflows: actionlint finds nothing, CI runs every check on every
push and pull request; deploys start only when CI passed on main, run that commit, go
through OIDC (a read-only role for the prod plan) with a plan shown before each apply, a
smoke test after dev, a concurrency group per environment, timeouts, caches, and actions
pinned by SHA that Dependabot keeps current."""

from __future__ import annotations

import re
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


def test_deploys_dev_then_prod_after_approval_with_oidc_and_a_read_only_plan_role() -> None:
    deploy = load("deploy.yml")
    jobs = deploy["jobs"]
    assert jobs["dev"]["environment"] == "dev"
    assert jobs["prod-plan"]["environment"] == "prod-plan"
    assert jobs["prod"]["environment"] == "prod"  # required reviewers live on the environment
    assert jobs["prod"]["needs"] == "prod-plan" and jobs["prod-plan"]["needs"] == "dev"
    assert jobs["dev"]["needs"] == "package"
    roles = {
        "dev": "AWS_DEPLOY_ROLE_ARN",
        "prod-plan": "AWS_PLAN_ROLE_ARN",
        "prod": "AWS_DEPLOY_ROLE_ARN",
    }
    for name, role in roles.items():
        job = jobs[name]
        assert job["permissions"]["id-token"] == "write", name
        steps = _steps(job)
        credentials = steps[_index(steps, "aws-actions/configure-aws-credentials")]
        assert credentials["with"]["role-to-assume"] == "${{ vars." + role + " }}", name
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
        # the committed lock file is used as it is, never rewritten in CI
        assert "-lockfile=readonly" in steps[_index(steps, "terraform init")]["run"], name
    # The plan is shown before every apply, and prod applies exactly the plan shown.
    dev = _steps(jobs["dev"])
    assert _index(dev, "terraform plan") < _index(dev, "terraform apply dev.tfplan")
    assert "terraform show" in dev[_index(dev, "terraform plan")]["run"]
    plan = _steps(jobs["prod-plan"])
    assert "terraform show" in plan[_index(plan, "terraform plan")]["run"]
    # the read-only role cannot take the state lock (a write)
    assert "-lock=false" in plan[_index(plan, "terraform plan")]["run"]
    assert jobs["prod-plan"]["env"]["TF_VAR_alarm_email"] == "${{ vars.ALARM_EMAIL }}"
    prod = _steps(jobs["prod"])
    assert _index(prod, "terraform show") < _index(prod, "terraform apply prod.tfplan")


def test_deploy_runs_only_after_ci_passed_on_a_push_to_main_and_on_that_commit() -> None:
    deploy = load("deploy.yml")
    # Given the only trigger: CI finishing on main
    assert deploy["on"] == {
        "workflow_run": {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}
    }
    assert load("ci.yml")["name"] == "CI"
    jobs = deploy["jobs"]
    # Then the first job runs only when CI succeeded on a push to main of this repository
    gate = " ".join(jobs["package"]["if"].split())
    for condition in (
        "github.event.workflow_run.conclusion == 'success'",
        "github.event.workflow_run.event == 'push'",
        "github.event.workflow_run.head_branch == 'main'",
        "github.event.workflow_run.head_repository.full_name == github.repository",
    ):
        assert condition in gate, condition

    # and every other job needs it (directly or through the chain), so none can skip it
    def reaches_package(name: str) -> bool:
        needs = jobs[name].get("needs")
        return name == "package" or (needs is not None and reaches_package(needs))

    assert all(reaches_package(name) for name in jobs)
    # and each checks out the commit CI tested, not whatever main is by then
    assert deploy["env"]["DEPLOY_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    for name, job in jobs.items():
        checkout = _steps(job)[_index(_steps(job), "actions/checkout")]
        assert checkout["with"]["ref"] == "${{ env.DEPLOY_SHA }}", name


def test_dev_is_smoke_tested_after_apply_and_before_prod_is_planned() -> None:
    jobs = load("deploy.yml")["jobs"]
    dev = _steps(jobs["dev"])
    smoke = _index(dev, "mediaday smoke")
    assert _index(dev, "terraform apply dev.tfplan") < smoke
    assert "mediaday token --role producer --media-day smoke" in dev[smoke]["run"]
    assert "::add-mask::" in dev[smoke]["run"]
    assert jobs["prod-plan"]["needs"] == "dev"  # a failed smoke test stops prod
    for name in ("dev", "prod"):
        steps = _steps(jobs[name])
        invalidate = _index(steps, "create-invalidation")
        assert invalidate > _index(steps, "terraform apply"), name


def test_each_environment_has_its_own_concurrency_and_every_job_a_timeout() -> None:
    deploy = load("deploy.yml")
    assert "concurrency" not in deploy  # a workflow-wide group would queue dev behind prod
    groups = {name: job.get("concurrency", {}).get("group") for name, job in deploy["jobs"].items()}
    assert groups == {
        "package": None,
        "dev": "deploy-dev",
        "prod-plan": "deploy-prod",
        "prod": "deploy-prod",
    }
    assert all(
        not job["concurrency"]["cancel-in-progress"]
        for job in deploy["jobs"].values()
        if "concurrency" in job
    )
    for workflow in ("ci.yml", "deploy.yml"):
        for name, job in load(workflow)["jobs"].items():
            assert 0 < job["timeout-minutes"] <= 60, (workflow, name)


def test_every_action_is_pinned_by_full_commit_sha_and_dependabot_updates_them() -> None:
    pinned = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
    for path in sorted(WORKFLOWS.glob("*.yml")):
        text = path.read_text()
        uses = re.findall(r"uses:\s*(\S+)(.*)$", text, flags=re.MULTILINE)
        assert uses, path.name
        for action, comment in uses:
            assert pinned.match(action), f"{path.name}: {action} is not pinned by SHA"
            assert re.search(r"# v\d", comment), f"{path.name}: {action} has no version comment"
    dependabot = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in dependabot["updates"]}
    assert {"github-actions", "terraform", "pip"} <= ecosystems


def test_pip_and_terraform_plugins_are_cached() -> None:
    for workflow in ("ci.yml", "deploy.yml"):
        text = (WORKFLOWS / workflow).read_text()
        assert "cache: pip" in text, workflow
        assert "TF_PLUGIN_CACHE_DIR" in text and "actions/cache@" in text, workflow
        assert "hashFiles('infra/.terraform.lock.hcl')" in text, workflow


def test_no_workflow_stores_aws_keys() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = Path(path).read_text()
        assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text, (
            path.name
        )
