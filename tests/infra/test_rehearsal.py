"""Deploy rehearsal: `terraform apply` of the dev environment against a moto server on
loopback (every provider endpoint pointed at it, fake credentials, state in moto's S3),
then boto3 checks that what was created is what the application expects, then
`terraform destroy`.

Four things moto cannot emulate are left out through `rehearsal_omit` (see variables.tf):
the API Gateway v2 deployment (moto has no CreateDeployment), the bucket policy's
deny-insecure-transport statement (moto applies conditional Denys to every request), and
the signing key's rotation schedule (configuring it rotates at once, and moto would run the
rotation function in a Docker container), and the pages' CloudFront cache and response
headers policies (moto has no API for them; the distribution uses AWS's managed ones). The
rotation function and the permission that lets Secrets Manager invoke it are still
deployed and checked.

The moto server and the apply are conftest.py's fixtures (once for this module); the
names and table shapes compared are in rehearsal.py.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import pytest

from mediaday.models import TTL_ATTRIBUTE
from tests.infra.rehearsal import (
    EXPECTED_TABLES,
    NAME,
    REGION,
    ROTATION_FUNCTION,
    ROUTES,
    Deployment,
    planned_resources,
    shape_of_planned,
    shape_of_table,
)

pytestmark = [pytest.mark.infra, pytest.mark.slow]


def test_planned_tables_match_the_python_definitions(deployment: Deployment) -> None:
    planned = {
        resource["values"]["name"]: resource["values"]
        for resource in planned_resources(deployment.plan["planned_values"]["root_module"])
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
        # API Gateway invokes the live alias (a rollback moves it), not $LATEST
        assert integration["IntegrationUri"].endswith(
            f"functions/{function['FunctionArn']}:live/invocations"
        ), route_key
        assert function["Handler"] == handler
        assert function["Runtime"] == "python3.12"
        assert function["TracingConfig"]["Mode"] == "Active"
        policy = json.loads(
            functions.get_policy(FunctionName=function_name, Qualifier="live")["Policy"]
        )
        source_arns = [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]]
        assert source_arns == [
            f"arn:aws:execute-api:{REGION}:123456789012:{api['ApiId']}/dev/{route_key}"
        ], route_key
    # $default answers the caller: the route has a route response (moto has no
    # GetRouteResponses, so the id comes from the state).
    assert routes["$default"]["RouteResponseSelectionExpression"] == "$default"
    (route_response,) = [
        resource["values"]
        for resource in planned_resources(deployment.state["values"]["root_module"])
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
        # $connect verifies tokens; the message function mints them for approved pairings
        signs = function_name.endswith(("-connect", "-message"))
        assert ("MEDIADAY_SIGNING_SECRET_ARN" in env) == signs, function_name


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
        if mapping["FunctionArn"].startswith(broadcast["Configuration"]["FunctionArn"])
    ]
    assert len(mappings) == 1
    mapping = mappings[0]
    queue_url = deployment.outputs["failure_queue_url"]
    queue_arn = deployment.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert mapping["EventSourceArn"] == stream_arn
    # the stream invokes the live alias, so rolling the alias back rolls the fan-out back
    # (moto reports the alias resolved to the version it points at; AWS keeps ":live")
    alias = deployment.client("lambda").get_alias(FunctionName=f"{NAME}-broadcast", Name="live")
    function_arn = broadcast["Configuration"]["FunctionArn"]
    assert mapping["FunctionArn"] in {
        alias["AliasArn"],
        f"{function_arn}:{alias['FunctionVersion']}",
    }
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
        # connect and disconnect announce the device on the devices topic
        "connect": True,
        "disconnect": True,
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
            resource
            for s in statements
            if "execute-api:ManageConnections" in s["Action"]
            for resource in s["Resource"]
        ]
        # POST (and, where a role closes connections, DELETE) on this API's stage only
        assert set(manage) <= {post, post.replace("/POST/", "/DELETE/")}, role
        assert (post in manage) == posts, role
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
    assert {
        f"{NAME}-broadcast-failed-records",
        f"{NAME}-broadcast-undeliverable-records",
        f"{NAME}-broadcast-destination-failures",
        f"{NAME}-broadcast-failures-parked",
        f"{NAME}-broadcast-failures-aging",
        f"{NAME}-api-execution-errors",
        f"{NAME}-coordination-transaction-conflicts",
        f"{NAME}-coordination-write-throttles",
    } <= names
    for function in ("connect", "disconnect", "message", "broadcast", "rotation"):
        assert {f"{NAME}-{function}-errors", f"{NAME}-{function}-throttles"} <= names
    assert all(alarm["AlarmActions"] == [deployment.outputs["alarm_topic_arn"]] for alarm in alarms)


def test_every_function_publishes_a_version_behind_its_live_alias(deployment: Deployment) -> None:
    functions = deployment.client("lambda")
    for function_name in deployment.outputs["functions"].values():
        alias = functions.get_alias(FunctionName=function_name, Name="live")
        versions = functions.list_versions_by_function(FunctionName=function_name)["Versions"]
        published = [v["Version"] for v in versions if v["Version"] != "$LATEST"]
        # the alias points at the version this apply published: the one to roll back from
        assert published and alias["FunctionVersion"] == published[-1], function_name


def test_api_gateway_execution_logs_have_a_group_with_retention_and_the_key(
    deployment: Deployment,
) -> None:
    name = f"/aws/apigateway/{deployment.outputs['api_id']}/dev"
    groups = deployment.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert [group["logGroupName"] for group in groups] == [name]
    assert groups[0]["retentionInDays"] == 30 and groups[0].get("kmsKeyId")


def test_the_dashboard_is_deployed(deployment: Deployment) -> None:
    body = json.loads(
        deployment.client("cloudwatch").get_dashboard(
            DashboardName=deployment.outputs["dashboard_name"]
        )["DashboardBody"]
    )
    assert len(body["widgets"]) == 8


def test_rehearsal_timing_is_reported(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        seconds = deployment.apply_seconds
        print(f"\nrehearsal: plan + apply of the dev environment on moto in {seconds:.0f} s")
    assert deployment.apply_seconds > 0
