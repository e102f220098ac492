from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from app.agencies.states import normalise_state
from app.cases.vocab import (
    AgeBasis,
    ControlMethod,
    ExploitationType,
    IdentityField,
    LabourExploitation,
    Platform,
    Purpose,
    RecruitmentMethod,
    RescueType,
    RouteEventKind,
    Sensitivity,
    Sex,
    SexualExploitation,
    Track,
    VillageTracing,
)

_SHORT = Field(default=None, min_length=1, max_length=200)
_COUNTRY = Field(default="IN", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


def _state(value: str | None) -> str | None:
    return None if value is None else normalise_state(value)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentityInput(Strict):
    """Who she is. Stored only encrypted; never returned by a case read."""

    names: list[str] = Field(default_factory=list, max_length=10)
    aliases: list[str] = Field(default_factory=list, max_length=20)
    date_of_birth: date | None = None
    photo_ref: str | None = _SHORT
    family_names: list[str] = Field(default_factory=list, max_length=20)
    home_address: str | None = Field(default=None, max_length=1000)
    home_village: str | None = _SHORT
    present_address: str | None = Field(default=None, max_length=1000)
    school: str | None = _SHORT
    phones: list[str] = Field(default_factory=list, max_length=10)
    id_numbers: list[str] = Field(default_factory=list, max_length=10)
    bank_details: str | None = Field(default=None, max_length=500)

    @field_validator("names", "aliases", "family_names", "phones", "id_numbers")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(not v or len(v) > 200 for v in cleaned):
            raise ValueError("entries must be 1 to 200 characters")
        return cleaned


class IdentityPatch(Strict):
    """A JSON merge patch of identity fields: a field sent replaces the stored one; null clears it."""

    names: list[str] | None = Field(default=None, max_length=10)
    aliases: list[str] | None = Field(default=None, max_length=20)
    date_of_birth: date | None = None
    photo_ref: str | None = _SHORT
    family_names: list[str] | None = Field(default=None, max_length=20)
    home_address: str | None = Field(default=None, max_length=1000)
    home_village: str | None = _SHORT
    present_address: str | None = Field(default=None, max_length=1000)
    school: str | None = _SHORT
    phones: list[str] | None = Field(default=None, max_length=10)
    id_numbers: list[str] | None = Field(default=None, max_length=10)
    bank_details: str | None = Field(default=None, max_length=500)


class RouteEvent(Strict):
    kind: RouteEventKind
    state: str | None = None
    district: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=100)
    country: str = _COUNTRY
    date: dt.date | None = None

    _norm_state = field_validator("state")(_state)


class TraffickingContext(Strict):
    """HTCDS terms (DOMAIN.md section 9)."""

    recruitment_methods: list[RecruitmentMethod] = Field(default_factory=list)
    control_methods: list[ControlMethod] = Field(default_factory=list)
    labour_exploitation: list[LabourExploitation] = Field(default_factory=list)
    sexual_exploitation: list[SexualExploitation] = Field(default_factory=list)
    platforms: list[Platform] = Field(default_factory=list)
    route: list[RouteEvent] = Field(default_factory=list, max_length=30)


class Flags(Strict):
    trafficker_contact: bool = False
    family_complicity: bool = False


class References(Strict):
    """Identifiers in other systems of record (DOMAIN.md section 8)."""

    ghar_id: str | None = Field(default=None, max_length=60)
    vatsalya_id: str | None = Field(default=None, max_length=60)
    cwc_case_number: str | None = Field(default=None, max_length=60)
    fir_number: str | None = Field(default=None, max_length=60)
    court_case_number: str | None = Field(default=None, max_length=60)


class VictimInput(Strict):
    track: Track
    sex: Sex = Sex.UNKNOWN
    age_claimed: int | None = Field(default=None, ge=0, le=120)
    nationality: str = _COUNTRY
    languages: list[str] = Field(default_factory=list, max_length=10)
    disability: str | None = _SHORT
    interpreter_needed: bool = False
    exploitation_types: list[ExploitationType] = Field(min_length=1, max_length=8)
    home_state: str | None = None
    home_district: str | None = Field(default=None, max_length=100)
    home_country: str = _COUNTRY
    village_tracing: VillageTracing = VillageTracing.UNKNOWN
    flags: Flags = Field(default_factory=Flags)
    references: References = Field(default_factory=References)
    trafficking_context: TraffickingContext = Field(default_factory=TraffickingContext)
    placement: str | None = Field(default=None, max_length=1000, description="`safety` data")
    identity: IdentityInput = Field(default_factory=IdentityInput)

    _norm_home = field_validator("home_state")(_state)


