"""The coordination store: conditional writes on version, ordered revs, exact resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from mediaday.coordination import CoordinationStore, PlannedWrite
from mediaday.errors import Conflict, NotFound, StoreBusy
from mediaday.models import Slot, Station

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def slot(slot_id: str = "sl-1", **fields) -> Slot:
    return Slot(
        media_day="md-1",
        id=slot_id,
        station_id="st-1",
        talent_id="t-1",
        starts_at=START,
        ends_at=START + timedelta(minutes=10),
        **fields,
    )


def let_a_rival_write_first(store: CoordinationStore) -> None:
    """The store's next write reads the counter, then a rival's write lands before its
    transaction (once), so that transaction loses the counter race."""
    real_current_rev = store.current_rev
    raced: list[int] = []

    def racing_current_rev(media_day: str) -> int:
        rev = real_current_rev(media_day)
        if not raced:
            raced.append(rev)
            store.create(slot("other"), actor="rival")
        return rev

    store.current_rev = racing_current_rev  # type: ignore[method-assign]


def test_create_stamps_version_rev_and_author(coordination_store):
    written = coordination_store.create(slot(), actor="producer-1", request_key="p/1").item
    assert (written.version, written.rev, written.updated_by) == (1, 1, "producer-1")
    assert coordination_store.get("md-1", "slot", "sl-1") == written
    assert coordination_store.current_rev("md-1") == 1


def test_creating_an_existing_item_is_a_conflict_carrying_it(coordination_store):
    coordination_store.create(slot(), actor="a")
    with pytest.raises(Conflict) as raised:
        coordination_store.create(slot(title="again"), actor="b")
    assert raised.value.current["title"] == ""


def test_stale_version_is_refused_and_nothing_written(coordination_store):
    first = coordination_store.create(slot(), actor="a").item
    coordination_store.update(
        first.model_copy(update={"title": "A"}), expected_version=1, actor="a"
    )
    with pytest.raises(Conflict) as raised:
        coordination_store.update(
            first.model_copy(update={"title": "B"}), expected_version=1, actor="b"
        )
    assert raised.value.current["version"] == 2
    current = coordination_store.get("md-1", "slot", "sl-1")
    assert (current.title, current.version, current.rev) == ("A", 2, 2)
    assert coordination_store.current_rev("md-1") == 2


def test_two_writers_with_the_same_version_exactly_one_wins(coordination_store):
    # moto does not make transactions atomic across threads, so the writers take turns
    # here; the truly concurrent race runs against DynamoDB Local in tests/e2e.
    base = coordination_store.create(slot(), actor="a").item

    def write(title: str) -> str:
        try:
            coordination_store.update(
                base.model_copy(update={"title": title}), expected_version=1, actor=title
            )
        except Conflict:
            return "conflict"
        return "won"

    outcomes = [write(f"w{n}") for n in range(4)]
    assert outcomes == ["won", "conflict", "conflict", "conflict"]
    assert coordination_store.get("md-1", "slot", "sl-1").title == "w0"


def test_retried_request_is_recognised_and_not_written_twice(coordination_store):
    created = coordination_store.create(slot(), actor="p", request_key="p/req-1")
    again = coordination_store.create(slot(), actor="p", request_key="p/req-1")
    assert again.duplicate and again.item == created.item
    updated = coordination_store.update(
        created.item.model_copy(update={"title": "x"}),
        expected_version=1,
        actor="p",
        request_key="p/req-2",
    )
    retried = coordination_store.update(
        created.item.model_copy(update={"title": "x"}),
        expected_version=1,
        actor="p",
        request_key="p/req-2",
    )
    assert retried.duplicate and retried.item == updated.item
    assert coordination_store.current_rev("md-1") == 2


def test_update_of_a_missing_or_deleted_item_is_not_found(coordination_store):
    with pytest.raises(NotFound):
        coordination_store.update(slot("ghost"), expected_version=1, actor="a")
    live = coordination_store.create(slot(), actor="a").item
    coordination_store.delete(live, expected_version=1, actor="a")
    with pytest.raises(NotFound):
        coordination_store.update(live, expected_version=2, actor="a")


def test_delete_leaves_a_tombstone_with_ttl_and_recreate_continues_versions(
    coordination_store, dynamodb
):
    live = coordination_store.create(slot(), actor="a").item
    tombstone = coordination_store.delete(live, expected_version=1, actor="a").item
    assert tombstone.deleted and tombstone.version == 2
    row = dynamodb.get_item(
        TableName=coordination_store.table_name,
        Key={"pk": {"S": "md#md-1"}, "sk": {"S": "slot#sl-1"}},
    )["Item"]
    assert int(row["expires_at"]["N"]) > 0
    assert list(coordination_store.items_of_type("md-1", "slot")) == []
    again = coordination_store.create(slot(), actor="a").item
    assert (again.version, again.deleted) == (3, False)


def test_changes_since_returns_creates_updates_and_deletes_since_a_rev_only(coordination_store):
    a = coordination_store.create(slot("a"), actor="p").item  # rev 1
    b = coordination_store.create(slot("b"), actor="p").item  # rev 2
    coordination_store.create(Station(media_day="md-1", id="st-1", name="Room"), actor="p")  # rev 3
    coordination_store.update(
        a.model_copy(update={"title": "x"}), expected_version=1, actor="p"
    )  # rev 4
    coordination_store.delete(b, expected_version=1, actor="p")  # rev 5
    changes = list(coordination_store.changes_since("md-1", 3))
    assert [(item.id, item.rev, item.deleted) for item in changes] == [
        ("a", 4, False),
        ("b", 5, True),
    ]
    assert list(coordination_store.changes_since("md-1", 5)) == []
    assert len(list(coordination_store.changes_since("md-1", 0))) == 3


def test_a_writer_that_lost_the_counter_race_retries_with_the_next_rev(
    coordination_store, dynamodb
):
    # Given another writer bumps the counter between our read and our transaction
    let_a_rival_write_first(coordination_store)
    # When we write, Then our write lands with the rev after the rival's, none lost
    mine = coordination_store.create(slot("mine"), actor="me").item
    assert mine.rev == 2
    assert coordination_store.get("md-1", "slot", "other").rev == 1


def test_media_days_are_independent(coordination_store):
    coordination_store.create(slot(), actor="p")
    other = slot().model_copy(update={"media_day": "md-2"})
    assert coordination_store.create(other, actor="p").item.rev == 1


class _WithoutCancellationReasons:
    """A DynamoDB client like an emulator that cancels transactions without saying which
    step failed: the store must then look at the item to tell a conflict from a race."""

    def __init__(self, client) -> None:
        self._client = client

    def transact_write_items(self, **kwargs):
        try:
            return self._client.transact_write_items(**kwargs)
        except ClientError as error:
            error.response.pop("CancellationReasons", None)
            raise

    def __getattr__(self, name: str):
        return getattr(self._client, name)


@pytest.fixture
def store_without_reasons(coordination_store, dynamodb) -> CoordinationStore:
    return CoordinationStore(coordination_store.table_name, _WithoutCancellationReasons(dynamodb))


def test_without_cancellation_reasons_stale_and_existing_items_are_still_conflicts(
    store_without_reasons,
):
    first = store_without_reasons.create(slot(), actor="a").item
    store_without_reasons.update(
        first.model_copy(update={"title": "A"}), expected_version=1, actor="a"
    )
    with pytest.raises(Conflict) as stale:
        store_without_reasons.update(
            first.model_copy(update={"title": "B"}), expected_version=1, actor="b"
        )
    assert stale.value.current["version"] == 2
    with pytest.raises(Conflict):
        store_without_reasons.create(slot(), actor="b")
    with pytest.raises(NotFound):
        store_without_reasons.update(slot("ghost"), expected_version=1, actor="b")
    assert store_without_reasons.get("md-1", "slot", "sl-1").title == "A"


def test_without_cancellation_reasons_a_create_over_a_tombstone_continues_its_versions(
    store_without_reasons,
):
    live = store_without_reasons.create(slot(), actor="a").item
    store_without_reasons.delete(live, expected_version=1, actor="a")
    assert store_without_reasons.create(slot(), actor="a").item.version == 3


def test_without_cancellation_reasons_a_lost_counter_race_is_retried_not_refused(
    store_without_reasons,
):
    let_a_rival_write_first(store_without_reasons)
    assert store_without_reasons.create(slot("mine"), actor="me").item.rev == 2


class _ThrottledTransactions:
    """A client whose next `times` transactions are cancelled as DynamoDB cancels one that
    hit a throttled table: a `ThrottlingError` reason on the item's step."""

    def __init__(self, client, times: int) -> None:
        self._client = client
        self.left = times

    def transact_write_items(self, **kwargs):
        if self.left > 0:
            self.left -= 1
            reasons = [{"Code": "None"}] + [{"Code": "ThrottlingError"}] * (
                len(kwargs["TransactItems"]) - 1
            )
            response = {
                "Error": {"Code": "TransactionCanceledException", "Message": "throttled"},
                "CancellationReasons": reasons,
            }
            raise ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]
        return self._client.transact_write_items(**kwargs)

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def _plan(*items):
    return lambda _rev: [PlannedWrite(item, None, True, f"req-{item.id}") for item in items]


