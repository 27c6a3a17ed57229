"""The Management API of the local WebSocket API: `POST/GET/DELETE
/{stage}/@connections/{id}`, as the broadcaster and the handlers call it on AWS.

Every call must be SigV4-signed with the stack's local credentials (infra/local/sigv4.py),
as API Gateway requires IAM: unsigned or wrongly signed calls get 403 ForbiddenException
before anything else is looked at. Then 410 GoneException for unknown or closed
connections, 413 for data over 128 KB, 429 when a client does not read (API Gateway's
"client side buffer is full"), and the faults the reliability suite's plan injects
(infra/local/faults.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from aiohttp import WSCloseCode, web

from infra.local.clients import Client, close_client, live_client, send
from infra.local.faults import FaultPlan, PostFault
from infra.local.limits import GatewayLimits
from infra.local.responses import error_response, gone, json_response
from infra.local.sigv4 import LocalCredentials, signature_problem

# Bytes queued to a client that does not read before POSTs answer 429, as API Gateway's
# LimitExceededException does when "the WebSocket client side buffer is full".
_CLIENT_BUFFER_BYTES = 4 * 1024 * 1024


class ManagementApi:
    """The @connections routes over the gateway's live clients (shared, not copied)."""

    def __init__(
        self,
        clients: Mapping[str, Client],
        limits: GatewayLimits,
        faults: FaultPlan | None,
        credentials: LocalCredentials | None,
    ) -> None:
        self._clients = clients
        self._limits = limits
        self._faults = faults
        self._credentials = credentials  # None: no call can be signed, all are refused

    def add_routes(self, app: web.Application, stage: str) -> None:
        connections = f"/{stage}/@connections/{{connection_id}}"
        app.router.add_post(connections, self.post_to_connection)
        app.router.add_get(connections, self.get_connection)
        app.router.add_delete(connections, self.delete_connection)

    async def post_to_connection(self, request: web.Request) -> web.Response:
        data = await request.read()
        refused = self._unsigned(request, data)
        if refused is not None:
            return refused
        limit = self._limits.max_message_bytes
        if len(data) > limit:
            return error_response(
                413,
                "PayloadTooLargeException",
                f"Message of {len(data)} bytes exceeds the {limit} limit",
            )
        connection_id = request.match_info["connection_id"]
        if self._faults is not None:
            fault = self._faults.for_post(connection_id, data)
            if fault is not None:
                return self._injected(fault, connection_id)
        client = live_client(self._clients, connection_id)
        if client is None:
            return gone()
        transport = client.transport
        if transport is not None and transport.get_write_buffer_size() > _CLIENT_BUFFER_BYTES:
            return error_response(429, "LimitExceededException", "The client side buffer is full")
        # API Gateway sends the body of POST @connections as it came; we send UTF-8 as text.
        try:
            text = data.decode()
        except UnicodeDecodeError:
            payload: str | bytes = data
        else:
            payload = text
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for wraps every send in a Task
            async with asyncio.timeout(self._limits.send_timeout_seconds):
                await send(client, payload)
        except TimeoutError:
            return error_response(429, "LimitExceededException", "The client is not reading")
        except (ConnectionError, RuntimeError):
            return gone()
        return web.Response(status=200)

    def _injected(self, fault: PostFault, connection_id: str) -> web.Response:
        """A fault the plan asks for, answered as API Gateway answers the real one."""
        if fault is PostFault.GONE:
            client = live_client(self._clients, connection_id)
            if client is not None and client.transport is not None:
                client.transport.abort()  # the client vanished: no close frame
            return gone()
        if fault is PostFault.THROTTLE:
            return error_response(429, "LimitExceededException", "Rate exceeded (injected fault)")
        return error_response(403, "ForbiddenException", "Forbidden (injected poison record)")

    async def get_connection(self, request: web.Request) -> web.Response:
        client = await self._signed_for_live_client(request)
        if isinstance(client, web.Response):
            return client
        info = client.info
        return json_response(
            200,
            {
                "connectedAt": _iso(info.connected_at_ms),
                "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
                "lastActiveAt": _iso(client.last_active_ms),
            },
        )

    async def delete_connection(self, request: web.Request) -> web.Response:
        client = await self._signed_for_live_client(request)
        if isinstance(client, web.Response):
            return client
        await close_client(client, WSCloseCode.OK, "Connection deleted")
        return web.Response(status=204)

    async def _signed_for_live_client(self, request: web.Request) -> Client | web.Response:
        """The live client a bodyless GET or DELETE names, or the answer refusing the call:
        403 if it is not signed, 410 if the connection is not open."""
        refused = self._unsigned(request, await request.read())
        if refused is not None:
            return refused
        client = live_client(self._clients, request.match_info["connection_id"])
        return gone() if client is None else client

    def _unsigned(self, request: web.Request, body: bytes) -> web.Response | None:
        """403 ForbiddenException unless the call is signed with the stack's credentials."""
        problem = signature_problem(
            self._credentials,
            method=request.method,
            url=f"{request.scheme}://{request.host}{request.raw_path}",
            headers=request.headers,
            body=body,
        )
        if problem is None:
            return None
        return error_response(403, "ForbiddenException", problem)


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
