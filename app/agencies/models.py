from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.permissions import AgencyType
from app.db import Base, new_id, utcnow

AGENCY_TYPES_SQL = ", ".join(f"'{t.value}'" for t in AgencyType)


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(f"type IN ({AGENCY_TYPES_SQL})", name="type_known"),
        Index("ix_agencies_state_type", "state", "type"),
        Index("ix_agencies_name_id", "name", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    state: Mapped[str | None] = mapped_column(String(5))
    district: Mapped[str | None] = mapped_column(String(100))
    lgd_code: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]
    # Named by the system administrator before the agency closes: it took over the open cases.
    successor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
