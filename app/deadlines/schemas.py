"""A deadline as it is read."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class DeadlineRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    rule_id: str
    citation: str
    starts_at: str = Field(description="The act that started it.")
    occurrence: int = Field(description="The n-th of a recurring rule (follow-up visits).")
    owed_by_agency_id: uuid.UUID | None
    informational: bool = Field(description="A window (appeal), never overdue.")
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    waived_reason: str | None
    status: str = Field(description="open, overdue, met, met_late or waived, at the request's clock.")
