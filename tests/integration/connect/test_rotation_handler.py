"""The rotation function as Secrets Manager drives it (moto): after the four steps, new
tokens are signed with a new key and tokens signed with the old one still verify for the
grace period."""

from __future__ import annotations

import time
import uuid

import boto3
import pytest
from moto.secretsmanager.models import secretsmanager_backends

from connect.handler import on_rotate_signing_key
from infra.local.events import LambdaContext
from mediaday.errors import RotationRefused, TokenRejected
from mediaday.keys import SecretsManagerKeyProvider
from mediaday.models import Role
from mediaday.tokens import issue_token, verify_token

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture
def secret(aws):
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="mediaday-dev/signing-key", SecretString="a" * 64)["ARN"]
    return client, arn


def start_rotation(arn: str) -> str:
    """What RotateSecret does before it calls the function (moto would call it through
    Docker): label a new version id AWSPENDING, with no value yet, and turn rotation on."""
    stored = secretsmanager_backends["123456789012"]["eu-west-1"].secrets[arn]
    version_id = str(uuid.uuid4())
    stored.versions[version_id] = {
        "createdate": int(time.time()),
        "version_id": version_id,
        "version_stages": ["AWSPENDING"],
    }
    stored.rotation_requested = stored.rotation_enabled = True
    stored.auto_rotate_after_days = 30
    return version_id


def step(arn: str, name: str, version_id: str) -> None:
    event = {"SecretId": arn, "ClientRequestToken": version_id, "Step": name}
    on_rotate_signing_key(event, LambdaContext("test-function"))


def kiosk_token(provider: SecretsManagerKeyProvider) -> str:
    return issue_token(
        provider.current_key(), role=Role.KIOSK, media_day="md", subject="tv", ttl_seconds=3600
    )


def test_a_rotation_signs_new_tokens_with_a_new_key_and_old_tokens_keep_their_grace(secret):
    client, arn = secret
    provider = SecretsManagerKeyProvider(arn, client, grace_seconds=600, cache_seconds=0)
    old_token = kiosk_token(provider)
    # When Secrets Manager runs the four steps (each one twice: it retries)
    version_id = start_rotation(arn)
    for name in STEPS:
        step(arn, name, version_id)
        step(arn, name, version_id)
    # Then the new version is current and holds a fresh 64-character key
    stages = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[version_id]
    new_key = client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
    assert len(new_key) == 64 and new_key != "a" * 64
    # And tokens signed before and after both verify, the old one only within the grace
    new_token = kiosk_token(provider)
    assert provider.current_key().secret == new_key.encode()
    assert verify_token(new_token, provider).subject == "tv"
    assert verify_token(old_token, provider).subject == "tv"
    with pytest.raises(TokenRejected, match="retired"):
        verify_token(old_token, provider, now=time.time() + 601)


@pytest.mark.parametrize(
    "event,reason",
    [
        ({"Step": "dropSecret", "ClientRequestToken": "x" * 36}, "Step"),
        ({"Step": "createSecret", "ClientRequestToken": "x" * 36}, "SecretId"),
        ({"Step": "createSecret", "SecretId": "s"}, "ClientRequestToken"),
        ({}, "Step"),
    ],
)
def test_an_event_that_is_not_a_rotation_step_is_refused_by_name(secret, event, reason):
    with pytest.raises(RotationRefused, match=reason) as refused:
        on_rotate_signing_key(event, LambdaContext("test-function"))
    assert refused.value.code == "rotation_refused"


def test_without_rotation_enabled_nothing_is_written(secret):
    client, arn = secret
    before = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    with pytest.raises(RotationRefused, match="not enabled"):
        step(arn, "createSecret", str(uuid.uuid4()))
    assert client.describe_secret(SecretId=arn)["VersionIdsToStages"] == before
