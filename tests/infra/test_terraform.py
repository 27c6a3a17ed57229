"""Terraform's own offline checks: formatting, validation, and `terraform test` with the
mocked AWS provider (infra/tests/*.tftest.hcl)."""

from __future__ import annotations

import re

import pytest

from tests.infra.tools import INFRA, Terraform

pytestmark = pytest.mark.infra


def test_every_file_is_formatted(terraform: Terraform) -> None:
    result = terraform.run("fmt", "-check", "-recursive", "-diff", str(INFRA), check=False)
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}"


def test_configuration_is_valid(terraform: Terraform) -> None:
    result = terraform.json("validate")
    assert result["valid"], result["diagnostics"]
    assert result["warning_count"] == 0, result["diagnostics"]


def test_mocked_plan_assertions_pass(terraform: Terraform) -> None:
    # Given the assertions in infra/tests/*.tftest.hcl (routes, stream mapping, IAM, tables)
    runs = sum(
        len(re.findall(r'^run "', path.read_text(), re.MULTILINE))
        for path in (INFRA / "tests").glob("*.tftest.hcl")
    )
    result = terraform.run("test", check=False)
    # Then every run block of every file ran and passed (none skipped or left unfound)
    summary = re.search(r"(\d+) passed, (\d+) failed", result.stdout)
    assert result.returncode == 0 and summary, f"{result.stdout}\n{result.stderr}"
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0 and passed == runs >= 7, result.stdout


def test_every_variable_and_output_is_typed_and_described() -> None:
    checked = 0
    for path in sorted(INFRA.rglob("*.tf")):
        if ".terraform" in path.parts or "local" in path.relative_to(INFRA).parts[:1]:
            continue
        text = path.read_text()
        blocks = re.findall(
            r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', text, flags=re.MULTILINE | re.DOTALL
        )
        # every block header must be parsed, or a block the regex misses would go unchecked
        headers = re.findall(r'^(?:variable|output) "[^"]+"', text, flags=re.MULTILINE)
        assert len(blocks) == len(headers), f"{path.relative_to(INFRA)}: unparsed blocks"
        for kind, name, body in blocks:
            assert re.search(r"^\s+description\s*=", body, re.MULTILINE), (
                f"{path.relative_to(INFRA)}: {kind} {name} has no description"
            )
            if kind == "variable":
                assert re.search(r"^\s+type\s*=", body, re.MULTILINE), (
                    f"{path.relative_to(INFRA)}: variable {name} has no type"
                )
            checked += 1
    # the root module declares its variables and outputs; none found means the walk is broken
    declared = (INFRA / "variables.tf").read_text()
    assert checked >= len(re.findall(r'^variable "', declared, re.MULTILINE)) > 0


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_environment_files_set_only_declared_variables(environment: str) -> None:
    declared = set(re.findall(r'^variable "([^"]+)"', (INFRA / "variables.tf").read_text(), re.M))
    tfvars = (INFRA / "environments" / f"{environment}.tfvars").read_text()
    assigned = set(re.findall(r"^([a-z_]+)\s*=", tfvars, re.MULTILINE))
    assert assigned <= declared, assigned - declared
    assert f'environment          = "{environment}"' in tfvars or re.search(
        rf'^environment\s*=\s*"{environment}"', tfvars, re.MULTILINE
    )
