"""Where signing keys come from: Secrets Manager in AWS, a generated file locally."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from mediaday.aws import secretsmanager_client
from mediaday.settings import get_settings
from mediaday.tokens import KeyProvider, SigningKey
from mediaday.unanswered import overload_as_busy

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class FileKeyProvider:
    """A key file in the local data directory, created with 0600 on first use."""

    def __init__(self, path: Path) -> None:
        self._key = SigningKey(ensure_key_file(path))

    def current_key(self) -> SigningKey:
        return self._key

    def verification_keys(self) -> list[SigningKey]:
        return [self._key]

    def refresh(self) -> None:
        """Nothing to do: the local key never rotates while the stack runs."""


def new_signing_key() -> str:
    """A fresh signing key: 256 random bits, hex (safe in files and Secrets Manager)."""
    return secrets.token_hex(32)


def ensure_key_file(path: Path) -> bytes:
    """Read the key, generating it atomically if it does not exist yet; the file is
    readable by its user only (0600), a wider one is tightened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:  # made by hand or by an older version: tighten
            path.chmod(0o600)
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(new_signing_key())
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"signing key file {path} holds fewer than 32 characters")
    return secret.encode()


class SecretsManagerKeyProvider:
    """AWSCURRENT signs; AWSPREVIOUS still verifies for a grace period after rotation.

    The grace period runs from the creation of the current version (the rotation), so a
    token minted just before a rotation keeps working for a while, then stops.
    """

    def __init__(
        self,
        secret_id: str,
        client: SecretsManagerClient,
        *,
        grace_seconds: int,
        cache_seconds: int,
        min_refresh_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret_id = secret_id
        self._client = client
        overload_as_busy(client)  # no answer, or throttled: `busy` (503 at $connect)
        self._grace = grace_seconds
        self._cache_seconds = cache_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._fetched_at = float("-inf")

    def current_key(self) -> SigningKey:
        return self.verification_keys()[0]

    def verification_keys(self) -> list[SigningKey]:
        with self._lock:
            if self._clock() - self._fetched_at >= self._cache_seconds or not self._keys:
                self._keys = self._fetch()
                self._fetched_at = self._clock()
            return list(self._keys)

    def refresh(self) -> None:
        """Fetch again before the cache expires, so a token signed with a key rotated in
        moments ago is not refused for minutes; at most once per `min_refresh_seconds`, so
        tokens naming made-up keys cannot turn every handshake into a Secrets Manager call."""
        with self._lock:
            if self._clock() - self._fetched_at >= self._min_refresh_seconds:
                self._keys = self._fetch()
                self._fetched_at = self._clock()

    def _fetch(self) -> list[SigningKey]:
        current = self._client.get_secret_value(SecretId=self._secret_id, VersionStage="AWSCURRENT")
        keys = [SigningKey(current["SecretString"].encode())]
        try:
            previous = self._client.get_secret_value(
                SecretId=self._secret_id, VersionStage="AWSPREVIOUS"
            )
        except self._client.exceptions.ResourceNotFoundException:
            return keys
        rotated_at = current["CreatedDate"].timestamp()
        keys.append(SigningKey(previous["SecretString"].encode(), rotated_at + self._grace))
        return keys


@dataclass(frozen=True)
class SecretState:
    rotation_enabled: bool
    stages: dict[str, list[str]]  # version id -> its staging labels


class SigningKeySecret:
    """The signing-key secret's versions, as Secrets Manager's rotation protocol moves them:
    a new version is written as AWSPENDING, then promoted to AWSCURRENT (which moves the
    old one to AWSPREVIOUS, where SecretsManagerKeyProvider keeps verifying it)."""

    def __init__(self, secret_id: str, client: SecretsManagerClient) -> None:
        self.secret_id = secret_id
        self._client = client

    def state(self) -> SecretState:
        described = self._client.describe_secret(SecretId=self.secret_id)
        return SecretState(
            rotation_enabled=bool(described.get("RotationEnabled")),
            stages={k: list(v) for k, v in described.get("VersionIdsToStages", {}).items()},
        )

    def value(self, stage: str, version_id: str | None = None) -> str | None:
        """The key stored under `stage` (and `version_id`); None when there is none yet."""
        kwargs = {"VersionId": version_id} if version_id else {}
        try:
            found = self._client.get_secret_value(
                SecretId=self.secret_id, VersionStage=stage, **kwargs
            )
        except self._client.exceptions.ResourceNotFoundException:
            return None
        return found.get("SecretString")

    def put_pending(self, version_id: str, key: str) -> None:
        """Store `key` as version `version_id` (idempotent for the same id and key)."""
        self._client.put_secret_value(
            SecretId=self.secret_id,
            ClientRequestToken=version_id,
            SecretString=key,
            VersionStages=["AWSPENDING"],
        )

    def make_current(self, version_id: str, current_version_id: str) -> None:
        self._client.update_secret_version_stage(
            SecretId=self.secret_id,
            VersionStage="AWSCURRENT",
            MoveToVersionId=version_id,
            RemoveFromVersionId=current_version_id,
        )


@lru_cache(maxsize=1)
def get_key_provider() -> KeyProvider:
    settings = get_settings()
    if settings.signing_secret_arn:
        return SecretsManagerKeyProvider(
            settings.signing_secret_arn,
            secretsmanager_client(),
            grace_seconds=settings.key_rotation_grace_seconds,
            cache_seconds=settings.key_cache_seconds,
        )
    if settings.signing_key_file:
        return FileKeyProvider(settings.signing_key_file)
    raise RuntimeError(
        "no signing key configured: set MEDIADAY_SIGNING_SECRET_ARN (AWS) "
        "or MEDIADAY_SIGNING_KEY_FILE (local)"
    )
