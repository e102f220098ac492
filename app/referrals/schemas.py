"""What a referral and each of its actions carry, and the referral as it is read. Every act says
when it happened (``occurred_at``, never in the future, never before the act before it; it
defaults to now) and is stamped with when it was entered."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from app.cases.schemas import Strict
from app.referrals.policy import ReferralReason, ReferralType

_TEXT = Field(min_length=1, max_length=4000)


class Act(Strict):
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it happened (default: now); never in the future."
    )


class ReferralCreate(Act):
    type: ReferralType
    receiving_agency_id: uuid.UUID = Field(
        description="An active agency that gives this service (not the case's owner)."
    )
    reason: ReferralReason = Field(description="HTCDS referral reason.")
    notes: str = Field(
        min_length=1, max_length=4000, description="What is asked, for the receiving agency."
    )


class AcceptBody(Act):
    pass


class ReasonBody(Act):
    reason: str = _TEXT


class CompleteBody(Act):
    result: str = Field(min_length=1, max_length=4000, description="What was found or done.")
    document_id: uuid.UUID | None = Field(
        default=None,
        description="The report: a document of the case uploaded by the receiving agency "
        "(required for a home verification: its home verification report).",
    )


class ReferralActRead(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor_id: uuid.UUID
    actor_agency_id: uuid.UUID
    data: dict[str, Any] = Field(description="What the act carried; empty for oversight readers.")
    occurred_at: datetime
    recorded_at: datetime


class ReferralRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    case_code: str = Field(description="The case's pseudonymous code.")
    case_track: str
    type: ReferralType
    status: str
    reason: ReferralReason
    notes: str | None = Field(description="The referring side's request; null for oversight readers.")
    referring_agency_id: uuid.UUID
    receiving_agency_id: uuid.UUID
    result_document_id: uuid.UUID | None
    occurred_at: datetime = Field(description="When the referral was made.")
    ended_at: datetime | None
    sides: list[str] = Field(description="How the caller's agency stands to this referral.")
    allowed_actions: list[str] = Field(description="What the caller may do now.")
    acts: list[ReferralActRead]
    version: int
    created_at: datetime
    updated_at: datetime
