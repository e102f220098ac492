"""Bodies and answers of follow-up visits, rehabilitation services and consents."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from app.aftercare.policy import (
    ConsentPurpose,
    Recommendation,
    RiskLevel,
    ServiceStatus,
    ServiceType,
)
from app.cases.schemas import Strict

_OCCURRED = Field(default=None, description="When it happened (default: now); never in the future.")


class VisitCreate(Strict):
    occurred_at: AwareDatetime | None = _OCCURRED
    findings: str = Field(
        min_length=1,
        max_length=8000,
        description="What the visit found at home (a confidential case report, JJ s.99).",
    )
    risk_level: RiskLevel = Field(description="The risk reassessed at this visit.")
    risk_factors: list[str] = Field(default_factory=list, max_length=20)
    recommendation: Recommendation = Recommendation.CONTINUE


class VisitRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    number: int
    visited_by_agency_id: uuid.UUID
    # Only to those whose field set holds the findings (the case's holders).
    findings: str | None
    risk_level: RiskLevel
    risk_factors: list[str]
    recommendation: Recommendation
    occurred_at: datetime
    recorded_at: datetime


class ScheduledVisit(BaseModel):
    number: int
    due_at: datetime
    status: str = Field(description="open, overdue, met or met_late (the FOLLOW_UP_VISIT rule).")


class VisitList(BaseModel):
    items: list[VisitRead]
    schedule: list[ScheduledVisit]


class ServiceCreate(Strict):
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When the service began (default: now); never in the future."
    )
    type: ServiceType
    scheme: str | None = Field(default=None, max_length=100)
    provider_agency_id: uuid.UUID | None = Field(
        default=None, description="The agency giving it, when another than the recorder."
    )
    notes: str = Field(default="", max_length=4000)


class ServiceEnd(Strict):
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it ended (default: now); never in the future."
    )
    status: ServiceStatus = Field(description="completed or discontinued.")
    outcome: str = Field(min_length=1, max_length=4000)


class ServiceRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    type: ServiceType
    scheme: str | None
    provider_agency_id: uuid.UUID | None
    status: ServiceStatus
    notes: str | None
    outcome: str | None
    started_at: datetime
    ended_at: datetime | None
    recorded_by_agency_id: uuid.UUID
    version: int


class ServiceList(BaseModel):
    items: list[ServiceRead]


class ConsentCreate(Strict):
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When she answered (default: now); never in the future."
    )
    purpose: ConsentPurpose
    given: bool = Field(description="false records a refusal.")
    agency_id: uuid.UUID | None = Field(
        default=None, description="For data_sharing (required): the agency it is with."
    )
    valid_until: AwareDatetime | None = Field(
        default=None, description="When it lapses, if she gave it for a time."
    )
    how_recorded: str = Field(
        min_length=1,
        max_length=200,
        description="How it was taken: her language, the interpreter, the signed form's reference.",
    )
    document_id: uuid.UUID | None = Field(default=None, description="The signed form, if filed.")


class ConsentWithdraw(Strict):
    occurred_at: AwareDatetime | None = _OCCURRED
    note: str = Field(min_length=1, max_length=2000)


class ConsentRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    purpose: ConsentPurpose
    given: bool
    agency_id: uuid.UUID | None
    valid_until: datetime | None
    how_recorded: str
    document_id: uuid.UUID | None
    occurred_at: datetime
    withdrawn_at: datetime | None
    withdrawal_note: str | None
    in_force: bool = Field(description="Given, not withdrawn and not lapsed, now.")
    recorded_by_agency_id: uuid.UUID
    version: int


class Stay(BaseModel):
    """Whether her stay in a shelter is covered, now (DOMAIN.md section 1)."""

    placed: bool = Field(description="She is placed in a shelter by an order.")
    covered_by: str | None = Field(description="order, consent, or null when nothing covers it.")
    covered_until: datetime | None = Field(
        description="When the cover ends; null while placed with an open-ended cover."
    )
    overstay: bool = Field(description="Placed past what an order or her consent covers.")
    since: datetime | None = Field(description="When the cover ran out, for an overstay.")


class ConsentList(BaseModel):
    items: list[ConsentRead]
    stay: Stay
