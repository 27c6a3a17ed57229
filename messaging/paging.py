"""Splitting snapshot and sync answers into frames that fit API Gateway's 128 KB limit.

Pages are filled greedily up to PAGE_BUDGET_BYTES (100 KB), which leaves headroom under
the hard 128 KB message limit. A page's size is known exactly before it is encoded: the
frame's fixed part (measured with the largest page numbers it could carry) plus each item's
compact JSON plus the commas between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mediaday.protocol import encoded_size
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES

PAGE_BUDGET_BYTES = 100 * 1024
# Page numbers are known only after the split: measure the empty frame with numbers this
# wide, so the real frame is never larger than measured.
WIDEST_PAGE_NUMBER = 10**9


class PageTooLarge(RuntimeError):
    """A single item does not fit a message: a bug, items are bounded far below this."""


def split_items(
    items: Sequence[dict[str, Any]], *, overhead: int, budget: int = PAGE_BUDGET_BYTES
) -> list[list[dict[str, Any]]]:
    """Consecutive runs of `items` whose frames stay within `budget` bytes.

    `overhead` is the encoded size of the frame with an empty item list. Always returns at
    least one (possibly empty) page, so an empty topic is still answered.
    """
    pages: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = overhead
    for item in items:
        item_size = encoded_size(item)
        added = item_size + (1 if current else 0)  # the comma before it
        if current and size + added > budget:
            pages.append(current)
            current, size, added = [], overhead, item_size
        if size + added > API_GATEWAY_MAX_MESSAGE_BYTES:
            raise PageTooLarge(f"an item of {item_size} bytes cannot fit in one message")
        current.append(item)
        size += added
    pages.append(current)
    return pages
