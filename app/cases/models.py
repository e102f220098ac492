"""Rescue events and cases, and the identity vault's tables. No identity value is stored in
plaintext anywhere: the identity record's columns hold vault ciphertexts, and search goes through
keyed blind indexes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class RescueEvent(Base):
    __tablename__ = "rescue_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(5))
    district: Mapped[str | None] = mapped_column(String(100))
    police_station: Mapped[str | None] = mapped_column(String(200))
    rescue_type: Mapped[str] = mapped_column(String(30))
    legal_basis: Mapped[str | None] = mapped_column(String(200))
    fir_number: Mapped[str | None] = mapped_column(String(60))
    gd_reference: Mapped[str | None] = mapped_column(String(60))
    lead_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    created_by_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))


class RescueEventAgency(Base):
    """An agency of a rescue event (lead or participant): the ``rescue_party`` relation."""

    __tablename__ = "rescue_event_agencies"
    __table_args__ = (Index("ix_rescue_event_agencies_agency_id", "agency_id"),)

    rescue_event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rescue_events.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))  # lead | participant


class CaseCodeSequence(Base):
    """The last number given in each ``<state>-<year>`` series of case codes."""

    __tablename__ = "case_code_sequences"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_updated_at_id", "updated_at", "id"),
        Index("ix_cases_home_state_stage_updated_at_id", "home_state", "stage", "updated_at", "id"),
        Index("ix_cases_owner_agency_id_updated_at", "owner_agency_id", "updated_at"),
        Index("ix_cases_competent_authority_id", "competent_authority_id"),
        Index("ix_cases_rescue_event_id", "rescue_event_id"),
        Index("ix_cases_current_state", "current_state"),
        Index("ix_cases_rescue_state", "rescue_state"),
        Index("ix_cases_placement_agency_id", "placement_agency_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    rescue_event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rescue_events.id"))
    track: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(24))
    # The stage left for a side exit (absconded), to return to.
    stage_before_exit: Mapped[str | None] = mapped_column(String(24))
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    competent_authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    rescue_state: Mapped[str] = mapped_column(String(5))
    current_state: Mapped[str | None] = mapped_column(String(5))
    current_district: Mapped[str | None] = mapped_column(String(100))
    home_state: Mapped[str | None] = mapped_column(String(5))
    home_district: Mapped[str | None] = mapped_column(String(100))
    home_country: Mapped[str] = mapped_column(String(2), default="IN")
    village_tracing: Mapped[str] = mapped_column(String(10), default="unknown")
    flag_trafficker_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_family_complicity: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_possible_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    references: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sex: Mapped[str] = mapped_column(String(32), default="Unknown")
    age_claimed: Mapped[int | None] = mapped_column(Integer)
    age_determined: Mapped[int | None] = mapped_column(Integer)
    age_basis: Mapped[str | None] = mapped_column(String(20))
    nationality: Mapped[str] = mapped_column(String(2), default="IN")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    disability: Mapped[str | None] = mapped_column(String(200))
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    trafficking_context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where she is now: `safety` data, a vault ciphertext.
    placement: Mapped[str | None] = mapped_column(Text)
    # The shelter named by the current placement order (the `placement` relation; `safety` data).
    placement_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    # The production report (DOMAIN.md section 2, JJ s.31 / ITPA s.15).
    produced_at: Mapped[datetime | None]
    producing_agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"))
    journey_hours: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closure_reason: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseExploitation(Base):
    """One exploitation type of a case (a row each, so lists filter on an index on both databases)."""

    __tablename__ = "case_exploitation_types"
    __table_args__ = (Index("ix_case_exploitation_types_type", "type"),)

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(20), primary_key=True)


class CaseAssignee(Base):
    __tablename__ = "case_assignees"
    __table_args__ = (Index("ix_case_assignees_user_id", "user_id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityRecord(Base):
    """Who she is: every column a vault ciphertext bound to this row and column."""

    __tablename__ = "identity_records"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    names: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[str | None] = mapped_column(Text)
    photo_ref: Mapped[str | None] = mapped_column(Text)
    family_names: Mapped[str | None] = mapped_column(Text)
    home_address: Mapped[str | None] = mapped_column(Text)
    home_village: Mapped[str | None] = mapped_column(Text)
    present_address: Mapped[str | None] = mapped_column(Text)
    school: Mapped[str | None] = mapped_column(Text)
    phones: Mapped[str | None] = mapped_column(Text)
    id_numbers: Mapped[str | None] = mapped_column(Text)
    bank_details: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlindIndex(Base):
    """A keyed hash of one normalised search term (name, date of birth or phone) of a case."""

    __tablename__ = "identity_blind_indexes"
    __table_args__ = (Index("ix_identity_blind_indexes_kind_digest", "kind", "digest"),)

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # name | dob | phone
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16))


class CaseNote(Base):
    """A note on a case. Its body is plaintext only for class ``general``; otherwise a vault
    ciphertext bound to this row."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id_created_at", "case_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    sensitivity: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID]
    author_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseReport(Base):
    """A fact reported about her that moves the case's stage (DOMAIN.md section 2): she
    absconded, she returned, she died. Who reported it, when it happened and when it was
    entered; ``details`` never carries identity."""

    __tablename__ = "case_reports"
    __table_args__ = (Index("ix_case_reports_case_id_occurred_at", "case_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str] = mapped_column(String(24))
    to_stage: Mapped[str] = mapped_column(String(24))
    reported_by: Mapped[uuid.UUID]
    reported_by_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
