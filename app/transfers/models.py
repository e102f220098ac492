"""The interstate transfer (DOMAIN.md section 3): the transfer itself, the acts that moved it, and
its case-file bundle. The row keeps the parties, the state and what deadlines and visibility need;
each act, with what it carried, is a row of ``transfer_acts``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        # One open transfer per case: a second concurrent create fails on this, on both databases.
        Index(
            "ix_transfers_open_case",
            "case_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_transfers_case_id", "case_id"),
        Index("ix_transfers_sending_agency_id_updated_at", "sending_agency_id", "updated_at"),
        Index("ix_transfers_sending_authority_id_updated_at", "sending_authority_id", "updated_at"),
        Index("ix_transfers_receiving_agency_id_updated_at", "receiving_agency_id", "updated_at"),
        Index("ix_transfers_receiving_authority_id_updated_at", "receiving_authority_id", "updated_at"),
        Index("ix_transfers_escort_agency_id", "escort_agency_id"),
        Index("ix_transfers_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(24))
    track: Mapped[str] = mapped_column(String(8))
    sending_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    sending_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    sending_state: Mapped[str] = mapped_column(String(5))
    receiving_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    receiving_authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    receiving_state: Mapped[str] = mapped_column(String(5))
    escort_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    # The case's stage when the transfer was ordered: where a decline or cancel puts it back.
    stage_before: Mapped[str | None] = mapped_column(String(24))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Deadlines, fixed when they start (a rule change applies to deadlines started after it).
    consultation_due_at: Mapped[datetime | None]
    escort_due_at: Mapped[datetime | None]
    acceptance_due_at: Mapped[datetime | None]
    consultation_requested_at: Mapped[datetime | None]
    consultation_answer: Mapped[str | None] = mapped_column(String(8))  # agree | object
    ended_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TransferAct(Base):
    """One action taken on a transfer: who, when it happened, when it was entered, what it carried
    (reasons, the escort's officers, the travel mode...; never the victim's identity)."""

    __tablename__ = "transfer_acts"
    __table_args__ = (Index("ix_transfer_acts_transfer_id_recorded_at", "transfer_id", "recorded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[uuid.UUID]
    actor_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class TransferDocument(Base):
    """A document of the case-file bundle sent with the request for consultation."""

    __tablename__ = "transfer_documents"

    transfer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transfers.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
