"""DynamoDB Local on loopback only: its jar has no option for the address it listens on
(it binds every interface), so the stack starts it through `LoopbackDynamoDB.java`, which
sets the Jetty connector's host to 127.0.0.1 before the server starts.

The launcher is compiled once per (source, jar) into the user's cache with the JDK compiler
module that Debian's `openjdk-17-jre-headless` ships (no `javac` needed), about a second;
later starts reuse the class and cost nothing extra.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("LoopbackDynamoDB.java")
MAIN_CLASS = "LoopbackDynamoDB"
CACHE_ENV = "MEDIADAY_CACHE_DIR"


class LauncherError(RuntimeError):
    """The loopback launcher cannot be built; the message says what to do about it."""


def cache_root() -> Path:
    """$MEDIADAY_CACHE_DIR, else $XDG_CACHE_HOME/mediaday, else ~/.cache/mediaday."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mediaday"


def launcher_classes(java: str, jar: Path, *, timeout: float = 120.0) -> Path:
    """The directory holding the compiled launcher for `jar`, compiling it if needed."""
    digest = hashlib.sha256(SOURCE.read_bytes() + str(jar.resolve()).encode()).hexdigest()[:16]
    target = cache_root() / "dynamodb-loopback" / digest
    if (target / f"{MAIN_CLASS}.class").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        result = subprocess.run(  # noqa: S603 (a fixed argument list)
            [
                java,
                "-m",
                "jdk.compiler/com.sun.tools.javac.Main",
                "-nowarn",
                "-cp",
                str(jar),
                "-d",
                str(building),
                str(SOURCE),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise LauncherError(
                "cannot compile the loopback launcher for DynamoDB Local "
                f"({result.stderr.strip()[:300] or result.returncode}): the Java runtime "
                "needs its jdk.compiler module (Debian's openjdk-17-jre-headless has it)"
            )
        try:
            building.rename(target)  # atomic: a concurrent build that won keeps its own
        except OSError:
            shutil.rmtree(building, ignore_errors=True)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    return target
