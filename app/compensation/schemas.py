"""What a compensation claim and each of its actions carry, and the claim as it is read. Amounts
are integer paise (never a float). Every act says when it happened (``occurred_at``, never in
the future, never before the act before it; it defaults to now) and is stamped with when it was
entered."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from app.cases.schemas import Strict
from app.compensation.policy import Scheme

# Up to ten crore rupees: far above any scheme's award, low enough to catch a slipped digit.
MAX_PAISE = 10_000_000_000
# Money is a JSON integer of paise, strictly: not "5000" (rupees or paise?), not 12.5.
PAISE: dict[str, Any] = {"ge": 1, "le": MAX_PAISE, "strict": True}


class Act(Strict):
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it happened (default: now); never in the future."
    )


class ClaimCreate(Act):
    scheme: Scheme
    scheme_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The scheme's own name: required for state_scheme and other.",
    )
    forum_agency_id: uuid.UUID = Field(
        description="The active legal services authority (DLSA or SLSA) that decides it."
    )
    amount_claimed_paise: int = Field(**PAISE, description="What is claimed, in paise.")
    application_reference: str | None = Field(
        default=None, min_length=1, max_length=100, description="The forum's application number."
    )
    notes: str | None = Field(default=None, min_length=1, max_length=4000)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it was applied for (default: now); never in the future."
    )


class DisburseBody(Act):
    amount_paise: int = Field(
        **PAISE, description="What was paid now, in paise (with earlier payments, at most the award)."
    )
    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The payment's reference (a transfer or deposit number); never an account number.",
    )


class WithdrawBody(Act):
    reason: str = Field(min_length=1, max_length=4000)


class ClaimActRead(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor_id: uuid.UUID
    actor_agency_id: uuid.UUID
    data: dict[str, Any] = Field(description="What the act carried; amounts only for oversight readers.")
    occurred_at: datetime
    recorded_at: datetime


class ClaimRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    case_code: str = Field(description="The case's pseudonymous code.")
    case_track: str
    scheme: Scheme
    scheme_name: str | None
    status: str
    filed_by_agency_id: uuid.UUID
    forum_agency_id: uuid.UUID
    application_reference: str | None = Field(description="Null for oversight readers.")
    notes: str | None = Field(description="Null for oversight readers.")
    amount_claimed_paise: int
    amount_awarded_paise: int | None
    amount_disbursed_paise: int
    decision_order_id: uuid.UUID | None
    applied_at: datetime
    decided_at: datetime | None
    disbursed_at: datetime | None = Field(description="When the last payment was made.")
    ended_at: datetime | None
    sides: list[str] = Field(description="How the caller's agency stands to this claim.")
    allowed_actions: list[str] = Field(description="What the caller may do now.")
    acts: list[ClaimActRead]
    version: int
    created_at: datetime
    updated_at: datetime
