"""The shared local stack fixture (one `mediaday serve` per test module)."""

from tests.support.stack import local_stack  # noqa: F401 (a fixture, found by name)
