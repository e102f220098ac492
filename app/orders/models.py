"""Orders: the acts of a competent authority (a CWC, a Magistrate, a legal services authority).
Everyone else records facts and proposes; only these move a case by law (DOMAIN.md section 2).
A transfer's order and its escort order are made by the transfer's ``order`` and
``assign-escort`` actions and in no other way."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_case_id_occurred_at", "case_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    issued_by_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    # The members of the bench or the court who made it (user ids).
    issuing_members: Mapped[list[str]] = mapped_column(JSON, default=list)
    legal_basis: Mapped[str] = mapped_column(String(200))
    form_reference: Mapped[str | None] = mapped_column(String(60))
    reasons: Mapped[str | None] = mapped_column(Text)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfers.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The signed order as a document of the case (optional).
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
