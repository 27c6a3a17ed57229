"""`mediaday smoke` against the local stack: the post-deploy check walks connect to event,
and names the step that failed."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_smoke_command_walks_connect_to_event_with_a_freshly_minted_token(local_stack, capsys):
    # Given a producer token minted as the deploy workflow mints it, for a day of its own
    from client.cli import main

    assert (
        main(
            [
                "token",
                "--role",
                "producer",
                "--media-day",
                "smoke",
                "--ttl",
                "10m",
                "--data-dir",
                str(local_stack.data_dir),
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    # When `mediaday smoke` runs against the stack
    code = main(["smoke", "--url", local_stack.ws_url, "--token", token, "--timeout", "15"])
    # Then every step passed: connect, ping, subscribe, write, the write's event, disconnect
    out = capsys.readouterr()
    assert code == 0, out.err
    for step in ("connect", "ping", "subscribe", "write", "event", "disconnect"):
        assert f"{step} " in out.out, out.out


def test_the_smoke_command_names_the_step_that_failed(local_stack, capsys):
    from client.cli import main

    # Given a token the stack did not sign
    code = main(["smoke", "--url", local_stack.ws_url, "--token", "not-a-token"])
    # Then it fails at connect, and says so
    assert code == 1
    assert "FAILED at connect" in capsys.readouterr().err
