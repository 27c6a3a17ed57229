"""Rotating the token signing key: Secrets Manager's four-step protocol.

Secrets Manager calls the rotation function four times with the same version id: create a
new key as AWSPENDING, set it where it is used, test it, finish by promoting it to
AWSCURRENT. Nothing outside the secret holds the key, so `setSecret` has nothing to do;
the old key moves to AWSPREVIOUS, where every verifier keeps accepting it for the grace
period. Each step is idempotent, because Secrets Manager retries a step that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from mediaday.errors import RotationRefused
from mediaday.keys import SecretState

CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"
MIN_KEY_LENGTH = 32


class RotationStep(StrEnum):
    CREATE = "createSecret"
    SET = "setSecret"
    TEST = "testSecret"
    FINISH = "finishSecret"


class RotatingSecret(Protocol):
    """mediaday.keys.SigningKeySecret in production."""

    def state(self) -> SecretState: ...

    def value(self, stage: str, version_id: str | None = None) -> str | None: ...

    def put_pending(self, version_id: str, key: str) -> None: ...

    def make_current(self, version_id: str, current_version_id: str) -> None: ...


def rotate(
    step: RotationStep,
    version_id: str,
    *,
    secret: RotatingSecret,
    new_key: Callable[[], str],
) -> str:
    """Take one step for version `version_id`; returns what was done (for the log)."""
    state = secret.state()
    if not state.rotation_enabled:
        raise RotationRefused("rotation is not enabled on the signing-key secret")
    stages = state.stages.get(version_id)
    if stages is None:
        raise RotationRefused(f"version {version_id} is not a version of the signing-key secret")
    if CURRENT in stages:
        return "already current"
    if PENDING not in stages:
        raise RotationRefused(f"version {version_id} is not pending rotation")
    if step is RotationStep.CREATE:
        return _create(version_id, secret, new_key)
    if step is RotationStep.SET:
        return "nothing to set: only verifiers read the key, from the secret itself"
    if step is RotationStep.TEST:
        return _test(version_id, secret)
    return _finish(version_id, state, secret)


def _create(version_id: str, secret: RotatingSecret, new_key: Callable[[], str]) -> str:
    if secret.value(CURRENT) is None:
        raise RotationRefused("the signing-key secret has no current key to rotate from")
    if secret.value(PENDING, version_id) is not None:
        return "pending key already created"
    secret.put_pending(version_id, new_key())
    return "pending key created"


def _test(version_id: str, secret: RotatingSecret) -> str:
    pending = secret.value(PENDING, version_id)
    if pending is None:
        raise RotationRefused(f"version {version_id} holds no key yet (createSecret first)")
    if len(pending) < MIN_KEY_LENGTH:
        raise RotationRefused(f"the pending key is shorter than {MIN_KEY_LENGTH} characters")
    if pending == secret.value(CURRENT):
        raise RotationRefused("the pending key is the current key: it would rotate nothing")
    return "pending key is usable"


def _finish(version_id: str, state: SecretState, secret: RotatingSecret) -> str:
    current = next((v for v, stages in state.stages.items() if CURRENT in stages), None)
    if current is None:
        raise RotationRefused("the signing-key secret has no current version to replace")
    secret.make_current(version_id, current)
    return "pending key is now current"
