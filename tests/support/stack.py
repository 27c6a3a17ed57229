"""The local stack as users run it: `mediaday serve` in a subprocess, for e2e tests.

    stack = LocalStack(tmp_path).start()     # free port, waits for stack.json
    stack.ws_url, stack.http_url, stack.token("crew", station="st-1")
    stack.stop()                              # SIGTERM: clean shutdown
    stack.kill()                              # SIGKILL to the whole process group
    stack.start()                             # again, same data dir and port

The process runs in its own process group; its output goes to `<data-dir>/serve.log`
(printed by `log_tail()` when something goes wrong). The `local_stack` fixture shares one
stack (with the demo day) per test module.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.commands.token import DEFAULT_MEDIA_DAY, key_file
from mediaday.keys import FileKeyProvider
from mediaday.models import Role
from mediaday.tokens import issue_token

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = "stack.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalStack:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        demo: bool = True,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.demo = demo
        self.args = list(args or [])
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> LocalStack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stack_file = self.data_dir / STACK_FILE
        stack_file.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "client.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *([] if self.demo else ["--no-demo"]),
            *self.args,
        ]
        env = {**os.environ, **self.env}
        env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        with (self.data_dir / "serve.log").open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mediaday serve exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if stack_file.exists():
                try:
                    self.info = json.loads(stack_file.read_text())
                except ValueError:
                    pass  # written atomically, but be patient all the same
                else:
                    if self.info.get("pid") == self.process.pid:
                        return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"mediaday serve was not ready in {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait: the clean shutdown. Returns the exit code."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash or `kill -9 -PGID` would."""
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- what the stack offers -----------------------------------------------------------
    @property
    def ws_url(self) -> str:
        return str(self.info["ws_url"])

    @property
    def http_url(self) -> str:
        return str(self.info["http_url"])

    @property
    def management_url(self) -> str:
        return str(self.info["management_url"])

    @property
    def media_day(self) -> str:
        return str(self.info.get("media_day", DEFAULT_MEDIA_DAY))

    def token(self, role: str, station: str | None = None, *, ttl_seconds: int = 3600) -> str:
        """A token signed with this stack's key (any role, any station)."""
        key = FileKeyProvider(key_file(self.data_dir)).current_key()
        subject = "-".join(filter(None, ["e2e", role, station]))
        return issue_token(
            key,
            role=Role(role),
            media_day=self.media_day,
            subject=subject,
            station=station,
            ttl_seconds=ttl_seconds,
        )

    def url_for(self, role: str, station: str | None = None) -> str:
        return f"{self.ws_url}?token={self.token(role, station)}"

    @property
    def dynamodb_endpoint(self) -> str:
        """DynamoDB Local's endpoint (changes on every start)."""
        return str(self.info["dynamodb_endpoint"])

    def log_tail(self, lines: int = 60) -> str:
        path = self.data_dir / "serve.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One running stack with the demo day, shared by a test module."""
    stack = LocalStack(tmp_path_factory.mktemp("stack")).start()
    try:
        yield stack
    finally:
        if stack.running:
            stack.stop()
