"""A Management API stand-in over real HTTP on 127.0.0.1: records every request as it
arrived (method, path, headers, body) and answers with scripted statuses, so the poster's
signing, paths and status handling are tested on the wire."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


class FakeManagementApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []
        self.statuses: deque[int] = deque()  # answered in turn; 200 once they run out
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, *statuses: int) -> None:
        with self.lock:
            self.statuses.extend(statuses)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeManagementApi

    def do_POST(self) -> None:
        self._record()

    def do_DELETE(self) -> None:
        self._record()

    def _record(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.received.append(
                Received(
                    self.command,
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    body,
                )
            )
            status = self.server.statuses.popleft() if self.server.statuses else 200
        # 204 carries no body on the wire (RFC 9110 §15.3.5): a body here would be read as
        # the start of the next response on the kept-alive connection.
        payload = b"" if status in (200, 204) else b'{"message": "scripted"}'
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def fake_management_api() -> Iterator[FakeManagementApi]:
    server = FakeManagementApi()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
