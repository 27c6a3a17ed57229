"""`mediaday devices` / `mediaday revoke`: what the terminal shows, and the arguments."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from client.cli import build_parser
from client.commands.devices import format_change, format_devices, parse_until
from mediaday.tokens import new_token_id

DEVICE = {
    "connection_id": "L0SM9cOFvHcCIhw=",
    "role": "crew",
    "station": "st-3",
    "subject": "cam-a",
    "label": "Camera 2 tablet",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    "connected_at": 1_795_617_158_011,
    "last_active": 1_795_617_218_011,
}


def test_the_devices_table_has_one_aligned_row_per_device_and_a_count():
    kiosk = {"connection_id": "K1", "role": "kiosk", "subject": "tv-1", "connected_at": 0}
    lines = format_devices([DEVICE, kiosk]).splitlines()
    assert lines[0].split() == [
        "connection_id",
        "role",
        "station",
        "subject",
        "label",
        "since",
        "active",
        "agent",
    ]
    assert "Camera 2 tablet" in lines[1] and "st-3" in lines[1] and "cam-a" in lines[1]
    assert lines[2].split()[:5] == ["K1", "kiosk", "-", "tv-1", "-"]
    assert lines[0].index("role") == lines[1].index("crew") == lines[2].index("kiosk")
    assert lines[-1] == "2 device(s)"


def test_a_change_names_the_device_by_label_else_subject():
    frame = {"type": "device", "change": "revoked", "device": DEVICE, "server_time": 0}
    assert format_change(frame) == (
        "00:00:00 revoked: Camera 2 tablet (crew at st-3, L0SM9cOFvHcCIhw=)"
    )
    unnamed = {**DEVICE, "label": ""}
    assert "connected: cam-a" in format_change({**frame, "change": "connected", "device": unnamed})


def test_until_is_iso_8601_and_utc_without_a_zone():
    assert parse_until("2026-11-25T18:00:00") == datetime(2026, 11, 25, 18, tzinfo=UTC)
    assert parse_until("2026-11-25T18:00:00+01:00").utcoffset().total_seconds() == 3600
    with pytest.raises(argparse.ArgumentTypeError):
        parse_until("tomorrow")


def test_revoke_needs_exactly_one_target(capsys):
    parser = build_parser()
    assert parser.parse_args(["revoke", "--subject", "cam-a"]).subject == "cam-a"
    for argv in (["revoke"], ["revoke", "--subject", "a", "--token-id", "b"]):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
    capsys.readouterr()


def test_revoke_takes_any_minted_token_id_as_devices_prints_it():
    ids = [new_token_id() for _ in range(200)]
    parser = build_parser()
    assert [parser.parse_args(["revoke", "--token-id", jti]).token_id for jti in ids] == ids
