"""The Management API poster turns botocore errors into the domain's delivery errors."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from mediaday.errors import ConnectionGone, DeliveryRefused, DeliveryThrottled
from mediaday.gateway import ManagementApiPoster


@pytest.fixture
def stubbed():
    client = boto3.client("apigatewaymanagementapi", endpoint_url="https://example.test/prod")
    with Stubber(client) as stubber:
        yield ManagementApiPoster(client), stubber


def test_post_sends_the_bytes_to_the_connection(stubbed):
    poster, stubber = stubbed
    stubber.add_response("post_to_connection", {}, {"ConnectionId": "c-1", "Data": b"hi"})
    poster.post("c-1", b"hi")
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code,status,expected",
    [
        ("GoneException", 410, ConnectionGone),
        ("LimitExceededException", 429, DeliveryThrottled),
        ("InternalServerError", 500, DeliveryThrottled),
        ("ForbiddenException", 403, DeliveryRefused),
        ("PayloadTooLargeException", 413, DeliveryRefused),
        ("BadRequestException", 400, DeliveryRefused),
    ],
)
def test_api_errors_map_to_delivery_errors(stubbed, code, status, expected):
    poster, stubber = stubbed
    stubber.add_client_error("post_to_connection", service_error_code=code, http_status_code=status)
    with pytest.raises(expected):
        poster.post("c-1", b"x")


def test_payload_over_128_kb_is_refused_without_a_call(stubbed):
    poster, stubber = stubbed
    with pytest.raises(DeliveryRefused, match="128 KB"):
        poster.post("c-1", b"x" * (128 * 1024 + 1))
    stubber.assert_no_pending_responses()


def test_closing_a_gone_connection_is_harmless(stubbed):
    poster, stubber = stubbed
    stubber.add_client_error(
        "delete_connection", service_error_code="GoneException", http_status_code=410
    )
    poster.close("c-1")
    stubber.add_response("delete_connection", {}, {"ConnectionId": "c-2"})
    poster.close("c-2")
    stubber.assert_no_pending_responses()
