"""`make preflight` against moto (S3, API Gateway, CloudFront, Lambda's functions) and a
fake where moto lacks the API (Lambda's GetAccountSettings, CloudFront's Service Quotas)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.preflight import (
    Environment,
    check_api_gateway_logging,
    check_cloudfront,
    check_lambda_concurrency,
    check_state_bucket,
    load_environment,
    read_tfvars,
    run_checks,
)

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def env(**overrides: Any) -> Environment:
    values: dict[str, Any] = {
        "name": "dev",
        "project": "mediaday",
        "region": REGION,
        "reserved": {"connect": 5, "disconnect": 5, "message": 10, "broadcast": 5},
        "enable_cdn": True,
        "manage_api_gateway_account": True,
    }
    return Environment(**{**values, **overrides})


class LambdaAccount:
    """moto's Lambda for functions, with the account settings moto does not implement."""

    def __init__(self, limit: int, unreserved: int) -> None:
        self.moto = boto3.client("lambda", region_name=REGION)
        self.settings = {
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": unreserved,
        }

    def get_account_settings(self) -> dict[str, Any]:
        return {"AccountLimit": self.settings}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.moto, name)


class Quotas:
    def __init__(self, value: float | None) -> None:
        self.value = value

    def get_service_quota(self, **_: Any) -> dict[str, Any]:
        return {"Quota": {"Value": self.value}}


# -- the environment files ----------------------------------------------------------------
def test_tfvars_scalars_and_maps_are_read() -> None:
    values = read_tfvars(
        'environment = "dev"\nenable_cdn = false # why\n\nreserved_concurrency = {\n'
        "  connect    = 5\n  message = 10\n}\nlog_retention_days = 30\n"
    )
    assert values == {
        "environment": "dev",
        "enable_cdn": False,
        "reserved_concurrency": {"connect": 5, "message": 10},
        "log_retention_days": 30,
    }


def test_the_dev_environment_file_gives_its_reservations_and_defaults() -> None:
    dev = load_environment("dev")
    assert dev.reserved == {"connect": 5, "disconnect": 5, "message": 10, "broadcast": 5}
    assert dev.enable_cdn and dev.manage_api_gateway_account and dev.region == REGION
    assert "mediaday-dev-rotate-signing-key" in dev.function_names


# -- Lambda concurrency --------------------------------------------------------------------
def test_a_new_accounts_concurrency_of_10_fails_and_says_how_much_to_ask_for(aws: None) -> None:
    # Given a new account: 10 concurrent executions, all unreserved
    result = check_lambda_concurrency(LambdaAccount(limit=10, unreserved=10), env())
    # Then dev's 26 reservations cannot fit beside the 100 AWS keeps unreserved
    assert result.status == "FAIL"
    assert "L-B99A9384" in result.message and "at least 126" in result.message
    assert "environments/dev.tfvars" in result.message


def test_a_raised_limit_leaves_room_and_passes(aws: None) -> None:
    result = check_lambda_concurrency(LambdaAccount(limit=1000, unreserved=1000), env())
    assert result.status == "PASS" and "26 reserved fit" in result.message


def test_a_reapply_counts_what_our_functions_already_reserve(aws: None) -> None:
    # Given dev already deployed: its 26 executions are reserved, 100 left unreserved
    account = LambdaAccount(limit=126, unreserved=100)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for function, reserved in {
        "connect": 5,
        "disconnect": 5,
        "message": 10,
        "broadcast": 5,
    }.items():
        name = f"mediaday-dev-{function}"
        account.moto.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="h.h",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        )
        account.moto.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=reserved
        )
    # Then the same reservations fit again (bar the rotation function's one)
    result = check_lambda_concurrency(account, env())
    assert result.status == "FAIL" and "at least 127" in result.message
    assert check_lambda_concurrency(LambdaAccount(127, 101), env()).status == "PASS"


# -- CloudFront ----------------------------------------------------------------------------
def test_cloudfront_off_needs_no_distribution(aws: None) -> None:
    result = check_cloudfront(None, None, env(enable_cdn=False))
    assert result.status == "PASS" and "enable_cdn = false" in result.message


def test_an_account_without_distributions_is_warned_about_verification(aws: None) -> None:
    result = check_cloudfront(boto3.client("cloudfront"), Quotas(200), env())
    assert result.status == "WARN"
    assert "verified" in result.message and "enable_cdn = false" in result.message


def test_a_full_distribution_quota_fails(aws: None) -> None:
    class Full:
        def list_distributions(self) -> dict[str, Any]:
            return {"DistributionList": {"Quantity": 200}}

    result = check_cloudfront(Full(), Quotas(200), env())
    assert result.status == "FAIL" and "200 of 200" in result.message


# -- the state bucket ----------------------------------------------------------------------
def test_a_missing_state_bucket_fails_with_what_to_create(aws: None) -> None:
    result = check_state_bucket(boto3.client("s3"), "no-such-bucket")
    assert result.status == "FAIL" and "does not exist" in result.message
    assert "versioning" in result.message


def test_an_unversioned_state_bucket_fails_with_the_command_that_fixes_it(aws: None) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="tfstate")
    result = check_state_bucket(s3, "tfstate")
    assert result.status == "FAIL" and "put-bucket-versioning --bucket tfstate" in result.message
    s3.put_bucket_versioning(Bucket="tfstate", VersioningConfiguration={"Status": "Enabled"})
    assert check_state_bucket(s3, "tfstate").status == "PASS"


# -- the API Gateway logging role ----------------------------------------------------------
def _set_logging_role(name: str) -> None:
    boto3.client("apigateway").update_account(
        patchOperations=[
            {
                "op": "replace",
                "path": "/cloudwatchRoleArn",
                "value": f"arn:aws:iam::123456789012:role/{name}",
            }
        ]
    )


def test_a_role_set_by_another_stack_fails_while_this_one_would_manage_it(aws: None) -> None:
    _set_logging_role("mediaday-prod-apigateway-logs")
    result = check_api_gateway_logging(boto3.client("apigateway"), env())
    assert result.status == "FAIL"
    assert (
        "manage_api_gateway_account = false" in result.message and "mediaday-prod" in result.message
    )
    # and the environment that leaves it to that stack passes
    unmanaged = env(manage_api_gateway_account=False)
    assert check_api_gateway_logging(boto3.client("apigateway"), unmanaged).status == "PASS"


def test_no_role_and_nobody_managing_it_fails(aws: None) -> None:
    result = check_api_gateway_logging(
        boto3.client("apigateway"), env(manage_api_gateway_account=False)
    )
    assert result.status == "FAIL" and "exactly one environment" in result.message


def test_our_own_role_passes(aws: None) -> None:
    _set_logging_role("mediaday-dev-apigateway-logs")
    assert check_api_gateway_logging(boto3.client("apigateway"), env()).status == "PASS"


# -- the whole run -------------------------------------------------------------------------
def test_every_check_prints_one_line_and_an_aws_error_becomes_a_fail_line(aws: None) -> None:
    clients = {
        "lambda": LambdaAccount(limit=10, unreserved=10),
        "service-quotas": Quotas(None),
    }

    def client(name: str, **kwargs: Any) -> Any:
        return clients.get(name) or boto3.client(name, **kwargs)

    results = run_checks(env(), "missing-bucket", client)
    assert [r.name for r in results] == [
        "Lambda concurrency",
        "CloudFront",
        "state bucket",
        "API Gateway logging role",
    ]
    assert [r.status for r in results] == ["FAIL", "WARN", "FAIL", "PASS"]
    assert all("\n" not in r.line() for r in results)
