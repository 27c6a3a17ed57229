from __future__ import annotations

import pytest

from client.cli import main
from infra.local.layout import key_file
from mediaday.keys import FileKeyProvider
from mediaday.models import Role
from mediaday.tokens import verify_token


def test_token_command_prints_a_token_the_local_key_verifies(tmp_path, capsys):
    assert (
        main(
            [
                "token",
                "--role",
                "crew",
                "--station",
                "st-3",
                "--ttl",
                "12h",
                "--data-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    claims = verify_token(token, FileKeyProvider(key_file(tmp_path)))
    assert (claims.role, claims.station, claims.subject) == (Role.CREW, "st-3", "crew-st-3")
    assert claims.expires_at - claims.issued_at == 12 * 3600


def test_crew_token_without_station_is_a_clear_error(tmp_path, capsys):
    assert main(["token", "--role", "crew", "--data-dir", str(tmp_path)]) == 2
    assert "--station" in capsys.readouterr().err


def test_bad_duration_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["token", "--role", "kiosk", "--ttl", "soon", "--data-dir", str(tmp_path)])
    assert "not a duration" in capsys.readouterr().err


def test_a_lifetime_over_the_role_maximum_is_one_clear_line_and_exit_code_2(tmp_path, capsys):
    args = ["token", "--role", "crew", "--station", "st-3", "--ttl", "3000000d"]
    assert main([*args, "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == "mediaday token: a crew token lives at most 1d, not 3000000d\n"


def test_token_names_its_subject_and_label_for_devices_and_acked_by(tmp_path, capsys):
    argv = ["token", "--role", "crew", "--station", "st-3", "--data-dir", str(tmp_path)]
    assert main([*argv, "--subject", "ana.silva", "--label", "Camera 2 tablet"]) == 0
    claims = verify_token(capsys.readouterr().out.strip(), FileKeyProvider(key_file(tmp_path)))
    assert (claims.subject, claims.label) == ("ana.silva", "Camera 2 tablet")
    # A label that could spoof a screen is refused like any text field
    assert main([*argv, "--label", "Camera\u202e2"]) == 2
    assert "mediaday token:" in capsys.readouterr().err
