"""The reliability suite's fault plan: which posts fail how, when the broadcaster crashes,
and that a plan changed on disk takes effect while the stack runs."""

from __future__ import annotations

import json
import os

import pytest

from infra.local.faults import (
    ENV_VAR,
    FaultPlan,
    FaultPlanError,
    InjectedCrash,
    PostFault,
    stream_report_path,
)


def write_plan(path, **fields) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(fields))
    os.replace(temporary, path)


def event_frame(item_id: str) -> bytes:
    return json.dumps({"type": "event", "item_id": item_id, "item": {"id": item_id}}).encode()


@pytest.fixture
def plan_path(tmp_path):
    return tmp_path / "faults.json"


def test_no_variable_means_no_fault_injection(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert FaultPlan.from_env() is None


def test_a_missing_plan_file_injects_nothing(plan_path):
    plan = FaultPlan(plan_path)
    assert plan.for_post("c1", event_frame("sl-1")) is None
    assert not plan.report_path.exists()


def test_an_invalid_plan_refuses_to_start(plan_path):
    write_plan(plan_path, gone_share=2)
    with pytest.raises(FaultPlanError, match="gone_share"):
        FaultPlan(plan_path)


def test_gone_share_picks_whole_connections_and_keeps_them_gone(plan_path):
    # Given a plan where 30% of connections are gone
    write_plan(plan_path, gone_share=0.3, seed=4)
    plan = FaultPlan(plan_path)
    connections = [f"conn-{n}" for n in range(1000)]
    # When each connection is posted to twice
    first = {c for c in connections if plan.for_post(c, b"{}") is PostFault.GONE}
    second = {c for c in connections if plan.for_post(c, b"{}") is PostFault.GONE}
    # Then about 30% are gone, the same ones both times, and each is counted once
    assert 240 <= len(first) <= 360
    assert first == second
    report = json.loads(plan.report_path.read_text())
    assert report["gone_connections"] == len(first)
    assert report["gone_answers"] == 2 * len(first)


def test_throttle_share_answers_about_that_share_of_posts(plan_path):
    write_plan(plan_path, throttle_share=0.5, seed=1)
    plan = FaultPlan(plan_path)
    outcomes = [plan.for_post("c1", b"{}") for _ in range(2000)]
    throttled = outcomes.count(PostFault.THROTTLE)
    assert 900 <= throttled <= 1100
    assert set(outcomes) == {PostFault.THROTTLE, None}
    assert plan.injected["throttled"] == throttled


def test_poison_refuses_only_event_frames_about_the_poisoned_item(plan_path):
    write_plan(plan_path, poison_items=["sl-bad"])
    plan = FaultPlan(plan_path)
    assert plan.for_post("c1", event_frame("sl-bad")) is PostFault.POISON
    assert plan.for_post("c1", event_frame("sl-good")) is None
    # a sync page carrying the item is not an event: the repair path stays open
    page = json.dumps({"type": "sync", "items": [{"id": "sl-bad"}]}).encode()
    assert plan.for_post("c1", page) is None
    assert plan.for_post("c1", b"sl-bad but not json") is None


def test_poison_refuses_an_events_frame_that_carries_the_poisoned_item(plan_path):
    write_plan(plan_path, poison_items=["sl-bad"])
    plan = FaultPlan(plan_path)

    def events(*item_ids: str) -> bytes:
        changes = [{"topics": ["schedule"], "item_id": i, "item": {"id": i}} for i in item_ids]
        return json.dumps({"type": "events", "changes": changes}).encode()

    assert plan.for_post("c1", events("sl-good", "sl-bad")) is PostFault.POISON
    assert plan.for_post("c1", events("sl-good")) is None


def test_the_broadcasters_process_counts_in_a_report_of_its_own(plan_path):
    write_plan(plan_path, crash_every=1, crashes=1)
    plan = FaultPlan(plan_path, report_path=stream_report_path(plan_path))
    with pytest.raises(InjectedCrash):
        plan.wrap_stream_target(lambda event, context: None)({"Records": [{}]}, None)
    assert json.loads(stream_report_path(plan_path).read_text())["crashes"] == 1
    assert not plan_path.with_name(f"{plan_path.stem}.injected.json").exists()


def test_a_changed_plan_file_takes_effect_and_an_emptied_one_ends_the_faults(plan_path):
    plan = FaultPlan(plan_path, reload_interval=0)
    assert plan.for_post("c1", b"{}") is None
    write_plan(plan_path, throttle_share=1.0)
    assert plan.for_post("c1", b"{}") is PostFault.THROTTLE
    write_plan(plan_path)
    assert plan.for_post("c1", b"{}") is None
    assert plan.injected["plans_loaded"] == 3


def test_a_broken_plan_written_while_running_keeps_the_previous_one(plan_path):
    write_plan(plan_path, throttle_share=1.0)
    plan = FaultPlan(plan_path, reload_interval=0)
    plan_path.write_text("{not json")
    assert plan.for_post("c1", b"{}") is PostFault.THROTTLE


def test_the_broadcaster_crashes_after_every_k_records_at_most_n_times(plan_path):
    # Given a plan that crashes the broadcaster after every 3 records, twice
    write_plan(plan_path, crash_every=3, crashes=2)
    plan = FaultPlan(plan_path)
    handled: list[list[int]] = []

    def target(event, context):
        handled.append([r["n"] for r in event["Records"]])
        return {"batchItemFailures": []}

    invoke = plan.wrap_stream_target(target)

    def batch(*numbers):
        return {"Records": [{"n": n} for n in numbers]}

    # When batches come in, the poller retrying a crashed batch whole
    assert invoke(batch(1, 2), None) == {"batchItemFailures": []}
    with pytest.raises(InjectedCrash, match="after 1 of 3 records"):
        invoke(batch(3, 4, 5), None)
    with pytest.raises(InjectedCrash, match="after 3 of 3 records"):
        invoke(batch(3, 4, 5), None)
    invoke(batch(3, 4, 5), None)
    invoke(batch(6, 7, 8, 9), None)
    # Then the records before each crash were handled and nothing crashes after the budget
    assert handled == [[1, 2], [3], [3, 4, 5], [3, 4, 5], [6, 7, 8, 9]]
    assert plan.injected["crashes"] == 2


def test_a_slow_server_delays_every_invocation_while_the_plan_says_so(plan_path):
    plan = FaultPlan(plan_path, reload_interval=0)
    assert plan.handler_delay() == 0.0
    write_plan(plan_path, slow_seconds=2.5)
    assert [plan.handler_delay() for _ in range(3)] == [2.5, 2.5, 2.5]
    assert json.loads(plan.report_path.read_text())["slowed_invocations"] == 3
    write_plan(plan_path)
    assert plan.handler_delay() == 0.0


def test_a_slow_server_past_the_integration_timeout_is_not_a_plan(plan_path):
    write_plan(plan_path, slow_seconds=30)
    with pytest.raises(FaultPlanError, match="slow_seconds"):
        FaultPlan(plan_path)
