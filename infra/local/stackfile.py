"""What a running stack tells its users: `<data-dir>/stack.json` (URLs, ready-to-use tokens
for the demo media day, the local `@connections` credentials) and the banner printed at
start. Tests, benchmarks and tools read stack.json, so it is written atomically, 0600."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from infra.local.handlers import local_credentials
from infra.local.layout import DEFAULT_MEDIA_DAY, LOCAL_ACCESS_KEY_ID, REGION, STAGE, key_file
from mediaday.keys import FileKeyProvider
from mediaday.models import Role
from mediaday.tokens import issue_token

TOKEN_TTL_SECONDS = 12 * 3600


def stack_info(data_dir: Path, http_url: str, stations: list[str]) -> dict[str, Any]:
    """What stack.json holds: URLs and ready-to-use tokens for the demo media day."""
    key = FileKeyProvider(key_file(data_dir)).current_key()

    def token(role: Role, station: str | None = None) -> str:
        subject = "-".join(filter(None, [role.value, station]))
        return issue_token(
            key,
            role=role,
            media_day=DEFAULT_MEDIA_DAY,
            subject=subject,
            station=station,
            ttl_seconds=TOKEN_TTL_SECONDS,
        )

    crew = {station: token(Role.CREW, station) for station in stations}
    tokens = {"producer": token(Role.PRODUCER), "crew": crew, "kiosk": token(Role.KIOSK)}
    ws_url = http_url.replace("http://", "ws://", 1) + f"/{STAGE}"
    links = {
        "kiosk": f"{http_url}/kiosk?token={tokens['kiosk']}",
        "crew": {s: f"{http_url}/crew?token={t}" for s, t in crew.items()},
        "producer": f"{http_url}/producer?token={tokens['producer']}",
    }
    return {
        "ws_url": ws_url,
        "http_url": http_url,
        "management_url": f"{http_url}/{STAGE}",
        "kiosk_url": f"{http_url}/kiosk",
        "crew_url": f"{http_url}/crew",
        "media_day": DEFAULT_MEDIA_DAY,
        "tokens": tokens,
        "links": links,
        "pid": os.getpid(),
        # What a local tool signs `@connections` calls with (stack.json is 0600)
        "management_credentials": {
            "access_key_id": LOCAL_ACCESS_KEY_ID,
            "secret_access_key": local_credentials(data_dir).secret_key,
            "region": REGION,
        },
    }


def banner(info: dict[str, Any], dynamodb_endpoint: str, data_dir: Path) -> str:
    lines = [
        "",
        "CBTC Media Day Live: local stack ready",
        f"  WebSocket API    {info['ws_url']}",
        f"  Management API   {info['management_url']}/@connections/{{connectionId}}",
        f"  Kiosk page       {info['links']['kiosk']}",
        f"  Producer console {info['links']['producer']}",
    ]
    for station, link in info["links"]["crew"].items():
        lines.append(f"  Crew page {station:<6} {link}")
    lines += [
        f"  DynamoDB Local   {dynamodb_endpoint}",
        f"  Data directory   {data_dir}",
        "",
        f"  producer token   {info['tokens']['producer']}",
        f"  kiosk token      {info['tokens']['kiosk']}",
    ]
    for station, crew_token in info["tokens"]["crew"].items():
        lines.append(f"  crew {station:<6} token {crew_token}")
    lines += [
        "",
        f"  More tokens: mediaday token --data-dir {data_dir} --role crew --station st-1",
        "  Stop with Ctrl-C (data stays in the data directory).",
        "",
    ]
    return "\n".join(lines)


def write_private_json(path: Path, value: dict[str, Any]) -> None:
    """Atomically, readable by this user only: stack.json holds a producer token."""
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(value, indent=2))
    os.replace(temporary, path)
