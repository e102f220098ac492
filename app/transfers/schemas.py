"""What each transfer action carries (DOMAIN.md section 3's "must carry" column), and the
transfer as it is read. Every act says when it happened (``occurred_at``, never in the future;
it defaults to now) and is stamped with when it was entered."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from app.cases.schemas import Strict

_REASON = Field(min_length=1, max_length=4000)
_NAME = Field(min_length=1, max_length=200)


class Act(Strict):
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it happened (default: now); never in the future."
    )


class TransferCreate(Strict):
    receiving_agency_id: uuid.UUID = Field(description="The agency in the home state taking her in.")
    receiving_authority_id: uuid.UUID | None = Field(
        default=None,
        description="The home-district CWC (a child: required) or a Magistrate (an adult: optional).",
    )
    reasons: str = _REASON


class ConsultationRequest(Act):
    document_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=50, description="The case-file bundle: documents of the case."
    )


class ConsultationAnswer(StrEnum):
    AGREE = "agree"
    OBJECT = "object"


class ConsultationAnswerBody(Act):
    answer: ConsultationAnswer
    reason: str = _REASON


class OrderBody(Act):
    reasons: str = _REASON
    objection_response: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="Required when the receiving side objected: the order must answer it.",
    )
    form_reference: str | None = Field(default=None, max_length=60)


class EscortUnit(StrEnum):
    SJPU = "sjpu"
    POLICE = "police"
    DCPU = "dcpu"
    HOME = "home"


class Officer(Strict):
    name: str = _NAME
    rank: str | None = Field(default=None, max_length=100)
    woman: bool = False


class EscortBody(Act):
    escort_agency_id: uuid.UUID = Field(description="The escorting unit: police / SJPU, DCPU or home.")
    officers: list[Officer] = Field(min_length=1, max_length=10)
    travel_advance_paid: bool
    form_reference: str | None = Field(default=None, max_length=60)


class TravelMode(StrEnum):
    TRAIN = "train"
    ROAD = "road"
    AIR = "air"
    OTHER = "other"


class DepartBody(Act):
    mode: TravelMode


class HandOverBody(Act):
    receiving_officer: str = _NAME


class ReasonBody(Act):
    reason: str = _REASON


class AbscondedBody(Act):
    circumstances: str = _REASON


class BorderHandoverBody(Act):
    external_reference: str = Field(
        min_length=1, max_length=100, description="The Ministry's or embassy's reference."
    )


class AcceptBody(Act):
    pass


class EscalateBody(Act):
    reason: str = _REASON


class TransferActRead(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor_id: uuid.UUID
    actor_agency_id: uuid.UUID
    data: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


class TransferRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    status: str
    track: str
    sending_agency_id: uuid.UUID
    sending_authority_id: uuid.UUID
    sending_state: str
    receiving_agency_id: uuid.UUID
    receiving_authority_id: uuid.UUID | None
    receiving_state: str
    escort_agency_id: uuid.UUID | None
    escalated: bool = Field(description="Raised, or a transfer deadline has passed (computed).")
    escalation_raised: bool
    deadlines: dict[str, datetime | None]
    document_ids: list[uuid.UUID] = Field(description="The case-file bundle.")
    sides: list[str] = Field(description="How the caller's agency stands to this transfer.")
    allowed_actions: list[str] = Field(description="What the caller may do now.")
    acts: list[TransferActRead]
    version: int
    created_at: datetime
    updated_at: datetime
