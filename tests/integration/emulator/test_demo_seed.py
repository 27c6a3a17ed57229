"""Seeding the demo media day through the coordination store (moto): once per data
directory, and a seed cut short by a crash finishes without duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infra.local.demo import demo_items, seed_demo

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
