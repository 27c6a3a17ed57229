"""Cached AWS client factories: one boto3 client per process and service, and one
Management API poster per endpoint, each built on first use.

DynamoDB Local and moto are reached through the standard AWS_ENDPOINT_URL_DYNAMODB /
AWS_ENDPOINT_URL variables, which boto3 honours by itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from mediaday.poster import ManagementApiPoster

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

_STANDARD = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5
)


@lru_cache(maxsize=1)
def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_STANDARD.merge(Config(max_pool_connections=32)))


@lru_cache(maxsize=1)
def secretsmanager_client() -> SecretsManagerClient:
    return boto3.client("secretsmanager", config=_STANDARD)


@lru_cache(maxsize=8)
def management_api_poster(endpoint: str, pool_size: int) -> ManagementApiPoster:
    """One poster per endpoint, shared by every posting thread, its pool sized to them.

    Signed with the credentials boto3 would use (in Lambda: the function's role), for the
    region an execute-api host names, else the session's (the local emulator's).
    """
    session = boto3.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign Management API calls with")
    region = _region_of(endpoint) or session.region_name
    if not region:
        raise RuntimeError(f"no AWS region configured and none in {endpoint!r}")
    return ManagementApiPoster(
        endpoint, credentials=credentials, region=region, pool_size=pool_size
    )


def _region_of(endpoint: str) -> str | None:
    """`eu-west-1` in https://abc123.execute-api.eu-west-1.amazonaws.com/prod."""
    labels = (urlsplit(endpoint).hostname or "").split(".")
    return labels[2] if len(labels) > 2 and labels[1] == "execute-api" else None


def reset_clients() -> None:
    """Forget cached clients (tests switch between moto, DynamoDB Local and fakes)."""
    dynamodb_client.cache_clear()
    secretsmanager_client.cache_clear()
    management_api_poster.cache_clear()
