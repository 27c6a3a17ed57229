"""Shared fixtures: fake AWS credentials, moto-backed tables, a local signing key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mediaday.connections import ConnectionStore
from mediaday.coordination import CoordinationStore
from mediaday.factories import reset_all
from mediaday.keys import FileKeyProvider
from mediaday.tables import create_tables

CONNECTIONS_TABLE = "test-connections"
COORDINATION_TABLE = "test-coordination"


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach real AWS: fake credentials, a fixed region, fresh caches."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "MediaDayLiveTest",
        "POWERTOOLS_SERVICE_NAME": "test",
        "MEDIADAY_CONNECTIONS_TABLE": CONNECTIONS_TABLE,
        "MEDIADAY_COORDINATION_TABLE": COORDINATION_TABLE,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    reset_all()
    yield
    reset_all()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None):  # type: ignore[no-untyped-def]
    client = boto3.client("dynamodb")
    create_tables(client, connections=CONNECTIONS_TABLE, coordination=COORDINATION_TABLE)
    return client


@pytest.fixture
def connection_store(dynamodb) -> ConnectionStore:  # type: ignore[no-untyped-def]
    return ConnectionStore(CONNECTIONS_TABLE, dynamodb)


@pytest.fixture
def coordination_store(dynamodb) -> CoordinationStore:  # type: ignore[no-untyped-def]
    return CoordinationStore(COORDINATION_TABLE, dynamodb)


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "signing-key"
    monkeypatch.setenv("MEDIADAY_SIGNING_KEY_FILE", str(path))
    reset_all()
    return path


@pytest.fixture
def keys(key_file: Path) -> FileKeyProvider:
    return FileKeyProvider(key_file)
