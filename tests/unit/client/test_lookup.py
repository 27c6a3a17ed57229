"""Short call handles and athlete lookup: what a person types becomes exactly one id, or a
list of candidates, never a guess."""

from __future__ import annotations

import pytest

from client.lookup import MIN_HANDLE, Ambiguous, NoMatch, call_handles, match_talent, resolve_call
from mediaday.models import Call, Talent


def call(call_id: str) -> Call:
    return Call(media_day="md", id=call_id, talent_id="t-1", station_id="st-1")


def person(talent_id: str, name: str, number: str = "") -> Talent:
    return Talent(media_day="md", id=talent_id, name=name, number=number)


def test_handles_are_the_shortest_unique_prefixes_but_never_shorter_than_the_minimum():
    ids = ["ca-1f0e99aa00", "ca-1f0e77bb11", "ca-3c2a00cc22", "ca-1"]
    handles = call_handles(ids)
    assert handles["ca-1f0e99aa00"] == "ca-1f0e9"
    assert handles["ca-1f0e77bb11"] == "ca-1f0e7"
    assert handles["ca-3c2a00cc22"] == "ca-3c2a"
    assert len(handles["ca-3c2a00cc22"]) == MIN_HANDLE
    assert handles["ca-1"] == "ca-1"  # an id shorter than the minimum is its own handle
    # every other handle is a prefix of exactly one id (an exact id always wins: see below)
    for call_id, handle in handles.items():
        if handle != call_id:
            assert [other for other in ids if other.startswith(handle)] == [call_id]


def test_a_handle_resolves_to_its_call_and_an_exact_id_wins_over_a_prefix():
    calls = [call("ca-1f0e99aa00"), call("ca-1f0e77bb11"), call("ca-1")]
    handles = call_handles(c.id for c in calls)
    for known in calls:
        assert resolve_call(calls, handles[known.id]).id == known.id
    assert resolve_call(calls, "ca-1").id == "ca-1"  # exact, although a prefix of others


def test_an_ambiguous_prefix_lists_the_candidates_and_an_unknown_one_says_so():
    calls = [call("ca-1f0e99aa00"), call("ca-1f0e77bb11")]
    with pytest.raises(Ambiguous) as ambiguous:
        resolve_call(calls, "ca-1f0e")
    assert [c.id for c in ambiguous.value.candidates] == ["ca-1f0e77bb11", "ca-1f0e99aa00"]
    assert "matches 2" in str(ambiguous.value)
    with pytest.raises(NoMatch, match="no call 'ca-9'"):
        resolve_call(calls, "ca-9")


ROSTER = [
    person("t-6", "Sam O'Neill", "32"),
    person("t-7", "Sam Okafor", "7"),
    person("t-32", "Ada Poe", "5"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("t-6", ["t-6"]),  # the id
        ("32", ["t-6"]),  # the shirt number
        ("#7", ["t-7"]),  # the number as it is written on a shirt
        ("sam o'neill", ["t-6"]),  # the whole name, any case
        ("okafor", ["t-7"]),  # part of a name
        ("Sam", ["t-6", "t-7"]),  # two people: both, in name order
        ("t-32", ["t-32"]),  # an id beats a number or a name part
        ("nobody", []),
    ],
)
def test_an_athlete_is_found_by_id_number_or_name(typed, expected):
    assert [found.id for found in match_talent(ROSTER, typed)] == expected
