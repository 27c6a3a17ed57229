"""The base of every frame the service pushes: closed, immutable, encoded without nulls.

Its own module, apart from mediaday.protocol, so the presence and pairing pushes
($connect / $disconnect) share it without importing the whole wire protocol.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()
