"""What every request shares: its id, the field types, and the read/write split."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

RequestId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]
TopicName = Annotated[
    str, StringConstraints(min_length=1, max_length=80, pattern=r"^[\x21-\x7e]+$")
]
Topics = Annotated[list[TopicName], Field(min_length=1, max_length=20)]
Version = Annotated[int, Field(ge=1)]
AckState = Literal["en-route", "arrived", "done"]


class RequestBase(BaseModel):
    # Built inside messaging's one `Request` adapter, not once more per class at import;
    # the broadcaster imports the package for its frames and never builds a request.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: RequestId


class ReadRequest(RequestBase):
    """A request that changes no item: every role may send it (READ_ACTIONS)."""


class Fields(BaseModel):
    """The fields of an item a request creates or changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
