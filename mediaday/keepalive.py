"""A small keep-alive HTTP/1.1 client for the Management API poster: one send per request.

`http.client` writes a request's head and body in two sends, and urllib3 adds ~0.25 ms of
bookkeeping per request on top; at a thousand posts per fan-out both show (the poster's
CPU per post is what a fan-out is bound by: bench/poster_cost.py). This writes the request
line, headers and body in one `sendall` on a pooled socket and reads the answer with
`http.client.HTTPResponse`, the standard library's own parser. Nothing else of HTTP is
needed: no redirects, no chunked bodies, no compression, no proxies.

A pooled socket that the server closed while it sat idle is noticed before reuse (it is
readable); one that fails as it is reused is replaced and the request sent once more on a
fresh connection. Any other failure is the caller's (`OSError`, `http.client.HTTPException`).
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from urllib.parse import urlsplit

from botocore.httpsession import get_cert_path

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class KeepAlivePool:
    """Connections to one origin (`http(s)://host[:port]`), up to `size` kept idle."""

    def __init__(
        self, origin: str, *, size: int, connect_timeout: float, read_timeout: float
    ) -> None:
        parts = urlsplit(origin)
        self._https = parts.scheme == "https"
        self._hostname = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._size = size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._tls = ssl.create_default_context(cafile=get_cert_path(True)) if self._https else None
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()

    def request(self, head: bytes, body: bytes, *, method: str) -> int:
        """Send `head` (request line and headers, ending in a blank line) and `body` in one
        write; the response's status (its body read and dropped)."""
        sock, reused = self._take()
        try:
            try:
                status, reusable = self._exchange(sock, head + body, method)
            except _STALE:
                if not reused:
                    raise
                sock.close()  # the server closed it as we reused it: once more, fresh
                sock = self._connect()
                status, reusable = self._exchange(sock, head + body, method)
        except BaseException:
            sock.close()
            raise
        if reusable:
            self._give_back(sock)
        else:
            sock.close()
        return status

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()

    def _exchange(self, sock: socket.socket, message: bytes, method: str) -> tuple[int, bool]:
        sock.sendall(message)
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            response.read()
        finally:
            response.close()
        return int(response.status), not response.will_close

    def _take(self) -> tuple[socket.socket, bool]:
        """An idle socket that is still open (reused), or a new one."""
        while True:
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            if sock is None:
                return self._connect(), False
            if not _dropped(sock):
                return sock, True
            sock.close()

    def _give_back(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append(sock)
                return
        sock.close()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self._hostname, self._port), self._connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._hostname)
            sock.settimeout(self._read_timeout)
        except BaseException:
            sock.close()
            raise
        return sock


def _dropped(sock: socket.socket) -> bool:
    """True when the peer closed an idle connection (it is readable: EOF or junk)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
