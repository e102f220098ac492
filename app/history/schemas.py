"""The log's events as served: the event as it was written and sequenced, with its position."""

from __future__ import annotations

import uuid
from datetime import datetime
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
    actor_withheld: bool = Field(
        False,
        description=(
            "True when the actor was the shelter holding her and the caller may not know where"
            " she is: the actor's ids, roles and request id are then null or empty."
        ),
    )


class AccessRead(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    principal_type: str | None = Field(description="user or client; none for an anonymous try.")
    principal_id: uuid.UUID | None
    agency_id: uuid.UUID | None
    method: str
    route: str = Field(description="The route's template (no identity ever travels in a URL).")
    status: int
    outcome: str = Field(description="read, search, write, repeat_check or denied.")
    object_type: str | None
    object_id: str | None
    purpose: str | None = Field(description="The stated purpose of an identity read.")
    fields: list[str] | None = Field(description="Identity fields asked for (names, not values).")
    request_id: str | None
    actor_withheld: bool = Field(
        False,
        description=(
            "True when the reader was the shelter holding her and the caller may not know where"
            " she is: `principal_id`, `agency_id` and `request_id` are then null."
        ),
    )
