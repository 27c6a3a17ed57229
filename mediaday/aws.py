"""Cached boto3 client factories: one client per process and service, built on first use.

DynamoDB Local and moto are reached through the standard AWS_ENDPOINT_URL_DYNAMODB /
AWS_ENDPOINT_URL variables, which boto3 honours by itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
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
def management_api_client(endpoint: str, pool_size: int) -> ApiGatewayManagementApiClient:
    """One client shared by every posting thread, its pool sized to the thread count.

    Retries are ours (capped, jittered, per connection), not botocore's.
    """
    config = Config(
        retries={"mode": "standard", "max_attempts": 1},
        max_pool_connections=pool_size,
        connect_timeout=2,
        read_timeout=5,
    )
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, config=config)


def reset_clients() -> None:
    """Forget cached clients (tests switch between moto, DynamoDB Local and fakes)."""
    dynamodb_client.cache_clear()
    secretsmanager_client.cache_clear()
    management_api_client.cache_clear()
