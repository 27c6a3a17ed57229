"""The `mediaday` console script: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from client.commands import (
    call,
    devices,
    notice,
    schedule,
    serve,
    shots,
    smoke,
    token,
    watch,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mediaday", description="CBTC Media Day Live")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in (token, serve, watch, call, schedule, shots, smoke, devices, notice):
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
