"""Posting to connections through the API Gateway Management API (the only boto3 here).

Errors are translated into the domain's DeliveryError family so callers never see
botocore. `GoneException` subclasses `ClientError`, so it is caught first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from mediaday.errors import ConnectionGone, DeliveryRefused, DeliveryThrottled
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient


class Poster(Protocol):
    """Sends one message to one connection; raises a DeliveryError when it cannot."""

    def post(self, connection_id: str, data: bytes) -> None: ...

    def close(self, connection_id: str) -> None: ...


class ManagementApiPoster:
    def __init__(self, client: ApiGatewayManagementApiClient) -> None:
        self._client = client

    def post(self, connection_id: str, data: bytes) -> None:
        if len(data) > API_GATEWAY_MAX_MESSAGE_BYTES:
            raise DeliveryRefused(
                f"payload of {len(data)} bytes exceeds API Gateway's 128 KB message limit"
            )
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except self._client.exceptions.GoneException as error:
            raise ConnectionGone(f"connection {connection_id} is gone") from error
        except self._client.exceptions.LimitExceededException as error:
            raise DeliveryThrottled("Management API throttled the post (429)") from error
        except self._client.exceptions.PayloadTooLargeException as error:
            raise DeliveryRefused("Management API refused the payload as too large") from error
        except self._client.exceptions.ForbiddenException as error:
            raise DeliveryRefused("Management API refused the post (403): check IAM") from error
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if status >= 500 or status == 429:
                raise DeliveryThrottled(f"Management API answered {status}") from error
            raise DeliveryRefused(f"Management API answered {status}") from error
        except BotoCoreError as error:  # connection reset, timeout: worth a retry
            raise DeliveryThrottled(f"Management API unreachable: {error}") from error

    def close(self, connection_id: str) -> None:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except self._client.exceptions.GoneException:
            return
