"""Every Lambda entry point is instrumented the same way (mediaday.observability.lambda_entry)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from infra.local.events import LambdaContext
from mediaday.observability import CONNECTION_ID_PATH, lambda_entry, logger, metrics


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the service logger writes (its handler keeps the stream it was created with)."""
    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    return stream


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@lambda_entry(correlation_id_path=CONNECTION_ID_PATH)
def _route(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.info("routed")
    metrics.add_metric(name="Routed", unit=MetricUnit.Count, value=1)
    if event.get("fail"):
        raise RuntimeError("the handler failed")
    return {"statusCode": 200}


def test_a_log_line_names_the_function_and_the_connection_and_metrics_are_flushed_once(
    capsys: pytest.CaptureFixture[str], log_lines: io.StringIO
) -> None:
    event = {"requestContext": {"connectionId": "conn-abc="}}

    assert _route(event, LambdaContext("message")) == {"statusCode": 200}

    routed = [line for line in _lines(log_lines.getvalue()) if line.get("message") == "routed"]
    assert len(routed) == 1
    assert routed[0]["correlation_id"] == "conn-abc="
    assert routed[0]["function_name"] == "message"
    flushed = [line for line in _lines(capsys.readouterr().out) if "_aws" in line]
    assert len(flushed) == 1
    assert flushed[0]["Routed"] in (1.0, [1.0])


def test_an_entry_point_that_raises_still_flushes_its_metrics_and_the_error_propagates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(RuntimeError, match="the handler failed"):
        _route({"fail": True, "requestContext": {"connectionId": "c"}}, LambdaContext("message"))

    assert any("_aws" in line for line in _lines(capsys.readouterr().out))


def test_an_untraced_entry_point_logs_with_its_own_context_not_the_last_connections(
    log_lines: io.StringIO,
) -> None:
    _route({"requestContext": {"connectionId": "conn-before"}}, LambdaContext("message"))

    @lambda_entry(traced=False)
    def sweep(event: dict[str, Any], context: LambdaContext) -> str:
        logger.info("swept")
        return "done"

    assert sweep({"requestContext": {"connectionId": "c"}}, LambdaContext("sweep")) == "done"

    (swept,) = [line for line in _lines(log_lines.getvalue()) if line.get("message") == "swept"]
    assert swept["function_name"] == "sweep"
    assert "correlation_id" not in swept or swept["correlation_id"] is None
