"""What every networked `mediaday` subcommand shares: where to connect, and how it fails.

URL and token come from `--url` / `--token`, else `MEDIADAY_URL` / `MEDIADAY_TOKEN`
(the URL defaults to the local stack that `make run` starts). Failures end in one line on
stderr and an exit code a script can test:

  0  done
  1  the server refused the request (conflict, forbidden, not found, invalid state, ...)
  2  bad input: arguments, a CSV with bad rows (nothing was written)
  3  no service: unreachable, the token refused, no answer in time
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import functools
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

from client.connection import MediaDayClient
from client.errors import (
    ClientError,
    ConflictError,
    ConnectFailed,
    RequestFailed,
    RequestTimeout,
    TokenRefused,
)
from client.options import ClientOptions

ENV_URL = "MEDIADAY_URL"
ENV_TOKEN = "MEDIADAY_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
DEFAULT_URL = "ws://127.0.0.1:8080/local"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NO_SERVICE = 3

# One-shot commands: fail fast when the server is not there, do not retry for minutes.
CLI_OPTIONS = ClientOptions(retry_initial=False, request_timeout=20.0)


CommandMain = Callable[[argparse.Namespace], Awaitable[int]]


class UsageError(Exception):
    """Bad command-line input, explained in one line."""


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help=f"WebSocket URL (default: ${ENV_URL}, else {DEFAULT_URL})")
    parser.add_argument("--token", help=f"connection token (default: ${ENV_TOKEN})")


def connection_of(args: argparse.Namespace) -> tuple[str, str]:
    url = args.url or os.environ.get(ENV_URL) or DEFAULT_URL
    token = args.token or os.environ.get(ENV_TOKEN)
    if not token:
        raise UsageError(
            f"no token: pass --token or set {ENV_TOKEN} "
            "(e.g. MEDIADAY_TOKEN=$(mediaday token --role producer))"
        )
    return url, token


def token_claims(token: str) -> dict[str, Any]:
    """The token's claims WITHOUT verifying it (the server does): for defaults and display,
    e.g. a crew token's station. Empty when the token cannot be read."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def token_station(args: argparse.Namespace) -> str | None:
    """The station a crew token names (read, not verified); None for any other token."""
    _, token = connection_of(args)
    station = token_claims(token).get("st")
    return station if isinstance(station, str) else None


def open_client(
    args: argparse.Namespace, topics: Iterable[str] = (), **options: Any
) -> MediaDayClient:
    url, token = connection_of(args)
    return MediaDayClient(url, token, topics=topics, options=replace(CLI_OPTIONS, **options))


def run(command: str, main: Callable[[], Awaitable[int]]) -> int:
    """Run a command's coroutine; map every failure to one line and an exit code."""
    try:
        return asyncio.run(_main(main))
    except KeyboardInterrupt:
        return 130
    except UsageError as error:
        return fail(command, str(error), EXIT_USAGE)
    except TokenRefused as error:
        return fail(
            command,
            f"{error.message}: get a valid token (mediaday token --role ...)",
            EXIT_NO_SERVICE,
        )
    except (ConnectFailed, RequestTimeout) as error:
        return fail(command, error.message, EXIT_NO_SERVICE)
    except ConflictError as error:
        current = error.current or {}
        now = f" (it is at version {current['version']})" if "version" in current else ""
        return fail(
            command,
            f"conflict: {error.message}{now}; someone changed it meanwhile, look and retry",
            EXIT_REFUSED,
        )
    except RequestFailed as error:
        return fail(command, f"{error.code}: {error.message}", EXIT_REFUSED)
    except ClientError as error:
        return fail(command, error.message, EXIT_NO_SERVICE)


def command(name: str) -> Callable[[CommandMain], Callable[[argparse.Namespace], int]]:
    """A subcommand's handler from its coroutine: `@command("call ack")` over
    `async def run_ack(args) -> int` runs it to completion on its own event loop, with
    every failure mapped to one line and an exit code (`run`)."""

    def handler_of(main: CommandMain) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(main)
        def handler(args: argparse.Namespace) -> int:
            return run(name, lambda: main(args))

        return handler

    return handler_of


async def _main(main: Callable[[], Awaitable[int]]) -> int:
    return await main()


def fail(command: str, message: str, code: int) -> int:
    print(f"mediaday {command}: {' '.join(message.split())}", file=sys.stderr)
    return code
