"""Seeding the demo media day through the coordination store (moto): once per data
directory, and a seed cut short by a crash finishes without duplicates."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from math import ceil

from infra.local.demo import demo_items, seed_demo
from mediaday.coordination import MAX_TRANSACTION_ITEMS

NOW = datetime(2026, 11, 25, 14, 7, 30, tzinfo=UTC)


def test_seeding_writes_once_per_data_directory(coordination_store):
    first = seed_demo(coordination_store, "cbtc-2026", now=NOW)
    again = seed_demo(coordination_store, "cbtc-2026", now=NOW + timedelta(hours=1))
    assert first == len(demo_items("cbtc-2026", NOW)) and again == 0
    assert coordination_store.current_rev("cbtc-2026") == first


def test_a_seed_cut_short_finishes_without_duplicates(coordination_store):
    items = demo_items("cbtc-2026", NOW)
    for item in items[:10]:  # a crash after ten writes
        coordination_store.create(
            item, actor="demo-seed", request_key=f"demo-seed/{item.type}/{item.id}"
        )
    assert seed_demo(coordination_store, "cbtc-2026", now=NOW) == len(items) - 10
    assert coordination_store.current_rev("cbtc-2026") == len(items)


def test_the_demo_day_takes_as_few_transactions_as_one_holds(dynamodb, coordination_store):
    # every stack start seeds it: 126 one-item writes were ~10 s of a busy machine's start
    calls: Counter[str] = Counter()
    dynamodb.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.update([model.name])
    )
    written = seed_demo(coordination_store, "cbtc-2026", now=NOW)
    assert written == len(demo_items("cbtc-2026", NOW))
    assert calls["TransactWriteItems"] == ceil(written / MAX_TRANSACTION_ITEMS)
    assert calls["PutItem"] == calls["UpdateItem"] == 0


def test_a_seed_cut_short_leaves_an_item_changed_since_as_it_is(coordination_store):
    items = demo_items("cbtc-2026", NOW)
    station = coordination_store.create(items[0], actor="demo-seed").item
    coordination_store.update(
        station.model_copy(update={"name": "Renamed by a producer"}),
        expected_version=station.version,
        actor="producer",
    )
    assert seed_demo(coordination_store, "cbtc-2026", now=NOW) == len(items) - 1
    kept = coordination_store.get("cbtc-2026", station.type, station.id)
    assert kept is not None and kept.name == "Renamed by a producer"
