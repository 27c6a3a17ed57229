"""One botocore model loader per test process, shared by every botocore session.

Each test gets fresh boto3 clients (`reset_all`, moto's `mock_aws`), and each new session
builds a loader that reads and parses the JSON models (endpoints, DynamoDB, ...) again:
about half the time of a moto-backed test. The models never change within a run, and a
loader already hands the same parsed models to every client of its session, so sharing
one across sessions changes nothing but the time. Production code is untouched: each
Lambda container keeps its one session.
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Before any test builds a session (xdist runs this in every worker)."""
    botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)  # type: ignore[attr-defined]
