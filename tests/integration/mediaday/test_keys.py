"""Signing keys from Secrets Manager: cached, and rotation keeps a grace period."""

from __future__ import annotations

import boto3
import pytest

from mediaday.errors import StoreUnavailable, TokenRejected
from mediaday.keys import FileKeyProvider, SecretsManagerKeyProvider
from mediaday.models import Role
from mediaday.tokens import SigningKey, issue_token, verify_token
from tests.support.unanswered import handler_log, stop_answering


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def secrets(aws):
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="mediaday/signing-key", SecretString="a" * 64)["ARN"]
    return client, arn


def _token(provider, now):
    return issue_token(
        provider.current_key(),
        role=Role.KIOSK,
        media_day="md",
        subject="tv",
        ttl_seconds=86_400,
        now=now,
    )


def test_previous_key_verifies_within_grace_and_not_after(secrets):
    client, arn = secrets
    created = client.describe_secret(SecretId=arn)["CreatedDate"].timestamp()
    clock = Clock(created)
    provider = SecretsManagerKeyProvider(
        arn, client, grace_seconds=600, cache_seconds=0, clock=clock
    )
    old_token = _token(provider, clock.now)
    # When the secret rotates
    client.put_secret_value(SecretId=arn, SecretString="b" * 64)
    rotated_at = client.get_secret_value(SecretId=arn)["CreatedDate"].timestamp()
    # Then new tokens use the new key, and old tokens work for the grace period only
    assert provider.current_key().secret == b"b" * 64
    assert verify_token(old_token, provider, now=rotated_at + 599).subject == "tv"
    with pytest.raises(TokenRejected, match="retired"):
        verify_token(old_token, provider, now=rotated_at + 601)


def test_a_secrets_manager_that_does_not_answer_is_busy_not_a_bug(secrets):
    client, arn = secrets
    provider = SecretsManagerKeyProvider(arn, client, grace_seconds=600, cache_seconds=0)
    attempts = stop_answering(client, "GetSecretValue", service="secrets-manager")
    with handler_log() as log, pytest.raises(StoreUnavailable):
        provider.current_key()
    # after the SDK's own retries, one WARNING line and no traceback: $connect answers 503
    assert len(attempts) > 1 and set(attempts) == {"GetSecretValue"}  # the SDK retried first
    [warning] = log.entries("store did not answer")
    assert (warning["operation"], warning["error"]) == ("GetSecretValue", "ReadTimeoutError")
    assert "Traceback" not in log.text


def test_keys_are_cached_between_calls(secrets):
    client, arn = secrets
    clock = Clock(0)
    calls = []
    client.meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **kw: calls.append(1)
    )
    provider = SecretsManagerKeyProvider(
        arn, client, grace_seconds=60, cache_seconds=300, clock=clock
    )
    for _ in range(5):
        provider.verification_keys()
    first = len(calls)
    clock.now = 301
    provider.verification_keys()
    assert first <= 2 and len(calls) > first


def test_key_file_is_generated_once_private_and_stable(tmp_path):
    path = tmp_path / "dir" / "signing-key"
    first = FileKeyProvider(path).current_key()
    assert FileKeyProvider(path).current_key() == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first.secret) == 64


def test_a_token_signed_with_a_key_rotated_in_since_the_cache_filled_is_accepted(secrets):
    client, arn = secrets
    clock = Clock(1_000)
    provider = SecretsManagerKeyProvider(
        arn, client, grace_seconds=600, cache_seconds=300, min_refresh_seconds=10, clock=clock
    )
    provider.verification_keys()  # cached: only the first key
    # Given the key rotates, and a producer mints a token with the new one at once
    client.put_secret_value(SecretId=arn, SecretString="c" * 64)
    minted_elsewhere = SecretsManagerKeyProvider(arn, client, grace_seconds=600, cache_seconds=0)
    clock.now += 20
    token = _token(minted_elsewhere, clock.now)
    # When this (warm) provider verifies it, well before its cache expires
    # Then it looks again and accepts it
    assert verify_token(token, provider, now=clock.now).subject == "tv"


def test_made_up_key_ids_cost_at_most_one_fetch_per_refresh_interval(secrets):
    client, arn = secrets
    fetches = []
    client.meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **kw: fetches.append(1)
    )
    clock = Clock(1_000)
    provider = SecretsManagerKeyProvider(
        arn, client, grace_seconds=600, cache_seconds=300, min_refresh_seconds=10, clock=clock
    )
    stranger = issue_token(
        SigningKey(b"z" * 64), role=Role.KIOSK, media_day="md", subject="x", ttl_seconds=60
    )
    provider.verification_keys()
    after_first_fetch = len(fetches)
    for _ in range(50):
        with pytest.raises(TokenRejected, match="unknown key"):
            verify_token(stranger, provider, now=clock.now)
    assert len(fetches) == after_first_fetch  # within 10 s of the last fetch: none
    clock.now += 11
    for _ in range(50):
        with pytest.raises(TokenRejected, match="unknown key"):
            verify_token(stranger, provider, now=clock.now)
    assert len(fetches) - after_first_fetch <= 2  # one refresh (AWSCURRENT + AWSPREVIOUS)
