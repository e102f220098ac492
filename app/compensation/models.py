"""Compensation claims (DOMAIN.md section 3): a victim's application for compensation under a
scheme, before the legal services authority that decides it (its forum). The row keeps the
parties, the amounts (integer paise: money is never a float), the state and what visibility
needs; each act, with what it carried, is a row of ``compensation_claim_acts``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class CompensationClaim(Base):
    __tablename__ = "compensation_claims"
    __table_args__ = (
        # One open claim under a scheme before a forum for a case: a second concurrent filing (a
        # double click, two caseworkers) fails on this, on both databases. ``scheme_name`` is ''
        # rather than NULL when a scheme needs no name, so that the index compares it.
        Index(
            "ix_compensation_claims_open_case_scheme_forum",
            "case_id",
            "scheme",
            "scheme_name",
            "forum_agency_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        # The case relation ``compensation_forum`` asks "an open claim before the caller's
        # agency": only open rows, so the index stays small.
        Index(
            "ix_compensation_claims_open_forum",
            "forum_agency_id",
            "case_id",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_compensation_claims_case_id", "case_id"),
        Index("ix_compensation_claims_forum_agency_id_updated_at", "forum_agency_id", "updated_at"),
        Index(
            "ix_compensation_claims_filed_by_agency_id_updated_at", "filed_by_agency_id", "updated_at"
        ),
        Index("ix_compensation_claims_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    scheme: Mapped[str] = mapped_column(String(24))
    # The scheme's own name, for a state scheme or another one; '' when the scheme is named by
    # ``scheme`` alone.
    scheme_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))
    # The agency that filed it: the case's owner, the CWC / Magistrate seized, or a legal
    # services authority giving her legal aid.
    filed_by_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    # The DLSA / SLSA that decides it (BNSS 2023 s.396).
    forum_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    # The forum's own number for the application, when it has given one.
    application_reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    amount_claimed_paise: Mapped[int] = mapped_column(BigInteger)
    amount_awarded_paise: Mapped[int | None] = mapped_column(BigInteger)
    # The sum of the disbursements so far (a scheme may pay in instalments, or deposit a
    # child's award until she comes of age).
    amount_disbursed_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    decision_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    # When it was applied for, decided, last disbursed, and ended (disbursed in full, rejected,
    # withdrawn): the ``occurred_at`` of those acts.
    applied_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    disbursed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompensationClaimAct(Base):
    """One act on a claim: who, when it happened, when it was entered, what it carried (an
    amount, a reason, the decision order)."""

    __tablename__ = "compensation_claim_acts"
    __table_args__ = (
        Index("ix_compensation_claim_acts_claim_id_recorded_at", "claim_id", "recorded_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("compensation_claims.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID]
    actor_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
