"""What the service sends back: acks, errors, pages, commands and events."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from mediaday.frame import Frame

# -- server → client ----------------------------------------------------------------------


class Ack(Frame):
    """A request succeeded. Writes carry the item as stored; `duplicate` marks a retry that
    had already been applied (nothing written this time)."""

    type: Literal["ack"] = "ack"
    id: str
    action: str
    item: dict[str, Any] | None = None
    # schedule.shift / batch: every item written, in request order
    items: list[dict[str, Any]] | None = None
    version: int | None = None
    rev: int | None = None
    duplicate: bool | None = None
    # batch: the writes (by index) that had already been applied, so were not written again
    duplicates: list[int] | None = None
    # subscribe / sync: how many snapshot or sync pages follow this ack
    pages: int | None = None
    topics: list[str] | None = None
    server_time: int


class ErrorFrame(Frame):
    type: Literal["error"] = "error"
    id: str | None = None
    code: str
    message: str
    current: dict[str, Any] | None = None  # conflict: the item as it stands
    # busy: retry (same id) after at least this long; the server shed the request unread
    retry_after_ms: int | None = None
    server_time: int


class Pong(Frame):
    type: Literal["pong"] = "pong"
    id: str
    server_time: int


class _Page(Frame):
    """What snapshot and sync pages share: the request they answer (`id`), the rev read
    before their items, and their place among the answer's pages (one paging rule)."""

    type: str
    id: str
    rev: int
    page: int
    pages: int
    items: list[dict[str, Any]]
    server_time: int


class SnapshotPage(_Page):
    """Part of a topic's current state, answering `subscribe` (request `id`)."""

    type: Literal["snapshot"] = "snapshot"
    topic: str


class SyncPage(_Page):
    """Part of the changes since `since`: items with `deleted: true` are deletes."""

    type: Literal["sync"] = "sync"
    since: int


class CommandFrame(Frame):
    """A producer's instruction to one device's page (device.identify, device.redirect)."""

    type: Literal["command"] = "command"
    command: Literal["identify", "redirect"]
    label: str | None = None
    seconds: int | None = None
    view: str | None = None
    station_id: str | None = None
    server_time: int


class EventFrame(Frame):
    """A change pushed to subscribers of `topic`."""

    type: Literal["event"] = "event"
    topic: str
    change: Literal["created", "updated", "deleted"]
    item_type: str
    item_id: str
    item: dict[str, Any]
    version: int
    rev: int
    server_time: int


class EventChange(Frame):
    """One change inside an `events` frame: `topics` names every topic of the receiving
    connection that the change concerns (a change reaches a connection once)."""

    topics: list[str]
    change: Literal["created", "updated", "deleted"]
    item_type: str
    item_id: str
    item: dict[str, Any]
    version: int
    rev: int


class EventsFrame(Frame):
    """Every change of one stream batch that concerns the connection, in rev order, for
    topics subscribed with `events="batched"`; split only to stay under 128 KB."""

    type: Literal["events"] = "events"
    changes: list[EventChange] = Field(min_length=1)
    server_time: int


def encoded_size(value: Any) -> int:
    """Bytes a JSON value takes on the wire (what the 128 KB limit counts)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
