"""The demo media day: valid items, a few hours of slots from now."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from infra.local.demo import DEMO_HOURS, demo_items
from mediaday.models import Shot, Slot

NOW = datetime(2026, 11, 25, 14, 7, 30, tzinfo=UTC)


def test_demo_day_has_stations_talent_slots_from_now_shots_and_a_call():
    items = demo_items("cbtc-2026", NOW)
    kinds = Counter(item.type for item in items)
    assert kinds["station"] == 4 and kinds["talent"] == 8 and kinds["call"] == 1
    assert items[-1].type == "day"  # last: its presence marks the seed complete
    slots = [item for item in items if isinstance(item, Slot)]
    assert min(s.starts_at for s in slots) == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert max(s.ends_at for s in slots) <= NOW + timedelta(hours=DEMO_HOURS)
    on_now = {s.station_id for s in slots if s.starts_at <= NOW < s.ends_at}
    assert on_now == {s.station_id for s in slots}
    shot_pairs = {(s.station_id, s.talent_id) for s in items if isinstance(s, Shot)}
    assert {(s.station_id, s.talent_id) for s in slots} == shot_pairs
    assert len({(item.type, item.id) for item in items}) == len(items)
