"""Settings come from MEDIADAY_* variables, read without pydantic-settings (issue #17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from mediaday.settings import Settings


def test_each_field_is_read_from_its_variable_in_any_case_and_converted():
    settings = Settings.from_environment(
        {
            "MEDIADAY_CONNECTIONS_TABLE": "day-connections",
            "mediaday_rate_limit_per_minute": "42",
            "MEDIADAY_SIGNING_KEY_FILE": "/run/key",
            "MEDIADAY_REVOCATION_CACHE_SECONDS": "0.5",
        }
    )
    assert settings.connections_table == "day-connections"
    assert settings.rate_limit_per_minute == 42
    assert settings.signing_key_file == Path("/run/key")
    assert settings.revocation_cache_seconds == 0.5


def test_unset_fields_keep_their_defaults_and_other_variables_are_ignored():
    settings = Settings.from_environment({"PATH": "/bin", "MEDIADAY_NOT_A_FIELD": "x"})
    assert settings == Settings()
    assert settings.management_endpoint is None
    assert settings.allowed_origins == []


def test_a_list_is_given_as_json():
    origins = '["https://producer.example", "https://kiosk.example"]'
    settings = Settings.from_environment({"MEDIADAY_ALLOWED_ORIGINS": origins})
    assert settings.allowed_origins == ["https://producer.example", "https://kiosk.example"]


def test_a_list_that_is_not_json_is_refused_naming_its_variable():
    with pytest.raises(ValueError, match="MEDIADAY_ALLOWED_ORIGINS is not a JSON list"):
        Settings.from_environment({"MEDIADAY_ALLOWED_ORIGINS": "https://a.example"})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEDIADAY_RATE_LIMIT_PER_MINUTE", "0"),
        ("MEDIADAY_RATE_LIMIT_PER_MINUTE", "many"),
        ("MEDIADAY_REVOCATION_CACHE_SECONDS", "61"),
    ],
)
def test_a_value_out_of_its_range_or_type_is_refused(variable, value):
    with pytest.raises(ValidationError):
        Settings.from_environment({variable: value})