def test_a_throttled_multi_item_write_is_retried_then_answered_busy_never_internal(
    coordination_store, dynamodb
):
    # Given transactions cancelled for throttling twice, then let through
    briefly = _ThrottledTransactions(dynamodb, times=2)
    store = CoordinationStore(coordination_store.table_name, briefly)
    written = store.commit_many("md-1", _plan(slot("a"), slot("b")), actor="p")
    # Then the write went in on a later attempt
    assert [item.id for item in written] == ["a", "b"] and briefly.left == 0
    # And a table that stays throttled is `busy` (the client's backoff retries), with
    # nothing written
    stuck = CoordinationStore(coordination_store.table_name, _ThrottledTransactions(dynamodb, 99))
    with pytest.raises(StoreBusy):
        stuck.commit_many("md-1", _plan(slot("c")), actor="p")
    assert coordination_store.get("md-1", "slot", "c") is None


def test_tombstones_are_left_out_by_the_query_not_read_back_and_dropped(
    coordination_store, dynamodb
):
    """A day's deletes pile up for the tombstone TTL: a snapshot must not fetch them."""
    # Given three deleted slots and one live one
    for name in ("a", "b", "c"):
        gone = coordination_store.create(slot(name), actor="p").item
        coordination_store.delete(gone, expected_version=1, actor="p")
    coordination_store.create(slot("live"), actor="p")
    pages: list[tuple[int, int]] = []

    def count(parsed, **_):
        pages.append((parsed["Count"], parsed["ScannedCount"]))

    # When the live slots are read, every Query's answer counted (botocore's after-call)
    dynamodb.meta.events.register("after-call.dynamodb.Query", count)
    try:
        live = [item.id for item in coordination_store.items_of_type("md-1", "slot")]
    finally:
        dynamodb.meta.events.unregister("after-call.dynamodb.Query", count)
    # Then DynamoDB read all four but returned only the live one
    assert live == ["live"]
    assert [sum(column) for column in zip(*pages, strict=True)] == [1, 4]
