"""Follow-up visits, rehabilitation services and an adult's consents: facts recorded on a case
after (or, for services and consents, during) her care, each with when it happened and when it
was entered."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class FollowUpVisit(Base):
    """A visit done (the schedule is the FOLLOW_UP_VISIT deadlines of the final order)."""

    __tablename__ = "follow_up_visits"
    # The nth visit of a case is one row: two visits recorded at once cannot both be the first.
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_follow_up_visits_case_number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    visited_by: Mapped[uuid.UUID]
    visited_by_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    # What was found (a case report: JJ s.99 keeps it confidential) and the risk reassessed.
    findings: Mapped[str] = mapped_column(Text)
    risk_level: Mapped[str] = mapped_column(String(8))
    risk_factors: Mapped[list[str]] = mapped_column(JSON, default=list)
    recommendation: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RehabilitationService(Base):
    __tablename__ = "rehabilitation_services"
    __table_args__ = (Index("ix_rehabilitation_services_case_id", "case_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(24))
    # The scheme it is given under (Ujjawala, Swadhar Greh, Mission Vatsalya, a state scheme).
    scheme: Mapped[str | None] = mapped_column(String(100))
    provider_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    recorded_by: Mapped[uuid.UUID]
    recorded_by_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """An adult's answer for one purpose (given or refused), until she withdraws it or it
    lapses. Refusals are kept: they are what an agency acting anyway must answer for."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_case_id_purpose", "case_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(24))
    # For data sharing: the one agency she agreed (or refused) to have her data.
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    given: Mapped[bool] = mapped_column(Boolean)
    valid_until: Mapped[datetime | None]
    # How it was taken: in her language, through an interpreter, signed form reference.
    how_recorded: Mapped[str] = mapped_column(String(200))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    occurred_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawal_note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID]
    recorded_by_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
