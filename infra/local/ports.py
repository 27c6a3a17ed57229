"""Free loopback ports: the one place the emulator, its tests and the benchmarks ask the
kernel for a port nobody is listening on."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port that was free a moment ago (the kernel's pick for port 0); the caller binds it
    soon after, so a clash with another process is possible but rare."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
