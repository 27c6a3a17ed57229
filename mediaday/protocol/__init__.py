"""The wire protocol: what clients send and what the service sends back (JSON text frames).

docs/protocol.md is the prose version of this package; keep them together. The models live
by area (`requests`, `liveday`, `frames`); this module joins them into the `Request` union
and reads every list of actions off it.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import BaseModel, Field

from mediaday.frame import Frame as Frame
from mediaday.protocol.base import AckState as AckState
from mediaday.protocol.base import Fields as Fields
from mediaday.protocol.base import ReadRequest as ReadRequest
from mediaday.protocol.base import RequestBase as RequestBase
from mediaday.protocol.base import RequestId as RequestId
from mediaday.protocol.base import TopicName as TopicName
from mediaday.protocol.base import Topics as Topics
from mediaday.protocol.base import Version as Version
from mediaday.protocol.frames import Ack as Ack
from mediaday.protocol.frames import CommandFrame as CommandFrame
from mediaday.protocol.frames import ErrorFrame as ErrorFrame
from mediaday.protocol.frames import EventChange as EventChange
from mediaday.protocol.frames import EventFrame as EventFrame
from mediaday.protocol.frames import EventsFrame as EventsFrame
from mediaday.protocol.frames import Pong as Pong
from mediaday.protocol.frames import SnapshotPage as SnapshotPage
from mediaday.protocol.frames import SyncPage as SyncPage
from mediaday.protocol.frames import encoded_size as encoded_size
from mediaday.protocol.liveday import MAX_BATCH_WRITES as MAX_BATCH_WRITES
from mediaday.protocol.liveday import SHIFT_MINUTES as SHIFT_MINUTES
from mediaday.protocol.liveday import Batch as Batch
from mediaday.protocol.liveday import BatchWrite as BatchWrite
from mediaday.protocol.liveday import ConnectionRef as ConnectionRef
from mediaday.protocol.liveday import DeviceIdentify as DeviceIdentify
from mediaday.protocol.liveday import DeviceLabel as DeviceLabel
from mediaday.protocol.liveday import DeviceRedirect as DeviceRedirect
from mediaday.protocol.liveday import NewNotice as NewNotice
from mediaday.protocol.liveday import NoticeChanges as NoticeChanges
from mediaday.protocol.liveday import NoticeClear as NoticeClear
from mediaday.protocol.liveday import NoticePost as NoticePost
from mediaday.protocol.liveday import NoticeUpdate as NoticeUpdate
from mediaday.protocol.liveday import Revoke as Revoke
from mediaday.protocol.liveday import ScheduleShift as ScheduleShift
from mediaday.protocol.liveday import SlotArrive as SlotArrive
from mediaday.protocol.liveday import SlotDone as SlotDone
from mediaday.protocol.pairing import PairApprove as PairApprove
from mediaday.protocol.pairing import PairedFrame as PairedFrame
from mediaday.protocol.pairing import PairReject as PairReject
from mediaday.protocol.pairing import PairStart as PairStart
from mediaday.protocol.pairing import PairWatch as PairWatch
from mediaday.protocol.requests import BatchWriteModels as BatchWriteModels
from mediaday.protocol.requests import CallAck as CallAck
from mediaday.protocol.requests import CallCancel as CallCancel
from mediaday.protocol.requests import CallPush as CallPush
from mediaday.protocol.requests import NewCall as NewCall
from mediaday.protocol.requests import NewShot as NewShot
from mediaday.protocol.requests import NewSlot as NewSlot
from mediaday.protocol.requests import Ping as Ping
from mediaday.protocol.requests import ShotAdd as ShotAdd
from mediaday.protocol.requests import ShotChanges as ShotChanges
from mediaday.protocol.requests import ShotDelete as ShotDelete
from mediaday.protocol.requests import ShotSetStatus as ShotSetStatus
from mediaday.protocol.requests import ShotUpdate as ShotUpdate
from mediaday.protocol.requests import SlotChanges as SlotChanges
from mediaday.protocol.requests import SlotCreate as SlotCreate
from mediaday.protocol.requests import SlotDelete as SlotDelete
from mediaday.protocol.requests import SlotMove as SlotMove
from mediaday.protocol.requests import SlotUpdate as SlotUpdate
from mediaday.protocol.requests import StationFields as StationFields
from mediaday.protocol.requests import StationPut as StationPut
from mediaday.protocol.requests import Subscribe as Subscribe
from mediaday.protocol.requests import Sync as Sync
from mediaday.protocol.requests import TalentFields as TalentFields
from mediaday.protocol.requests import TalentPut as TalentPut
from mediaday.protocol.requests import Unsubscribe as Unsubscribe
from mediaday.tokens import SUBPROTOCOL as SUBPROTOCOL

PROTOCOL_VERSION = 1

Request = Annotated[
    Ping
    | Subscribe
    | Unsubscribe
    | Sync
    | BatchWriteModels
    | CallPush
    | CallAck
    | CallCancel
    | ScheduleShift
    | SlotArrive
    | SlotDone
    | NoticePost
    | NoticeUpdate
    | NoticeClear
    | Batch
    | DeviceLabel
    | DeviceIdentify
    | DeviceRedirect
    | Revoke
    | PairStart
    | PairWatch
    | PairApprove
    | PairReject,
    Field(discriminator="action"),
]


def action_of(model: type[BaseModel]) -> str:
    """The action a request model answers to: the value of its `action` literal."""
    (action,) = get_args(model.model_fields["action"].annotation)
    return str(action)


# Every list of actions is read off the request models above: a new action is a new model
# in `Request`, never an edit here.
REQUEST_MODELS: tuple[type[RequestBase], ...] = get_args(get_args(Request)[0])
ACTIONS: tuple[str, ...] = tuple(action_of(model) for model in REQUEST_MODELS)
READ_ACTIONS: frozenset[str] = frozenset(
    action_of(model) for model in REQUEST_MODELS if issubclass(model, ReadRequest)
)
