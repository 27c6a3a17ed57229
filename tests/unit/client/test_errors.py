"""The client's error table follows the server's one catalogue of codes."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from client import errors as client
from mediaday import errors as server
from mediaday.models import Id
from mediaday.validation import ID_RULE


def _request_errors(root: type[server.MediaDayError]) -> set[type[server.MediaDayError]]:
    found: set[type[server.MediaDayError]] = set()
    for sub in root.__subclasses__():
        found |= {sub, *_request_errors(sub)}
    return found


def test_every_request_error_the_server_defines_can_reach_an_error_frame():
    assert _request_errors(server.RequestError) <= set(server.FRAME_ERRORS)


@pytest.mark.parametrize("code", sorted(server.FRAME_CODES))
def test_every_code_an_error_frame_can_carry_has_a_client_class(code: str):
    assert code in client._BY_CODE, f"no client error class for the server's code {code!r}"


def test_the_client_maps_no_code_the_server_does_not_send():
    assert set(client._BY_CODE) == server.FRAME_CODES


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (server.InvalidRequest, client.InvalidError),
        (server.UnknownAction, client.InvalidError),
        (server.MessageTooLarge, client.InvalidError),
        (server.Forbidden, client.ForbiddenError),
        (server.NotFound, client.NotFoundError),
        (server.Conflict, client.ConflictError),
        (server.InvalidState, client.InvalidStateError),
        (server.RateLimited, client.RateLimitedError),
        (server.ResyncRequired, client.ResyncRequiredError),
        (server.Unauthorized, client.UnauthorizedError),
        (server.StoreBusy, client.ServerError),
        (server.DeliveryError, client.ServerError),
        (server.MediaDayError, client.ServerError),
    ],
)
def test_a_frame_code_becomes_its_typed_client_error_keeping_the_code(error, kind):
    raised = client.error_for(error.code, "refused", request_id="r-1")
    assert type(raised) is kind
    assert (raised.code, raised.request_id, raised.message) == (error.code, "r-1", "refused")


def test_an_unknown_code_is_a_server_error_that_keeps_its_code():
    raised = client.error_for("something_new", "later server")
    assert type(raised) is client.ServerError
    assert raised.code == "something_new"


def test_client_and_server_word_the_id_rule_the_same():
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(Id).validate_python("no spaces")
    assert client.describe_validation(refused.value) == ID_RULE