class RescueEventCreate(Strict):
    occurred_at: AwareDatetime
    state: str
    district: str | None = Field(default=None, max_length=100)
    police_station: str | None = _SHORT
    rescue_type: RescueType
    legal_basis: str | None = _SHORT
    fir_number: str | None = Field(default=None, max_length=60)
    gd_reference: str | None = Field(default=None, max_length=60)
    lead_agency_id: uuid.UUID
    participating_agency_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    victims: list[VictimInput] = Field(min_length=1, max_length=100)

    _norm_state = field_validator("state")(normalise_state)


class FlagsPatch(Strict):
    trafficker_contact: bool | None = None
    family_complicity: bool | None = None


class ReferencesPatch(Strict):
    ghar_id: str | None = Field(default=None, max_length=60)
    vatsalya_id: str | None = Field(default=None, max_length=60)
    cwc_case_number: str | None = Field(default=None, max_length=60)
    fir_number: str | None = Field(default=None, max_length=60)
    court_case_number: str | None = Field(default=None, max_length=60)


class CaseUpdate(Strict):
    """A JSON merge patch (RFC 7396) of what the owner records about a case. Stage, owner, code,
    version and ids are not here: changing them is a 422 (they move only by the acts of
    DOMAIN.md section 2). ``null`` clears a field; flags and references merge key by key."""

    current_district: str | None = Field(default=None, max_length=100)
    home_state: str | None = None
    home_district: str | None = Field(default=None, max_length=100)
    home_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    village_tracing: VillageTracing | None = None
    sex: Sex | None = None
    age_claimed: int | None = Field(default=None, ge=0, le=120)
    nationality: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    languages: list[str] | None = Field(default=None, max_length=10)
    disability: str | None = _SHORT
    interpreter_needed: bool | None = None
    exploitation_types: list[ExploitationType] | None = Field(default=None, min_length=1, max_length=8)
    flags: FlagsPatch | None = None
    references: ReferencesPatch | None = None
    trafficking_context: TraffickingContext | None = None
    placement: str | None = Field(default=None, max_length=1000)

    _norm_home = field_validator("home_state")(_state)


class AssigneesSet(Strict):
    user_ids: list[uuid.UUID] = Field(max_length=20)


class ProductionReport(Strict):
    """The victim produced before the CWC (child) or a Magistrate (adult)."""

    occurred_at: AwareDatetime
    authority_id: uuid.UUID = Field(description="The CWC or Magistrate's court, now seized of the case.")
    journey_hours: int = Field(ge=0, le=240, description="Journey time, excluded from the 24 hours.")


class CaseCreate(VictimInput):
    rescue_event_id: uuid.UUID


class RescueEventRead(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    recorded_at: datetime
    state: str
    district: str | None
    police_station: str | None
    rescue_type: RescueType
    legal_basis: str | None
    fir_number: str | None
    gd_reference: str | None
    lead_agency_id: uuid.UUID
    agency_ids: list[uuid.UUID]
    case_ids: list[uuid.UUID] = Field(description="The cases of this event the caller may see.")


class CaseRead(BaseModel):
    """A case as the caller may see it: fields outside its field set are absent, and identity is
    never here (read it at /identity with a purpose)."""

    model_config = ConfigDict(extra="allow")

    id: uuid.UUID
    code: str
    relations: list[str] = Field(description="How the caller is related to the case.")


class RescueEventCreated(BaseModel):
    id: uuid.UUID = Field(description="The rescue event's id.")
    rescue_event: RescueEventRead
    cases: list[CaseRead]


class IdentityRead(BaseModel):
    case_id: uuid.UUID
    purpose: Purpose
    fields: dict[str, Any]


class CaseSearch(Strict):
    purpose: Purpose
    name: str | None = Field(default=None, min_length=1, max_length=200)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, min_length=4, max_length=30)


class NoteCreate(Strict):
    sensitivity: Sensitivity
    body: str = Field(min_length=1, max_length=10_000)


class NoteRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    sensitivity: Sensitivity
    body: str
    author_id: uuid.UUID
    author_agency_id: uuid.UUID
    created_at: datetime


class NoteList(BaseModel):
    items: list[NoteRead]
    readable_classes: list[Sensitivity] = Field(
        description="The classes the caller may read here (identity notes need a purpose)."
    )


class SearchHit(BaseModel):
    id: uuid.UUID
    code: str


class SearchResult(BaseModel):
    items: list[SearchHit]


ALL_IDENTITY_FIELDS = [f.value for f in IdentityField]
AGE_BASES = [b.value for b in AgeBasis]


class StageReport(Strict):
    """A fact reported by the agency holding her: she absconded, returned, or died."""

    occurred_at: AwareDatetime = Field(description="When it happened; never in the future.")
    circumstances: str = Field(min_length=1, max_length=4000)
