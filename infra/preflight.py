"""Before the first `terraform apply` to an account: check what would make it fail, and
say in one line per check what to do. Read-only calls only (Get/List/Head).

- Lambda concurrency: the account's limit must leave room for every reserved concurrency
  of the environment plus the 100 unreserved executions AWS keeps (new accounts may have
  a limit of 10).
- CloudFront: the account may list distributions and has room for one more, or the
  environment sets `enable_cdn = false`. (Whether a new account is verified for
  CloudFront cannot be read without creating a distribution; the line says so.)
- The Terraform state bucket exists and is versioned.
- The region's API Gateway logging role is managed by exactly one stack.

    python -m infra.preflight --environment dev --state-bucket my-tfstate
    make preflight ENV=dev TF_STATE_BUCKET=my-tfstate
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

INFRA = Path(__file__).resolve().parent
UNRESERVED_MINIMUM = 100  # AWS refuses reservations that leave fewer unreserved executions
CLOUDFRONT_DISTRIBUTIONS_QUOTA = "L-24B04930"  # Web distributions per account
DEFAULT_RESERVED = {"connect": 20, "disconnect": 10, "message": 50, "broadcast": 10}
ROTATION_RESERVED = 1  # the signing key's rotation function (services/connect)


@dataclass(frozen=True)
class Check:
    """One line of the report: PASS, WARN (cannot be known read-only) or FAIL, and what
    to do about it."""

    name: str
    status: str
    message: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.message}"


@dataclass(frozen=True)
class Environment:
    """What the checks need from environments/<name>.tfvars (variables.tf's defaults
    where the file says nothing)."""

    name: str
    project: str
    region: str
    reserved: dict[str, int]
    enable_cdn: bool
    manage_api_gateway_account: bool

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.name}"

    @property
    def function_names(self) -> list[str]:
        return [f"{self.prefix}-{role}" for role in (*self.reserved, "rotate-signing-key")]

    @property
    def logging_role_name(self) -> str:
        return f"{self.prefix}-apigateway-logs"


_ASSIGNMENT = re.compile(r"^\s*([a-z_]+)\s*=\s*(.*?)\s*$")


def read_tfvars(text: str) -> dict[str, Any]:
    """The flat values and one-level maps of a tfvars file (all ours use), line by line."""
    values: dict[str, Any] = {}
    block: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if block is not None and line == "}":
            block = None
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            continue
        name, value = match.groups()
        if block is not None:
            block[name] = _value(value)
        elif value == "{":
            block = values[name] = {}
        else:
            values[name] = _value(value)
    return values


def _value(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text.isdigit():
        return int(text)
    return text.strip('"')


def load_environment(name: str, infra: Path = INFRA) -> Environment:
    values = read_tfvars((infra / "environments" / f"{name}.tfvars").read_text())
    return Environment(
        name=name,
        project=str(values.get("project", "mediaday")),
        region=str(values.get("region", "us-east-1")),
        reserved={**DEFAULT_RESERVED, **values.get("reserved_concurrency", {})},
        enable_cdn=bool(values.get("enable_cdn", True)),
        manage_api_gateway_account=bool(values.get("manage_api_gateway_account", True)),
    )


# ---------------------------------------------------------------------------------------
# The checks: each takes the clients it reads and returns one Check
# ---------------------------------------------------------------------------------------


def check_lambda_concurrency(lambda_client: Any, env: Environment) -> Check:
    name = "Lambda concurrency"
    account = lambda_client.get_account_settings()["AccountLimit"]
    limit = int(account["ConcurrentExecutions"])
    unreserved = int(account["UnreservedConcurrentExecutions"])
    needed = sum(env.reserved.values()) + ROTATION_RESERVED
    # A re-apply: what our functions already reserve comes back before it is reserved again.
    ours = 0
    for function in env.function_names:
        try:
            current = lambda_client.get_function_concurrency(FunctionName=function)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            continue
        ours += int(current.get("ReservedConcurrentExecutions") or 0)
    room = unreserved + ours - UNRESERVED_MINIMUM
    if needed <= room:
        return Check(name, "PASS", f"{needed} reserved fit (limit {limit}, {room} to spare)")
    return Check(
        name,
        "FAIL",
        f"{env.name} reserves {needed} but the account leaves {max(room, 0)} above AWS's "
        f"{UNRESERVED_MINIMUM} unreserved (limit {limit}): ask Service Quotas for "
        f"'Concurrent executions' (L-B99A9384) of at least {limit + needed - room}, or lower "
        f"reserved_concurrency in environments/{env.name}.tfvars",
    )


def check_cloudfront(cloudfront: Any, quotas: Any, env: Environment) -> Check:
    name = "CloudFront"
    if not env.enable_cdn:
        return Check(name, "PASS", "enable_cdn = false: no distribution is created")
    try:
        listing = cloudfront.list_distributions()["DistributionList"]
    except ClientError as error:
        return Check(
            name,
            "FAIL",
            f"cannot list distributions ({error.response['Error']['Code']}): grant the deploy "
            f"role cloudfront:* on distributions, or set enable_cdn = false in "
            f"environments/{env.name}.tfvars",
        )
    count = int(listing.get("Quantity", 0))
    try:
        quota = quotas.get_service_quota(
            ServiceCode="cloudfront", QuotaCode=CLOUDFRONT_DISTRIBUTIONS_QUOTA
        )["Quota"]["Value"]
    except (ClientError, BotoCoreError):
        quota = None
    if quota is not None and count >= int(quota):
        return Check(
            name,
            "FAIL",
            f"{count} of {int(quota)} distributions in use: ask Service Quotas for more "
            f"({CLOUDFRONT_DISTRIBUTIONS_QUOTA}) or set enable_cdn = false",
        )
    if count == 0:
        return Check(
            name,
            "WARN",
            "no distribution exists in this account yet, and whether it is verified for "
            "CloudFront cannot be read without creating one: on a new account, ask AWS "
            "Support first (CreateDistribution fails with 'account must be verified'), or "
            f"set enable_cdn = false in environments/{env.name}.tfvars",
        )
    return Check(name, "PASS", f"the account already runs {count} distribution(s)")


def check_state_bucket(s3: Any, bucket: str) -> Check:
    name = "state bucket"
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        what = "does not exist" if code in ("404", "NoSuchBucket") else f"is not readable ({code})"
        return Check(
            name,
            "FAIL",
            f"s3://{bucket} {what}: create it (private, encrypted) with versioning on, "
            "and let the deploy role read and write it",
        )
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if status != "Enabled":
        return Check(
            name,
            "FAIL",
            f"s3://{bucket} is not versioned ({status or 'never enabled'}): "
            f"`aws s3api put-bucket-versioning --bucket {bucket} "
            "--versioning-configuration Status=Enabled` (a lost state cannot be rebuilt)",
        )
    return Check(name, "PASS", f"s3://{bucket} exists and is versioned")


def check_api_gateway_logging(apigateway: Any, env: Environment) -> Check:
    name = "API Gateway logging role"
    current = apigateway.get_account().get("cloudwatchRoleArn") or ""
    ours = current.endswith(f":role/{env.logging_role_name}")
    if env.manage_api_gateway_account:
        if current and not ours:
            return Check(
                name,
                "FAIL",
                f"the region's role is already {current}, set by another stack: set "
                f"manage_api_gateway_account = false in environments/{env.name}.tfvars "
                "(one stack per region owns it; two would take it from each other)",
            )
        return Check(name, "PASS", f"{env.name} manages it ({current or 'not set yet'})")
    if not current:
        return Check(
            name,
            "FAIL",
            "no role is set and this environment does not manage it: access logs would "
            "fail; set manage_api_gateway_account = true in exactly one environment of "
            "this region",
        )
    if ours:
        return Check(
            name,
            "FAIL",
            f"the role is {env.name}'s own ({current}) but the environment no longer "
            "manages it: the next apply would delete it; keep manage_api_gateway_account = true",
        )
    return Check(name, "PASS", f"managed by another stack ({current})")


def run_checks(
    env: Environment,
    state_bucket: str,
    client: Callable[..., Any],
) -> list[Check]:
    """Every check, in order; an AWS error in one becomes its FAIL line, not a traceback."""
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("Lambda concurrency", lambda: check_lambda_concurrency(client("lambda"), env)),
        (
            "CloudFront",
            # CloudFront's quotas live in us-east-1 whatever the stack's region
            lambda: check_cloudfront(
                client("cloudfront"), client("service-quotas", region_name="us-east-1"), env
            ),
        ),
        ("state bucket", lambda: check_state_bucket(client("s3"), state_bucket)),
        ("API Gateway logging role", lambda: check_api_gateway_logging(client("apigateway"), env)),
    ]
    results = []
    for name, check in checks:
        try:
            results.append(check())
        except (ClientError, BotoCoreError) as error:
            results.append(Check(name, "FAIL", f"could not be checked: {error}"))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.preflight", description=__doc__)
    parser.add_argument("--environment", required=True, choices=["dev", "prod"])
    parser.add_argument("--state-bucket", required=True)
    parser.add_argument("--region", help="default: the AWS profile's or AWS_REGION")
    args = parser.parse_args(argv)
    env = load_environment(args.environment)
    session = boto3.session.Session(region_name=args.region or env.region)
    results = run_checks(env, args.state_bucket, session.client)
    for result in results:
        print(result.line())
    failed = [result for result in results if result.status == "FAIL"]
    print(
        f"preflight: {len(failed)} of {len(results)} checks failed"
        if failed
        else "preflight: ready"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
