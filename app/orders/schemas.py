"""What an order carries, per kind (a discriminated union on ``kind``: each kind names the
fields it needs and forbids any other), and an order as it is read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from app.cases.schemas import Strict
from app.cases.vocab import AgeBasis, IdentityField, Purpose
from app.compensation.schemas import MAX_PAISE

_TEXT = Field(default=None, min_length=1, max_length=4000)


class OrderBase(Strict):
    legal_basis: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The provision it is made under (default: the kind's usual one).",
    )
    form_reference: str | None = Field(default=None, max_length=60)
    issuing_members: list[uuid.UUID] = Field(
        min_length=1,
        max_length=7,
        description="The members of the bench or the court who made it (users of the issuing "
        "agency, the caller among them).",
    )
    occurred_at: AwareDatetime = Field(description="When it was made; never in the future.")
    document_id: uuid.UUID | None = Field(default=None, description="The signed order, uploaded.")
    reasons: str | None = _TEXT


class PlacementOrder(OrderBase):
    kind: Literal["placement"]
    placement_agency_id: uuid.UUID = Field(description="The shelter or home she is placed in.")


class SirDirection(OrderBase):
    kind: Literal["sir_direction"]
    investigator_agency_id: uuid.UUID | None = Field(
        default=None, description="The DCPU or NGO that prepares the social investigation report."
    )


class AgeDetermination(OrderBase):
    kind: Literal["age_determination"]
    age_determined: int = Field(ge=0, le=120)
    age_basis: AgeBasis


class SafeCustodyOrder(OrderBase):
    kind: Literal["safe_custody"]


class FinalOrder(OrderBase):
    kind: Literal["final_order"]
    outcome: str = Field(
        description="child: restoration, institutional_care, foster_care, sponsorship; adult: "
        "release_to_family, release_on_own, protective_home, voluntary_shelter."
    )


class ClosureOrder(OrderBase):
    kind: Literal["closure"]
    closure_reason: str = Field(min_length=1, max_length=200)


class AgedOutOrder(OrderBase):
    kind: Literal["aged_out"]
    next_step: Literal["aftercare", "adult_track"]


class DisclosurePermission(OrderBase):
    kind: Literal["disclosure_permission"]
    recipient: str = Field(min_length=1, max_length=200, description="Who may be told.")
    purpose: Purpose
    fields: list[IdentityField] = Field(min_length=1)


class CompensationDecision(OrderBase):
    """The forum's decision on a claim (BNSS 2023 s.396): an award, or nothing (a refusal, with
    its reason). Issued by legal aid officers of the legal services authority the claim is
    before; ``issuing_members`` are its officers who made it."""

    kind: Literal["compensation_decision"]
    claim_id: uuid.UUID = Field(description="The open claim of this case before your authority.")
    amount_awarded_paise: int = Field(
        ge=0, le=MAX_PAISE, strict=True, description="The award, in paise; 0 rejects the claim."
    )
    refusal_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="Why nothing is awarded: required with an award of 0, refused otherwise.",
    )


class TransferKindOrder(OrderBase):
    """Accepted by the schema only so that the refusal can say where such orders are made."""

    kind: Literal["transfer", "escort"]


OrderCreate = Annotated[
    PlacementOrder
    | SirDirection
    | AgeDetermination
    | SafeCustodyOrder
    | FinalOrder
    | ClosureOrder
    | AgedOutOrder
    | DisclosurePermission
    | CompensationDecision
    | TransferKindOrder,
    Field(discriminator="kind"),
]

# The kind-specific fields of each body, kept in the order's ``details``.
COMMON_FIELDS = frozenset(OrderBase.model_fields) | {"kind"}


class OrderRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    issued_by_agency_id: uuid.UUID
    issuing_members: list[str]
    legal_basis: str
    form_reference: str | None
    reasons: str | None
    transfer_id: uuid.UUID | None
    document_id: uuid.UUID | None
    details: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


class OrderList(BaseModel):
    items: list[OrderRead]
