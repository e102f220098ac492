"""The log's events as served: the event as it was written and sequenced, with its position."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field


class EventRead(BaseModel):
    seq: int = Field(description="The event's position in the log (its leaf index).")
    id: uuid.UUID
    occurred_at: str = Field(description="UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.")
    actor_type: str = Field(description="user, client or system.")
    actor_id: uuid.UUID | None
    agency_id: uuid.UUID | None
    roles: list[str]
    client_id: uuid.UUID | None
    request_id: str | None
    action: str
    case_id: uuid.UUID | None
    objects: list[dict[str, str]]
    changes: list[dict[str, Any]] = Field(
        description=(
            "Each change: `object`, `id`, `field` and `from` / `to`; values of identity, medical,"
            " safety and placement classes are keyed hashes (with `class`). A change the caller"
            " may not read has `redacted: true` in place of its values."
        )
    )
