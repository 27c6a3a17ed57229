"""Shared fixtures: the local stack (one `mediaday serve` per test module) and a bare
DynamoDB Local (one per session, fresh tables per test)."""

from tests.support.dynamodb_local import dynamodb_local, local_tables  # noqa: F401
from tests.support.stack import local_stack  # noqa: F401 (fixtures, found by name)
