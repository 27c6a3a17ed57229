"""API Gateway's WebSocket events ($connect, $disconnect, a message), as the handlers read
them.

Powertools has models of these, but importing any of them imports its whole parser
package (every event source's models, ~100 pydantic classes): a third of a handler's
cold start beyond boto3 (issue #17). These declare what the handlers read, with
Powertools' names and types, and ignore the rest of the event.
"""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _EventPart(BaseModel):
    """Built on first use: each function of a zip validates one of these events, and the
    others' schemas would be import work it never uses."""

    model_config = ConfigDict(defer_build=True)


class Identity(_EventPart):
    source_ip: IPv4Address | IPv6Address = Field(alias="sourceIp")
    user_agent: str | None = Field(None, alias="userAgent")


class RequestContext(_EventPart):
    """What every WebSocket event's requestContext carries and the handlers read."""

    stage: str
    connected_at: datetime = Field(alias="connectedAt")
    request_time_epoch: datetime = Field(alias="requestTimeEpoch")
    identity: Identity
    domain_name: str = Field(alias="domainName")
    connection_id: str = Field(alias="connectionId")


class ConnectContext(RequestContext):
    route_key: Literal["$connect"] = Field(alias="routeKey")
    event_type: Literal["CONNECT"] = Field(alias="eventType")


class DisconnectContext(RequestContext):
    route_key: Literal["$disconnect"] = Field(alias="routeKey")
    event_type: Literal["DISCONNECT"] = Field(alias="eventType")
    disconnect_status_code: int = Field(alias="disconnectStatusCode")


class MessageContext(RequestContext):
    route_key: str = Field(alias="routeKey")
    event_type: Literal["MESSAGE"] = Field(alias="eventType")


class ConnectEvent(_EventPart):
    """The upgrade request: its headers and query string (which may carry the token)."""

    headers: dict[str, str]
    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")
    request_context: ConnectContext = Field(alias="requestContext")


class DisconnectEvent(_EventPart):
    request_context: DisconnectContext = Field(alias="requestContext")


class MessageEvent(_EventPart):
    request_context: MessageContext = Field(alias="requestContext")
    is_base64_encoded: bool = Field(alias="isBase64Encoded")
    body: str | None = None
