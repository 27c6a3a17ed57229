"""One local stack (`mediaday serve` with the demo day) for every module of this folder:
their tests use subjects of their own and stop nothing, so sharing costs no isolation and
saves a stack start per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.runner import LocalStack
from tests.support.stack import running_stack


@pytest.fixture(scope="package")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    yield from running_stack(tmp_path_factory)
