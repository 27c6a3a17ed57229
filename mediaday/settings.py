"""Runtime settings, read from the environment once and only when first needed.

`MEDIADAY_<FIELD>` (any case) sets a field; a list is given as JSON. Read by a few lines
here rather than pydantic-settings, whose sources (dotenv, JSON, CLI, cloud vaults, and
asyncio and argparse under them) were a fifth of every handler's cold start (issue #17).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Self, get_origin

from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "MEDIADAY_"

# API Gateway closes a WebSocket after 2 hours; connection rows outlive it a little so a
# missed $disconnect is cleaned up by TTL, never before the connection can still be used.
API_GATEWAY_MAX_CONNECTION_SECONDS = 2 * 60 * 60
API_GATEWAY_IDLE_TIMEOUT_SECONDS = 10 * 60
API_GATEWAY_MAX_MESSAGE_BYTES = 128 * 1024
API_GATEWAY_MAX_FRAME_BYTES = 32 * 1024


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    connections_table: str = "mediaday-connections"
    coordination_table: str = "mediaday-coordination"
    # Exactly one source of signing keys: Secrets Manager in AWS, a key file locally.
    signing_secret_arn: str | None = None
    signing_key_file: Path | None = None
    key_rotation_grace_seconds: int = Field(default=24 * 3600, ge=0)
    key_cache_seconds: int = Field(default=300, ge=0)
    # Empty: any origin (and clients that send none, like the CLI) may connect.
    allowed_origins: list[str] = Field(default_factory=list)
    # The @connections endpoint, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod.
    management_endpoint: str | None = None
    connection_ttl_seconds: int = Field(default=API_GATEWAY_MAX_CONNECTION_SECONDS + 15 * 60, gt=0)
    tombstone_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    rate_limit_per_minute: int = Field(default=600, gt=0)
    # A message that waited longer than this before its handler ran is answered `busy` at
    # once, unread (its client has likely resent it already): queueing it further only
    # makes every later request late too (docs/reliability.md, "Staying live").
    shed_after_ms: int = Field(default=5000, gt=0)
    # Abuse limits (docs/security.md): a second socket with the same token shares its
    # subject's budget; a connection refused this often in a minute is closed.
    rate_limit_per_subject_per_minute: int = Field(default=1200, gt=0)
    refusals_before_close: int = Field(default=30, gt=0)
    max_subscriptions_per_connection: int = Field(default=100, gt=0)
    max_connections_per_subject: int = Field(default=100, gt=0)
    # How stale a Lambda instance's copy of a day's revocations may be (mediaday.revocations).
    revocation_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # The expiry sweep (connect.sweep) looks this often for connections past their token.
    expiry_sweep_seconds: float = Field(default=2.0, gt=0, le=60)
    broadcast_max_workers: int = Field(default=32, gt=0, le=256)
    broadcast_max_attempts: int = Field(default=5, gt=0, le=20)
    # The longest a token may live, per role: a stolen tablet's token dies within a day; a
    # kiosk set up the night before must still work in the morning.
    token_max_seconds_producer: int = Field(default=24 * 3600, gt=0)
    token_max_seconds_crew: int = Field(default=24 * 3600, gt=0)
    token_max_seconds_kiosk: int = Field(default=7 * 24 * 3600, gt=0)
    # How far a token's `iat` may be ahead of our clock (the minting machine's clock drifts).
    token_clock_skew_seconds: int = Field(default=60, ge=0, le=600)
    # Device pairing (docs/security.md, "Device pairing"): a code lives minutes; one
    # source address (a venue's NAT is one address for every screen) may open this many
    # pairing sockets and ask for this many codes a minute; at most this many screens wait.
    pairing_code_seconds: int = Field(default=300, ge=30, le=900)
    pairing_connects_per_source_per_minute: int = Field(default=30, gt=0)
    pairing_codes_per_source_per_minute: int = Field(default=30, gt=0)
    pairing_max_pending: int = Field(default=100, gt=0)
    pairing_messages_per_minute: int = Field(default=20, gt=0)

    def token_max_seconds(self, role: str) -> int:
        """The longest lifetime (exp - iat) a token of `role` may have."""
        limits = {
            "producer": self.token_max_seconds_producer,
            "crew": self.token_max_seconds_crew,
            "kiosk": self.token_max_seconds_kiosk,
        }
        return limits[role]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """The settings `environ` names; a value that does not fit raises ValueError (a
        pydantic ValidationError, or one naming the variable whose JSON is broken)."""
        given = {name.upper(): value for name, value in environ.items()}
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            variable = ENV_PREFIX + name.upper()
            if variable not in given:
                continue
            raw = given[variable]
            if get_origin(field.annotation) is list:
                try:
                    values[name] = json.loads(raw)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{variable} is not a JSON list: {error}") from None
            else:
                values[name] = raw
        return cls.model_validate(values)


def from_setting(name: str) -> Any:
    """A dataclass field that mirrors setting `name`: its default, and the name that
    `ReadFromSettings.from_settings` reads it by."""
    return dataclasses.field(
        default=Settings.model_fields[name].default, metadata={"setting": name}
    )


class ReadFromSettings:
    """A dataclass of limits whose fields are each `from_setting(...)`: `from_settings`
    reads them all off one Settings."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        mirrored = dataclasses.fields(cls)  # type: ignore[arg-type]  # each subclass is one
        values = {f.name: getattr(settings, f.metadata["setting"]) for f in mirrored}
        return cls(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment(os.environ)
