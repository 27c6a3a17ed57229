"""The signing key's rotation steps, against an in-memory secret."""

from __future__ import annotations

import itertools

import pytest

from connect.rotation import RotationStep, rotate
from mediaday.errors import RotationRefused
from mediaday.keys import SecretState

OLD, NEW = "v-old-0000000000000000000000000000", "v-new-0000000000000000000000000000"


class Secret:
    """Versions -> (labels, value), as Secrets Manager holds them during a rotation."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.labels: dict[str, list[str]] = {OLD: ["AWSCURRENT"], NEW: ["AWSPENDING"]}
        self.values: dict[str, str] = {OLD: "o" * 64}
        self.writes = 0

    def state(self) -> SecretState:
        return SecretState(self.enabled, {v: list(labels) for v, labels in self.labels.items()})

    def value(self, stage: str, version_id: str | None = None) -> str | None:
        for version, labels in self.labels.items():
            if stage in labels and version_id in (None, version):
                return self.values.get(version)
        return None

    def put_pending(self, version_id: str, key: str) -> None:
        self.values[version_id] = key
        self.writes += 1

    def make_current(self, version_id: str, current_version_id: str) -> None:
        self.labels[current_version_id] = ["AWSPREVIOUS"]
        self.labels[version_id] = [*self.labels[version_id], "AWSCURRENT"]
        self.writes += 1


def keys():
    return (f"{n:064d}" for n in itertools.count(1))


def test_the_four_steps_make_a_new_key_current_and_keep_the_old_one_as_previous():
    secret, new_key = Secret(), keys()
    outcomes = [
        rotate(step, NEW, secret=secret, new_key=lambda: next(new_key)) for step in RotationStep
    ]
    assert outcomes[0] == "pending key created"
    assert secret.value("AWSCURRENT") == f"{1:064d}"
    assert secret.value("AWSPREVIOUS") == "o" * 64
    assert outcomes[-1] == "pending key is now current"


def test_every_step_can_be_retried_without_effect():
    secret, new_key = Secret(), keys()
    for step in RotationStep:
        rotate(step, NEW, secret=secret, new_key=lambda: next(new_key))
        writes = secret.writes
        rotate(step, NEW, secret=secret, new_key=lambda: next(new_key))
        assert secret.writes == writes, step
    assert secret.value("AWSCURRENT") == f"{1:064d}"  # the first key made, not a second


@pytest.mark.parametrize(
    "arrange,version,message",
    [
        (lambda s: setattr(s, "enabled", False), NEW, "not enabled"),
        (lambda s: None, "v-unknown-000000000000000000000000", "not a version"),
        (lambda s: s.labels.update({NEW: ["AWSPREVIOUS"]}), NEW, "not pending"),
    ],
)
def test_a_step_for_a_version_that_is_not_being_rotated_is_refused(arrange, version, message):
    secret = Secret()
    arrange(secret)
    for step in RotationStep:
        with pytest.raises(RotationRefused, match=message):
            rotate(step, version, secret=secret, new_key=lambda: "n" * 64)
    assert secret.writes == 0


def test_a_pending_key_that_is_missing_short_or_the_current_one_fails_the_test_step():
    secret = Secret()
    with pytest.raises(RotationRefused, match="createSecret first"):
        rotate(RotationStep.TEST, NEW, secret=secret, new_key=lambda: "n" * 64)
    secret.values[NEW] = "short"
    with pytest.raises(RotationRefused, match="shorter than 32"):
        rotate(RotationStep.TEST, NEW, secret=secret, new_key=lambda: "n" * 64)
    secret.values[NEW] = "o" * 64
    with pytest.raises(RotationRefused, match="is the current key"):
        rotate(RotationStep.TEST, NEW, secret=secret, new_key=lambda: "n" * 64)


def test_there_must_be_a_current_key_to_rotate_from():
    secret = Secret()
    secret.labels[OLD] = ["AWSPREVIOUS"]
    with pytest.raises(RotationRefused, match="no current key"):
        rotate(RotationStep.CREATE, NEW, secret=secret, new_key=lambda: "n" * 64)
    with pytest.raises(RotationRefused, match="no current version"):
        rotate(RotationStep.FINISH, NEW, secret=secret, new_key=lambda: "n" * 64)
    assert secret.writes == 0


def test_set_has_nothing_to_do_because_verifiers_read_the_secret_itself():
    secret = Secret()
    outcome = rotate(RotationStep.SET, NEW, secret=secret, new_key=lambda: "n" * 64)
    assert outcome.startswith("nothing to set") and secret.writes == 0
