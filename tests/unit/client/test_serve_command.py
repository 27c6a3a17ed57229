"""`mediaday serve` options become StackOptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.cli import build_parser, main


def test_serve_options_reach_the_stack(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        "infra.local.stack.serve", lambda options: seen.setdefault("o", options) and 0
    )
    assert (
        main(["serve", "--port", "9000", "--data-dir", "d", "--no-demo", "--idle-timeout", "1.5"])
        == 0
    )
    options = seen["o"]
    assert (options.port, options.data_dir, options.demo) == (9000, Path("d"), False)
    assert options.limits.idle_timeout_seconds == 1.5
    assert options.limits.max_lifetime_seconds == 7200
    assert (options.web_root / "kiosk.html").is_file()  # the CLI hands its pages down


def test_serve_defaults_match_the_local_stack_contract():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.data_dir, args.no_demo) == (
        "127.0.0.1",
        8080,
        Path(".mediaday"),
        False,
    )


def test_a_non_positive_timeout_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--idle-timeout", "0"])
    assert "positive number of seconds" in capsys.readouterr().err
