"""The producer console's tests against the real local stack: one stack for the package.

A stack start costs seconds, and every stack test runs in a row on one xdist worker, so
the console's modules share one `mediaday serve` with the demo day (a package-scoped
`local_stack`, as tests/browser/views does). They do not depend on each other's data:
each module uses its own station, talent, device and notice names (or creates its own
station, as the day report and the scripted day do), and leaves no page open. The
`producer` (one Python client per module) and `console` fixtures are in
tests/browser/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.runner import LocalStack
from tests.support.stack import running_stack


@pytest.fixture(scope="package")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One stack for every module here."""
    yield from running_stack(tmp_path_factory)
