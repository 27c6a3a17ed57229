"""`mediaday token`: mint a signed token with the local key file or the AWS secret."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from infra.local.layout import DEFAULT_DATA_DIR, DEFAULT_MEDIA_DAY, key_file
from mediaday.aws import secretsmanager_client
from mediaday.keys import FileKeyProvider, SecretsManagerKeyProvider
from mediaday.models import Role
from mediaday.tokens import KeyProvider, issue_token

_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """'90s', '30m', '12h', '2d' or plain seconds."""
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 90s, 30m, 12h, 2d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("token", help="print a signed connection token")
    parser.add_argument("--role", required=True, choices=[role.value for role in Role])
    parser.add_argument("--station", help="the crew's station (required for crew)")
    parser.add_argument("--media-day", default=DEFAULT_MEDIA_DAY)
    parser.add_argument(
        "--subject",
        help="who holds the token: a person or a named tablet, shown as `acked_by` and in "
        "`devices`, and what `revoke --subject` names (default: role[-station])",
    )
    parser.add_argument("--label", help="the device's name in `devices` (e.g. 'Camera 2 tablet')")
    parser.add_argument("--ttl", type=parse_duration, default=parse_duration("12h"))
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--secret-id", help="sign with this Secrets Manager secret (AWS)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    role = Role(args.role)
    if role is Role.CREW and not args.station:
        print("mediaday token: a crew token needs --station", file=sys.stderr)
        return 2
    keys: KeyProvider
    if args.secret_id:
        keys = SecretsManagerKeyProvider(
            args.secret_id, secretsmanager_client(), grace_seconds=0, cache_seconds=0
        )
    else:
        keys = FileKeyProvider(key_file(args.data_dir))
    subject = args.subject or "-".join(filter(None, [role.value, args.station]))
    try:
        token = issue_token(
            keys.current_key(),
            role=role,
            media_day=args.media_day,
            subject=subject,
            station=args.station,
            ttl_seconds=args.ttl,
            label=args.label,
        )
    except ValueError as error:
        print(f"mediaday token: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0
