"""Collaborators built once per process from settings, for the Lambda handlers.

Domain functions take these as arguments; only handlers call the factories, so tests pass
fakes or moto-backed stores instead.
"""

from __future__ import annotations

from functools import lru_cache

from mediaday.aws import (
    dynamodb_client,
    management_api_poster,
    reset_clients,
    secretsmanager_client,
)
from mediaday.connections import ConnectionStore
from mediaday.coordination import CoordinationStore
from mediaday.keys import SigningKeySecret, get_key_provider
from mediaday.pairing import PairingStore
from mediaday.poster import ManagementApiPoster
from mediaday.revocations import RevocationStore
from mediaday.settings import get_settings


@lru_cache(maxsize=1)
def get_connection_store() -> ConnectionStore:
    return ConnectionStore(get_settings().connections_table, dynamodb_client())


@lru_cache(maxsize=1)
def get_coordination_store() -> CoordinationStore:
    settings = get_settings()
    return CoordinationStore(
        settings.coordination_table,
        dynamodb_client(),
        tombstone_ttl_seconds=settings.tombstone_ttl_seconds,
    )


@lru_cache(maxsize=1)
def get_revocation_store() -> RevocationStore:
    settings = get_settings()
    return RevocationStore(
        settings.connections_table,
        dynamodb_client(),
        max_age_seconds=settings.revocation_cache_seconds,
    )


@lru_cache(maxsize=1)
def get_pairing_store() -> PairingStore:
    return PairingStore(get_settings().connections_table, dynamodb_client())


@lru_cache(maxsize=1)
def get_poster() -> ManagementApiPoster:
    settings = get_settings()
    if not settings.management_endpoint:
        raise RuntimeError("MEDIADAY_MANAGEMENT_ENDPOINT is not set")
    return management_api_poster(settings.management_endpoint, settings.broadcast_max_workers)


def get_callback_poster(domain_name: str, stage: str) -> ManagementApiPoster:
    """MEDIADAY_MANAGEMENT_ENDPOINT when set, else the API's own execute-api callback URL
    (https://<domainName>/<stage>), which is where @connections lives on AWS."""
    settings = get_settings()
    if settings.management_endpoint:
        return get_poster()
    endpoint = f"https://{domain_name}/{stage}"
    return management_api_poster(endpoint, settings.broadcast_max_workers)


@lru_cache(maxsize=4)
def get_signing_key_secret(secret_id: str) -> SigningKeySecret:
    return SigningKeySecret(secret_id, secretsmanager_client())


def reset_all() -> None:
    """Forget every cached setting, client and store (tests and the local stack)."""
    get_settings.cache_clear()
    get_key_provider.cache_clear()
    get_connection_store.cache_clear()
    get_coordination_store.cache_clear()
    get_revocation_store.cache_clear()
    get_pairing_store.cache_clear()
    get_poster.cache_clear()
    get_signing_key_secret.cache_clear()
    reset_clients()
