"""A table that does not answer in time (issue #19): the message is refused `busy`, the
log names the timeout in one WARNING line and holds no traceback; a genuine bug still
answers `internal` with its traceback logged."""

from __future__ import annotations

from mediaday.aws import dynamodb_client
from tests.support.unanswered import handler_log, stop_answering, throttle


def test_a_store_timeout_is_answered_busy_with_a_warning_and_no_traceback(roster, clients):
    # Given a connections table whose batch writes time out (after the SDK's retries)
    attempts = stop_answering(dynamodb_client(), "BatchWriteItem")
    # When a crew subscribes (the subscription rows are one batch write)
    with handler_log() as log:
        frame = clients["crew"].request("subscribe", topics=["schedule"])
    # Then the client is told `busy`, to retry with the same id, not `internal`
    assert frame["type"] == "error"
    assert frame["code"] == "busy"
    assert "retry with the same id" in frame["message"]
    assert "Timeout" not in frame["message"] and "botocore" not in frame["message"]
    # ... after the SDK retried the call itself (a first try and `max_attempts=3` retries)
    assert attempts == ["BatchWriteItem"] * 4
    # ... and the log names the timeout once, at WARNING, with no stack trace anywhere
    assert "Traceback" not in log.text
    [warning] = log.entries("store did not answer")
    assert warning["level"] == "WARNING"
    assert (warning["operation"], warning["error"]) == ("BatchWriteItem", "ReadTimeoutError")
    assert log.entries("request failed") == []
    [refused] = log.entries("request refused")
    assert (refused["code"], refused["action"]) == ("busy", "subscribe")


def test_a_throttled_store_is_answered_busy_with_a_warning_and_no_traceback(roster, clients):
    # Given a connections table still throttling after the SDK's own retries
    attempts = throttle(dynamodb_client(), "BatchWriteItem")

    with handler_log() as log:
        frame = clients["crew"].request("subscribe", topics=["schedule"])
    # Then the crew is told `busy` (its backoff retries), not `internal`
    assert (frame["type"], frame["code"]) == ("error", "busy")
    assert "Throughput" not in frame["message"] and "botocore" not in frame["message"]
    assert attempts == ["BatchWriteItem"] * 4  # the SDK retried a throttle itself
    assert "Traceback" not in log.text and log.entries("request failed") == []
    [warning] = log.entries("store throttled")
    assert warning["level"] == "WARNING"
    assert (warning["operation"], warning["error"]) == (
        "BatchWriteItem",
        "ProvisionedThroughputExceededException",
    )


def test_a_store_failure_that_is_not_a_timeout_still_logs_its_traceback(roster, clients):
    # Given a store call that fails with a bug, not for want of an answer
    def broken(**_: object) -> None:
        raise RuntimeError("a bug in a store call")

    dynamodb_client().meta.events.register("before-send.dynamodb.BatchWriteItem", broken)
    with handler_log() as log:
        frame = clients["crew"].request("subscribe", topics=["schedule"])
    # Then it is answered `internal` and logged as the bug it is, traceback and all
    assert frame["code"] == "internal"
    [failed] = log.entries("request failed")
    assert failed["level"] == "ERROR"
    assert "Traceback" in failed["exception"] and "a bug in a store call" in failed["exception"]
    assert log.entries("store did not answer") == []
