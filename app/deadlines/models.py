"""A deadline started by an act on a case: its rule, when it started and falls due (fixed when
it starts), the agency that owes it, and when it was met or why it was waived. Its status is
computed when asked (``app.deadlines.status``), never stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id


class Deadline(Base):
    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_case_id", "case_id"),
        Index("ix_deadlines_owed_by_agency_id_due_at", "owed_by_agency_id", "due_at"),
        Index("ix_deadlines_due_at_id", "due_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(32))
    # The n-th of a recurring rule (follow-up visits); 1 otherwise.
    occurrence: Mapped[int] = mapped_column(Integer, default=1)
    # What started it: an order, a transfer, the case itself.
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID]
    owed_by_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    informational: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    met_at: Mapped[datetime | None]
    waived_reason: Mapped[str | None] = mapped_column(String(200))
