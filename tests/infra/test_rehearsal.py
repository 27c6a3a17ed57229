"""Deploy rehearsal: `terraform apply` of the dev environment against a moto server on
loopback (every provider endpoint pointed at it, fake credentials, state in moto's S3),
then boto3 checks that what was created is what the application expects, then
`terraform destroy`.

Three things moto cannot emulate are left out through `rehearsal_omit` (see variables.tf):
the API Gateway v2 deployment (moto has no CreateDeployment), the bucket policy's
deny-insecure-transport statement (moto applies conditional Denys to every request), and
the signing key's rotation schedule (configuring it rotates at once, and moto would run the
rotation function in a Docker container). The rotation function and the permission that
lets Secrets Manager invoke it are still deployed and checked.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from mediaday.models import TTL_ATTRIBUTE
from mediaday.tables import connections_table_spec, coordination_table_spec
from tests.infra.tools import INFRA, ROOT, Packages, Terraform, free_port

pytestmark = [pytest.mark.infra, pytest.mark.slow]

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
STATE_BUCKET = "rehearsal-tfstate"
NAME = "mediaday-dev"
ROUTES = {
    "$connect": (f"{NAME}-connect", "connect.handler.on_connect"),
    "$disconnect": (f"{NAME}-disconnect", "connect.handler.on_disconnect"),
    "$default": (f"{NAME}-message", "messaging.handler.on_message"),
}
ROTATION_FUNCTION = f"{NAME}-rotate-signing-key"


# ---------------------------------------------------------------------------------------
# Table shapes, compared between the Python definitions, the plan and the deployed tables
# ---------------------------------------------------------------------------------------


def shape_of_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "keys": {key["KeyType"]: key["AttributeName"] for key in spec["KeySchema"]},
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]
        },
        "local_indexes": {
            index["IndexName"]: (
                {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]},
                index["Projection"]["ProjectionType"],
            )
            for index in spec.get("LocalSecondaryIndexes", [])
        },
        "stream": spec["StreamSpecification"]["StreamViewType"]
        if spec.get("StreamSpecification", {}).get("StreamEnabled")
        else None,
        "billing": spec.get("BillingMode", "PROVISIONED"),
    }


def shape_of_planned(values: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "HASH": values["hash_key"],
        **({"RANGE": values["range_key"]} if values["range_key"] else {}),
    }
    return {
        "keys": keys,
        "attributes": {a["name"]: a["type"] for a in values["attribute"]},
        "local_indexes": {
            index["name"]: (
                {"HASH": values["hash_key"], "RANGE": index["range_key"]},
                index["projection_type"],
            )
            for index in values["local_secondary_index"]
        },
        "stream": values["stream_view_type"] if values["stream_enabled"] else None,
        "billing": values["billing_mode"],
    }


def shape_of_table(table: dict[str, Any]) -> dict[str, Any]:
    stream = table.get("StreamSpecification", {})
    return {
        "keys": {key["KeyType"]: key["AttributeName"] for key in table["KeySchema"]},
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]
        },
        "local_indexes": {
            index["IndexName"]: (
                {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]},
                index["Projection"]["ProjectionType"],
            )
            for index in table.get("LocalSecondaryIndexes", [])
        },
        "stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "billing": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
    }


EXPECTED_TABLES = {
    f"{NAME}-connections": shape_of_spec(connections_table_spec("x")),
    f"{NAME}-coordination": shape_of_spec(coordination_table_spec("x")),
}


# ---------------------------------------------------------------------------------------
# The moto server and the deployment
# ---------------------------------------------------------------------------------------


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


def client(service: Any, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


@dataclass
class Deployment:
    endpoint: str
    plan: dict[str, Any]
    state: dict[str, Any]
    outputs: dict[str, Any]
    apply_seconds: float

    def client(self, service: str) -> Any:
        return client(service, self.endpoint)


def _planned_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _planned_resources(child)


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
        destroyed = tf.run(
            "destroy", "-input=false", "-auto-approve", "-refresh=false", *var_files, check=False
        )
        assert destroyed.returncode == 0, f"terraform destroy failed:\n{destroyed.stderr[-4000:]}"
        assert "Destroy complete!" in destroyed.stdout
        leftovers = client("dynamodb", moto_endpoint).list_tables()["TableNames"]
        assert not [name for name in leftovers if name.startswith(NAME)], leftovers
        assert not client("lambda", moto_endpoint).list_functions()["Functions"]


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------


def test_planned_tables_match_the_python_definitions(deployment: Deployment) -> None:
    planned = {
        resource["values"]["name"]: resource["values"]
        for resource in _planned_resources(deployment.plan["planned_values"]["root_module"])
        if resource["type"] == "aws_dynamodb_table"
    }
    assert set(planned) == set(EXPECTED_TABLES)
    for name, expected in EXPECTED_TABLES.items():
        assert shape_of_planned(planned[name]) == expected, name
        assert planned[name]["ttl"] == [{"attribute_name": TTL_ATTRIBUTE, "enabled": True}]


def test_deployed_tables_match_the_python_definitions(deployment: Deployment) -> None:
    dynamodb = deployment.client("dynamodb")
    for name, expected in EXPECTED_TABLES.items():
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert shape_of_table(table) == expected, name
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] == "ENABLED" and ttl["AttributeName"] == TTL_ATTRIBUTE
        assert table["SSEDescription"]["SSEType"] == "KMS"
    backups = dynamodb.describe_continuous_backups(TableName=f"{NAME}-coordination")
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


def _api(deployment: Deployment) -> dict[str, Any]:
    apis = deployment.client("apigatewayv2").get_apis()["Items"]
    matching = [api for api in apis if api["ApiId"] == deployment.outputs["api_id"]]
    assert len(matching) == 1, apis
    api: dict[str, Any] = matching[0]
    return api


def test_routes_integrate_the_right_functions_and_handlers(deployment: Deployment) -> None:
    gateway = deployment.client("apigatewayv2")
    functions = deployment.client("lambda")
    api = _api(deployment)
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    routes = {route["RouteKey"]: route for route in gateway.get_routes(ApiId=api["ApiId"])["Items"]}
    integrations = {
        integration["IntegrationId"]: integration
        for integration in gateway.get_integrations(ApiId=api["ApiId"])["Items"]
    }
    assert set(routes) == set(ROUTES)
    for route_key, (function_name, handler) in ROUTES.items():
        integration = integrations[routes[route_key]["Target"].removeprefix("integrations/")]
        assert integration["IntegrationType"] == "AWS_PROXY"
        function = functions.get_function_configuration(FunctionName=function_name)
        assert function["FunctionArn"] in integration["IntegrationUri"], route_key
        assert function["Handler"] == handler
        assert function["Runtime"] == "python3.12"
        assert function["TracingConfig"]["Mode"] == "Active"
        policy = json.loads(functions.get_policy(FunctionName=function_name)["Policy"])
        source_arns = [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]]
        assert source_arns == [
            f"arn:aws:execute-api:{REGION}:123456789012:{api['ApiId']}/dev/{route_key}"
        ], route_key
    # $default answers the caller: the route has a route response (moto has no
    # GetRouteResponses, so the id comes from the state).
    assert routes["$default"]["RouteResponseSelectionExpression"] == "$default"
    (route_response,) = [
        resource["values"]
        for resource in _planned_resources(deployment.state["values"]["root_module"])
        if resource["type"] == "aws_apigatewayv2_route_response"
    ]
    fetched = gateway.get_route_response(
        ApiId=api["ApiId"],
        RouteId=routes["$default"]["RouteId"],
        RouteResponseId=route_response["id"],
    )
    assert fetched["RouteResponseKey"] == "$default"


def test_stage_is_throttled_and_logged(deployment: Deployment) -> None:
    stage = deployment.client("apigatewayv2").get_stage(
        ApiId=deployment.outputs["api_id"], StageName="dev"
    )
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    assert stage["AccessLogSettings"]["DestinationArn"].endswith(
        f"log-group:/aws/apigateway/{NAME}-ws/access"
    )


def test_functions_get_names_and_arns_only(deployment: Deployment) -> None:
    functions = deployment.client("lambda")
    api_id = deployment.outputs["api_id"]
    for function_name in (
        f"{NAME}-connect",
        f"{NAME}-disconnect",
        f"{NAME}-message",
        f"{NAME}-broadcast",
        ROTATION_FUNCTION,
    ):
        env = functions.get_function_configuration(FunctionName=function_name)["Environment"][
            "Variables"
        ]
        assert env["MEDIADAY_CONNECTIONS_TABLE"] == f"{NAME}-connections"
        assert env["MEDIADAY_COORDINATION_TABLE"] == f"{NAME}-coordination"
        assert (
            env["MEDIADAY_MANAGEMENT_ENDPOINT"]
            == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev"
        )
        origins = json.loads(env["MEDIADAY_ALLOWED_ORIGINS"])
        assert len(origins) == 1 and origins[0].startswith("https://"), origins
        assert env["POWERTOOLS_SERVICE_NAME"] in {"connect", "messaging", "broadcast"}
        assert ("MEDIADAY_SIGNING_SECRET_ARN" in env) == function_name.endswith("-connect")


def test_stream_feeds_the_broadcaster_with_finite_retries(deployment: Deployment) -> None:
    stream_arn = deployment.client("dynamodb").describe_table(TableName=f"{NAME}-coordination")[
        "Table"
    ]["LatestStreamArn"]
    broadcast = deployment.client("lambda").get_function(FunctionName=f"{NAME}-broadcast")
    # (moto ignores the FunctionName filter of ListEventSourceMappings: filter here)
    mappings = [
        mapping
        for mapping in deployment.client("lambda").list_event_source_mappings()[
            "EventSourceMappings"
        ]
        if mapping["FunctionArn"] == broadcast["Configuration"]["FunctionArn"]
    ]
    assert len(mappings) == 1
    mapping = mappings[0]
    queue_url = deployment.outputs["failure_queue_url"]
    queue_arn = deployment.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert mapping["EventSourceArn"] == stream_arn
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10000
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 604800
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn


def test_roles_are_scoped_to_this_stack(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    api_id = deployment.outputs["api_id"]
    post = f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/dev/POST/@connections/*"
    for role, posts in {
        "connect": False,
        "disconnect": False,
        "message": True,
        "broadcast": True,
        "rotate-signing-key": False,
    }.items():
        statements = [
            statement
            for policy in ("runtime", "service")
            for statement in iam.get_role_policy(RoleName=f"{NAME}-{role}", PolicyName=policy)[
                "PolicyDocument"
            ]["Statement"]
        ]
        manage = [
            s["Resource"] for s in statements if "execute-api:ManageConnections" in s["Action"]
        ]
        assert manage == ([[post]] if posts else []), role
        for statement in statements:
            if "*" in statement["Resource"]:
                assert all(action.startswith("xray:") for action in statement["Action"]), statement


def test_signing_key_is_generated_in_secrets_manager(deployment: Deployment) -> None:
    secret = deployment.client("secretsmanager").get_secret_value(
        SecretId=deployment.outputs["signing_secret_arn"]
    )
    assert len(secret["SecretString"]) == 64 and secret["SecretString"].isalnum()


def test_rotation_function_may_be_invoked_only_by_secrets_manager_for_this_key(
    deployment: Deployment,
) -> None:
    secret_arn = deployment.outputs["signing_secret_arn"]
    functions = deployment.client("lambda")
    # The function Secrets Manager would call, with the rotation entry point
    function = functions.get_function_configuration(FunctionName=ROTATION_FUNCTION)
    assert function["Handler"] == "connect.handler.on_rotate_signing_key"
    assert function["Runtime"] == "python3.12"
    assert function["TracingConfig"]["Mode"] == "Active"
    assert function["Timeout"] == 30
    concurrency = functions.get_function_concurrency(FunctionName=ROTATION_FUNCTION)
    assert concurrency["ReservedConcurrentExecutions"] == 1
    # Invocable by Secrets Manager only, from this account, for the signing key only
    (statement,) = json.loads(functions.get_policy(FunctionName=ROTATION_FUNCTION)["Policy"])[
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "secretsmanager.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": "123456789012"},
        "ArnLike": {"AWS:SourceArn": secret_arn},
    }
    # Its role touches that one secret, with the four calls of the rotation protocol
    policy = deployment.client("iam").get_role_policy(
        RoleName=ROTATION_FUNCTION, PolicyName="service"
    )["PolicyDocument"]
    secret_statements = [
        s for s in policy["Statement"] if any(a.startswith("secretsmanager:") for a in s["Action"])
    ]
    assert [s["Resource"] for s in secret_statements] == [[secret_arn]]
    assert sorted(secret_statements[0]["Action"]) == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ]
    # And the schedule itself is what the rehearsal leaves out
    secret = deployment.client("secretsmanager").describe_secret(SecretId=secret_arn)
    assert not secret.get("RotationEnabled")
    assert deployment.outputs["functions"]["rotation"] == ROTATION_FUNCTION


def test_pages_are_uploaded_and_the_kiosk_url_points_at_the_api(deployment: Deployment) -> None:
    s3 = deployment.client("s3")
    bucket = deployment.outputs["web_bucket"]
    kiosk = s3.head_object(Bucket=bucket, Key="kiosk.html")
    assert kiosk["ContentType"].startswith("text/html")
    assert kiosk["ServerSideEncryption"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    kiosk_url = urllib.parse.urlsplit(deployment.outputs["kiosk_url"])
    assert kiosk_url.scheme == "https" and kiosk_url.path == "/kiosk.html"
    assert urllib.parse.parse_qs(kiosk_url.query)["ws"] == [deployment.outputs["websocket_url"]]


def test_alarms_watch_delivery(deployment: Deployment) -> None:
    alarms = deployment.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")[
        "MetricAlarms"
    ]
    names = {alarm["AlarmName"] for alarm in alarms}
    assert f"{NAME}-broadcast-iterator-age" in names
    assert f"{NAME}-broadcast-failures-queued" in names
    for function in ("connect", "disconnect", "message", "broadcast", "rotation"):
        assert {f"{NAME}-{function}-errors", f"{NAME}-{function}-throttles"} <= names
    assert all(alarm["AlarmActions"] == [deployment.outputs["alarm_topic_arn"]] for alarm in alarms)


def test_rehearsal_timing_is_reported(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        seconds = deployment.apply_seconds
        print(f"\nrehearsal: plan + apply of the dev environment on moto in {seconds:.0f} s")
    assert deployment.apply_seconds > 0
