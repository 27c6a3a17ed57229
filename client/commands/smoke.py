"""`mediaday smoke`: the post-deploy smoke test against a deployed (or local) stack."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from client.smoke import SmokeFailed, run_smoke


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "smoke",
        help="connect, ping, subscribe, write one notice, receive its event, disconnect",
        description="Exit 0 when every step passed; otherwise 1, naming the step that failed. "
        "Mint the token for a media day of its own (e.g. --media-day smoke): the notice "
        "written is visible to that day's screens for five minutes.",
    )
    parser.add_argument("--url", required=True, help="the stage's wss:// URL")
    parser.add_argument(
        "--token",
        default=os.environ.get("MEDIADAY_TOKEN"),
        help="a producer token (default: $MEDIADAY_TOKEN, which keeps it out of ps)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per step")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.token:
        print("mediaday smoke: pass --token or set MEDIADAY_TOKEN", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(run_smoke(args.url, args.token, step_seconds=args.timeout))
    except SmokeFailed as failure:
        print(f"smoke: FAILED at {failure.step}: {failure.detail}", file=sys.stderr)
        return 1
    steps = ", ".join(f"{step} {ms:.0f} ms" for step, ms in report.steps.items())
    print(f"smoke: passed ({steps}); notice {report.notice_id}")
    return 0
