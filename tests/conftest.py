"""Shared fixtures: fake AWS credentials, moto-backed tables, a local signing key, and the
plugins that hold the DynamoDB Local and local-stack fixtures."""

from __future__ import annotations

import fnmatch
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

# Fixtures shared across folders, registered once here instead of re-exported by conftests:
# one botocore model loader per process (tests/support/botocore_models.py), a bare DynamoDB
# Local (one per session, or per xdist worker; fresh tables per test) and the local stack
# (one `mediaday serve` per test module).
pytest_plugins = [
    "tests.support.botocore_models",
    "tests.support.dynamodb_local",
    "tests.support.stack",
]

TESTS = Path(__file__).resolve().parent
# Folders whose tests stand alone (function-scoped moto, or one DynamoDB Local per worker):
# xdist spreads them test by test. Everything else shares a stack, a browser or a build
# per module or package, so it runs as one group on one worker (see pytest_collection_...).
SPREAD_FOLDERS = frozenset({"unit", "integration"})
# Folders that run the local stack (DynamoDB Local, `mediaday serve`, Chromium): one group,
# so at most one stack runs at a time. Two stacks on a 2-core machine starve each other's
# timing (a kill -9 scenario hung and a browser wait ran out when e2e and browser ran side
# by side); one worker runs these in a row while the other takes unit, integration, infra.
STACK_FOLDERS = frozenset({"e2e", "browser", "reliability", "bench"})
# Files that share nothing with the rest of their folder's group and take minutes: a group
# of their own, so another worker can run them beside it (the mocked `terraform test`
# beside the moto rehearsal's apply and destroy).
OWN_GROUP_FILES = frozenset({("infra", "test_terraform.py")})
# The pages' JavaScript tested over a scripted socket (tests/browser/test_*_js.py): no stack,
# only Chromium, so they leave the stack worker for the other one (a Chromium of its own
# there), which evens the two workers out.
SCRIPTED_JS = "browser/test_*_js.py"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs `-n auto --dist loadgroup`), keep the tests that
    share a module-, package- or session-scoped fixture on one worker, so each stack,
    Chromium, fault stack and Lambda build starts once, as in a serial run."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        try:
            parts = item.path.resolve().relative_to(TESTS).parts
        except ValueError:
            continue
        if len(parts) < 2 or parts[0] in SPREAD_FOLDERS:
            continue
        if (parts[0], parts[-1]) in OWN_GROUP_FILES:
            group = f"{parts[0]}-{parts[-1].removesuffix('.py')}"
        elif fnmatch.fnmatchcase("/".join(parts), SCRIPTED_JS):
            group = "browser-scripted-js"
        else:
            group = "local-stack" if parts[0] in STACK_FOLDERS else parts[0]
        item.add_marker(pytest.mark.xdist_group(group))


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
def dynamodb(aws: None):
    client = boto3.client("dynamodb")
    create_tables(client, connections=CONNECTIONS_TABLE, coordination=COORDINATION_TABLE)
    return client


@pytest.fixture
def connection_store(dynamodb) -> ConnectionStore:
    return ConnectionStore(CONNECTIONS_TABLE, dynamodb)


@pytest.fixture
def coordination_store(dynamodb) -> CoordinationStore:
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


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Grouping fails silently when xdist's node-id suffix stops taking effect (it did on
    pytest 9.2, pytest-dev/pytest-xdist#1386): then stacks start twice and race each other.
    Refuse to run instead."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    ungrouped = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if ungrouped:
        raise pytest.UsageError(
            f"--dist loadgroup is not grouping ({len(ungrouped)} tests, e.g. {ungrouped[0]}): "
            "see pytest-dev/pytest-xdist#1386 and the pytest pin in pyproject.toml"
        )
