"""Pairing codes and the pairing requests: no sockets, no AWS."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from mediaday.pairing import CODE_ALPHABET, CODE_LENGTH, CODE_PATTERN, new_code, normalize_code
from mediaday.protocol.pairing import PairApprove, PairReject


def test_codes_use_only_characters_that_cannot_be_misread():
    assert not set("01OIL") & set(CODE_ALPHABET)
    codes = {new_code() for _ in range(500)}
    assert all(re.fullmatch(CODE_PATTERN, code) for code in codes)
    assert len(codes) > 495  # random, not a sequence


def test_a_code_has_enough_combinations_that_guessing_one_is_hopeless():
    assert len(CODE_ALPHABET) ** CODE_LENGTH > 800_000_000


@pytest.mark.parametrize("typed", ["abc-def", "ABC DEF", " abcdef ", "AbC-dEf"])
def test_a_code_is_accepted_as_a_person_types_it(typed: str):
    assert normalize_code(typed) == "ABCDEF"
    assert PairReject(action="pair.reject", id="r", code=typed).code == "ABCDEF"


@pytest.mark.parametrize("typed", ["ABCDE", "ABCDEFG", "ABCDE0", "ABCDEI", "ABC_DEF", ""])
def test_a_code_outside_the_alphabet_or_length_is_invalid(typed: str):
    with pytest.raises(ValidationError):
        PairReject(action="pair.reject", id="r", code=typed)


def test_a_crew_approval_names_its_station():
    with pytest.raises(ValidationError, match="station_id"):
        PairApprove(action="pair.approve", id="r", code="ABCDEF", role="crew")
    approved = PairApprove(
        action="pair.approve", id="r", code="ABCDEF", role="crew", station_id="st-1"
    )
    assert approved.station_id == "st-1"


def test_an_approval_refuses_label_control_characters_and_a_zero_lifetime():
    with pytest.raises(ValidationError):
        PairApprove(action="pair.approve", id="r", code="ABCDEF", role="kiosk", label="TV\u202e")
    with pytest.raises(ValidationError):
        PairApprove(action="pair.approve", id="r", code="ABCDEF", role="kiosk", ttl_seconds=0)
