"""The `local_stack` fixture: one `mediaday serve` with the demo day per test module.

The runner itself is infra/local/runner.py, shared with the benchmarks; this module adds
only what pytest needs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.runner import LocalStack


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One running stack with the demo day, shared by a test module."""
    stack = LocalStack(tmp_path_factory.mktemp("stack")).start()
    try:
        yield stack
    finally:
        if stack.running:
            stack.stop()
