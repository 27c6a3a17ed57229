"""Splitting items into pages that fit the message limit and reassemble to the whole."""

from __future__ import annotations

import pytest

from mediaday.protocol import SyncPage, encoded_size
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES
from messaging.paging import PAGE_BUDGET_BYTES, WIDEST_PAGE_NUMBER, PageTooLarge, split_items


def items(count: int, size: int = 1000) -> list[dict]:
    return [{"id": f"it-{n}", "text": "ü" * (size // 2)} for n in range(count)]


def sync_page(run: list[dict], page: int, pages: int) -> bytes:
    return SyncPage(
        id="r", since=0, rev=12345, page=page, pages=pages, items=run, server_time=1_795_000_000_000
    ).encode()


def test_an_empty_answer_is_one_empty_page():
    assert split_items([], overhead=100) == [[]]


def test_pages_stay_within_the_budget_and_reassemble_in_order():
    # Given ~1 MB of items
    whole = items(1000)
    overhead = len(sync_page([], WIDEST_PAGE_NUMBER, WIDEST_PAGE_NUMBER))
    # When they are split
    runs = split_items(whole, overhead=overhead)
    # Then every encoded page fits the budget, and the pages reassemble to the whole
    frames = [sync_page(run, n, len(runs)) for n, run in enumerate(runs, 1)]
    assert len(frames) > 5
    assert max(len(frame) for frame in frames) <= PAGE_BUDGET_BYTES < API_GATEWAY_MAX_MESSAGE_BYTES
    assert [item for run in runs for item in run] == whole


def test_the_measured_size_is_the_encoded_size():
    whole = items(30, size=333)
    overhead = len(sync_page([], 1, 1))
    expected = overhead + sum(encoded_size(item) for item in whole) + len(whole) - 1
    assert len(sync_page(whole, 1, 1)) == expected


def test_pages_are_filled_greedily():
    whole = items(300)
    runs = split_items(whole, overhead=200)
    sizes = [200 + sum(encoded_size(i) for i in run) + len(run) - 1 for run in runs]
    # every page but the last could not take the next item
    for run, size, following in zip(runs, sizes, runs[1:], strict=False):
        assert size + 1 + encoded_size(following[0]) > PAGE_BUDGET_BYTES
        assert run


def test_an_item_larger_than_a_message_is_refused_not_sent():
    with pytest.raises(PageTooLarge):
        split_items([{"blob": "x" * API_GATEWAY_MAX_MESSAGE_BYTES}], overhead=100)


def test_an_item_over_the_budget_but_under_the_limit_gets_a_page_of_its_own():
    big = {"blob": "x" * (PAGE_BUDGET_BYTES + 100)}
    runs = split_items([{"a": 1}, big, {"b": 2}], overhead=100)
    assert runs == [[{"a": 1}], [big], [{"b": 2}]]
