"""A bare DynamoDB Local (one per session, fresh tables per test)."""

from tests.support.dynamodb_local import dynamodb_local, local_tables  # noqa: F401
