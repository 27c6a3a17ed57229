"""The local stack as users run it: `mediaday serve` in a subprocess, for the e2e,
browser and reliability tests and for the benchmarks (which is why it is not in tests/).

    stack = LocalStack(tmp_path).start()     # free port, waits for stack.json
    stack.ws_url, stack.http_url, stack.token("crew", station="st-1")
    stack.stop()                              # SIGTERM: clean shutdown
    stack.kill()                              # SIGKILL to the whole process group
    stack.start()                             # again, same data dir and port

The process runs in its own process group; its output goes to `<data-dir>/serve.log`
(printed by `log_tail()` when something goes wrong). It runs the CLI as a program, so
nothing here imports the CLI.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from infra.local.cgroups import STACK_CGROUP_VAR, in_cgroup
from infra.local.layout import DEFAULT_MEDIA_DAY, key_file, serve_log, stack_file
from infra.local.ports import free_port
from mediaday.keys import FileKeyProvider
from mediaday.models import Role
from mediaday.tokens import issue_token

REPO_ROOT = Path(__file__).resolve().parents[2]


class LocalStack:
    """One `mediaday serve` process on a data directory, started and stopped at will."""

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
        ready_file = stack_file(self.data_dir)
        ready_file.unlink(missing_ok=True)
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
        # `make soak-slow`: the stack joins a CPU-capped cgroup (infra/local/cgroups.py)
        command = in_cgroup(command, env.get(STACK_CGROUP_VAR))
        with serve_log(self.data_dir).open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed args)
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
            if ready_file.exists():
                try:
                    self.info = json.loads(ready_file.read_text())
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

    @property
    def management_credentials(self) -> dict[str, str]:
        """What `@connections` calls must be SigV4-signed with: `access_key_id`,
        `secret_access_key`, `region` (from stack.json)."""
        return dict(self.info["management_credentials"])

    def management_client(self) -> Any:
        """A boto3 `apigatewaymanagementapi` client of this stack, signed as it requires."""
        credentials = self.management_credentials
        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self.management_url,
            region_name=credentials["region"],
            aws_access_key_id=credentials["access_key_id"],
            aws_secret_access_key=credentials["secret_access_key"],
        )

    def token(
        self,
        role: str,
        station: str | None = None,
        *,
        ttl_seconds: int = 3600,
        subject: str | None = None,
    ) -> str:
        """A token signed with this stack's key (any role, any station, any subject)."""
        key = FileKeyProvider(key_file(self.data_dir)).current_key()
        subject = subject or "-".join(filter(None, ["e2e", role, station]))
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
        path = serve_log(self.data_dir)
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
