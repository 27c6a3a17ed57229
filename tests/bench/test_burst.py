"""Smoke: a burst of changes through the stack, per-change posting against coalesced."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e]  # the local stack


def test_every_subscriber_converged_in_both_phases_and_the_posts_were_counted(smoke):
    # When the burst benchmark runs at its smoke size
    outcome = smoke("burst")
    subscribers = outcome["parameters"]["subscribers"]
    changes = outcome["parameters"]["changes"]
    before, after = outcome["details"]["per_change"], outcome["details"]["coalesced"]

    # Then every subscriber held every change of the burst, in both phases
    assert before["every_subscriber_converged"] and after["every_subscriber_converged"]
    # per-change posting sent one post per change per subscriber
    assert before["posts"] == changes * subscribers
    # coalesced sent one post per subscriber per stream batch (nothing to split at this size)
    assert after["posts"] == round(after["stream_batches_per_subscriber"] * subscribers)
    assert after["posts_per_stream_batch"] == 1
    assert after["posts"] < before["posts"]
    # and the billed units follow the posts and their size
    assert after["billing_units"] >= after["posts"]
    assert before["billing_units"] == before["posts"]
