"""Referrals (DOMAIN.md section 3): one agency asking another for a service on a case. The row
keeps the parties, the state and what visibility needs; each act, with what it carried, is a row
of ``referral_acts``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        # One open referral of a type from a case to an agency: a second concurrent create (a
        # double click, two caseworkers) fails on this, on both databases.
        Index(
            "ix_referrals_open_case_type_receiver",
            "case_id",
            "type",
            "receiving_agency_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        # The case relation ``referral:<type>`` asks "an accepted referral of this type to the
        # caller's agency": only accepted rows, so the index stays small.
        Index(
            "ix_referrals_accepted_receiver",
            "receiving_agency_id",
            "type",
            "case_id",
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
        Index("ix_referrals_case_id", "case_id"),
        Index("ix_referrals_referring_agency_id_updated_at", "referring_agency_id", "updated_at"),
        Index("ix_referrals_receiving_agency_id_updated_at", "receiving_agency_id", "updated_at"),
        Index("ix_referrals_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    # HTCDS referral reason: AdditionalServicesRequired, MigrationOrChangeOfLocation, Other.
    reason: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text)
    # The agency that asked (the case's owner, or the CWC / Magistrate seized of it).
    referring_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    receiving_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    # The case's stage before an accepted adult home verification moved it (where a withdrawal
    # puts it back).
    stage_before: Mapped[str | None] = mapped_column(String(24))
    result_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    # When the referral was made (HTCDS: the incoming referral date), and when it ended.
    occurred_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReferralAct(Base):
    """One action taken on a referral: who, when it happened, when it was entered, what it
    carried (a reason, a result)."""

    __tablename__ = "referral_acts"
    __table_args__ = (Index("ix_referral_acts_referral_id_recorded_at", "referral_id", "recorded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID]
    actor_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
