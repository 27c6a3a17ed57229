"""`mediaday serve`: the whole service on one machine (see infra/local/stack.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from infra.local.layout import DEFAULT_DATA_DIR

# The kiosk and crew pages belong to the client; the emulator serves whatever it is given.
WEB_ROOT = Path(__file__).resolve().parents[1] / "web"


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the local stack: DynamoDB Local, the WebSocket API, the broadcaster",
        description="Run the whole service locally with no AWS account; Ctrl-C stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8080, help="WebSocket and HTTP port")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where data and keys live"
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo day")
    parser.add_argument(
        "--idle-timeout",
        type=_positive_seconds,
        help="seconds before an idle connection is closed (API Gateway: 600; "
        "env MEDIADAY_LOCAL_IDLE_TIMEOUT)",
    )
    parser.add_argument(
        "--max-lifetime",
        type=_positive_seconds,
        help="seconds a connection may live (API Gateway: 7200; env MEDIADAY_LOCAL_MAX_LIFETIME)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level of the Lambda handlers (default WARNING keeps the console readable)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so other commands do not load the emulator and its dependencies.
    from infra.local.limits import GatewayLimits  # noqa: PLC0415
    from infra.local.stack import StackOptions, serve  # noqa: PLC0415

    limits = GatewayLimits.from_env(
        idle_timeout_seconds=args.idle_timeout, max_lifetime_seconds=args.max_lifetime
    )
    return serve(
        StackOptions(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            demo=not args.no_demo,
            limits=limits,
            log_level=args.log_level,
            web_root=WEB_ROOT,
        )
    )
