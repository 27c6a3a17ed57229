"""What `mediaday serve` writes and prints: stack.json and the banner."""

from __future__ import annotations

import os

from infra.local.handlers import configure_handlers
from infra.local.stackfile import banner, stack_info
from mediaday.factories import reset_all
from mediaday.keys import FileKeyProvider
from mediaday.models import Role
from mediaday.settings import get_settings
from mediaday.tokens import verify_token


def test_stack_info_has_the_contracts_fields_and_tokens_the_key_verifies(tmp_path):
    info = stack_info(tmp_path, "http://127.0.0.1:8080", ["st-1", "st-2"])
    assert info["ws_url"] == "ws://127.0.0.1:8080/local"
    assert info["management_url"] == "http://127.0.0.1:8080/local"
    assert (info["kiosk_url"], info["crew_url"]) == (
        "http://127.0.0.1:8080/kiosk",
        "http://127.0.0.1:8080/crew",
    )
    assert info["pid"] == os.getpid() and info["media_day"] == "cbtc-2026"
    keys = FileKeyProvider(tmp_path / "signing-key")
    crew = verify_token(info["tokens"]["crew"]["st-2"], keys)
    assert (crew.role, crew.station) == (Role.CREW, "st-2")
    assert verify_token(info["tokens"]["producer"], keys).role is Role.PRODUCER
    assert verify_token(info["tokens"]["kiosk"], keys).role is Role.KIOSK
    assert info["links"]["crew"]["st-1"].startswith("http://127.0.0.1:8080/crew?token=mdl1.")


def test_banner_shows_urls_and_tokens(tmp_path):
    info = stack_info(tmp_path, "http://127.0.0.1:8080", ["st-1"])
    text = banner(info, "http://127.0.0.1:9999", tmp_path)
    for expected in (
        "ws://127.0.0.1:8080/local",
        "http://127.0.0.1:8080/local/@connections/{connectionId}",
        info["links"]["kiosk"],
        info["tokens"]["producer"],
        info["tokens"]["crew"]["st-1"],
    ):
        assert expected in text


def test_handler_environment_points_at_the_local_pieces(tmp_path, monkeypatch):
    saved = dict(os.environ)
    os.environ.update({"AWS_PROFILE": "real-account", "MEDIADAY_SIGNING_SECRET_ARN": "arn:x"})
    try:
        configure_handlers(
            tmp_path,
            dynamodb_endpoint="http://127.0.0.1:1234",
            management_endpoint="http://127.0.0.1:8080/local",
            log_level="WARNING",
        )
        settings = get_settings()
        assert settings.management_endpoint == "http://127.0.0.1:8080/local"
        assert settings.signing_key_file == tmp_path / "signing-key"
        assert settings.signing_secret_arn is None
        assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:1234"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "local"
        assert "AWS_PROFILE" not in os.environ
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_all()
