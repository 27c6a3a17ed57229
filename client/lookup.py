"""What a person types for a call or an athlete, turned into the id the protocol needs.

An 80-column `mediaday watch` cannot show a whole call id (`ca-` and 16 hex digits), and
nobody on a venue floor knows that Sam O'Neill is `t-6`. So the terminal shows each call by
its shortest unique prefix (its *handle*), and `call ack`/`cancel` accept any unique
prefix; `call push --talent` takes an id, a name (or part of one) or a shirt number.
Nothing here guesses: an ambiguous answer lists the candidates instead of picking one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mediaday.models import Call, Talent

# A handle is never shorter than this, so it stays readable ("ca-1f0e", not "ca-1").
MIN_HANDLE = 7


class Ambiguous(ValueError):
    """More than one item matches what was typed: `candidates` lists them."""

    def __init__(self, typed: str, candidates: Sequence[Call | Talent]) -> None:
        self.typed = typed
        self.candidates = list(candidates)
        names = ", ".join(_label(candidate) for candidate in self.candidates[:8])
        more = f" and {len(self.candidates) - 8} more" if len(self.candidates) > 8 else ""
        super().__init__(f"{typed!r} matches {len(self.candidates)}: {names}{more}")


class NoMatch(ValueError):
    """Nothing matches what was typed."""


def call_handles(call_ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest prefix (at least MIN_HANDLE characters) that no other id shares."""
    ids = sorted(set(call_ids))
    handles: dict[str, str] = {}
    for index, call_id in enumerate(ids):
        neighbours = ids[max(index - 1, 0) : index] + ids[index + 1 : index + 2]
        shared = max((_common_prefix(call_id, other) for other in neighbours), default=0)
        handles[call_id] = call_id[: max(MIN_HANDLE, shared + 1)]
    return handles


def resolve_call(calls: Iterable[Call], typed: str) -> Call:
    """The call whose id is `typed`, else the one call whose id starts with it."""
    known = list(calls)
    for call in known:
        if call.id == typed:
            return call
    found = [call for call in known if call.id.startswith(typed)]
    if not found:
        raise NoMatch(f"no call {typed!r}")
    if len(found) > 1:
        raise Ambiguous(typed, sorted(found, key=lambda call: call.id))
    return found[0]


def match_talent(talent: Iterable[Talent], typed: str) -> list[Talent]:
    """Talent that `typed` names, best kind of match only: the id, else the shirt number
    (`32` or `#32`), else the whole name, else a part of the name (case-insensitive)."""
    people = sorted(talent, key=lambda person: (person.name.lower(), person.id))
    wanted = typed.strip()
    number = wanted.removeprefix("#")
    folded = wanted.casefold()
    for matches in (
        [person for person in people if person.id == wanted],
        [person for person in people if number and person.number == number],
        [person for person in people if person.name.casefold() == folded],
        [person for person in people if folded and folded in person.name.casefold()],
    ):
        if matches:
            return matches
    return []


def _common_prefix(one: str, other: str) -> int:
    length = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        length += 1
    return length


def _label(found: Call | Talent) -> str:
    if isinstance(found, Talent):
        number = f"#{found.number} " if found.number else ""
        team = f" ({found.team})" if found.team else ""
        return f"{number}{found.name}{team} [{found.id}]"
    return found.id
