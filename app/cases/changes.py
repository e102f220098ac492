"""Changing a case: the owner's merge patch, assigning staff, and the production report (the first
act that moves the stage). Every change is a conditional UPDATE on the case's version, so of two
concurrent changes from one read exactly one applies, and each writes one audit event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.aftercare.policy import aftercare_actions
from app.agencies.models import Agency
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.permissions import POLICE_AGENCY_TYPES, AgencyType, Permission, Role
from app.auth.principal import Principal
from app.cases.models import Case, CaseAssignee, CaseExploitation
from app.cases.report_policy import HOLDERS, report_actions
from app.cases.schemas import AssigneesSet, CaseUpdate, ProductionReport
from app.cases.service import get_case_row
from app.cases.vocab import Stage, Track
from app.concurrency import stale
from app.deadlines import service as deadlines
from app.errors import Problem
from app.runtime import Runtime
from app.users.models import User, UserRole

_STAFF_ROLES = {Role.CASEWORKER.value, Role.SUPERVISOR.value, Role.POLICE_OFFICER.value}


def allowed_actions(principal: Principal, case: Case, relations: set[str]) -> list[str]:
    """What this principal may do to the case now (for 409 answers)."""
    actions = []
    if "owner" in relations and principal.can(Permission.CASES_UPDATE):
        actions.append("update")
    if (
        "owner" in relations
        and principal.can(Permission.CASES_ASSIGN)
        and Role.SUPERVISOR in principal.roles
    ):
        actions.append("assign")
    if (
        relations & {"owner", "rescue_party"}
        and principal.can(Permission.CASES_PRODUCE)
        and case.stage == Stage.RESCUED.value
    ):
        actions.append("production-report")
    if relations & HOLDERS and principal.can(Permission.CASES_REPORT):
        actions += report_actions(Stage(case.stage))
    if principal.can(Permission.AFTERCARE_RECORD):
        actions += aftercare_actions(Track(case.track), Stage(case.stage), relations)
    return actions


async def _write(
    session: AsyncSession, case: Case, expected_version: int, values: dict[str, Any], now: datetime
) -> None:
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.version == expected_version)
        .values(**values, version=expected_version + 1, updated_at=now)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise stale()


async def write_or_conflict(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    relations: set[str],
    values: dict[str, Any],
    now: datetime,
) -> None:
    """For acts the client sent no If-Match for: a concurrent change that won is a 409 (with what
    the caller may do now), not a 412 about a version it never named."""
    try:
        await _write(session, case, case.version, values, now)
    except Problem as exc:
        if exc.status_code != 412:
            raise
        await session.refresh(case)
        raise Problem(
            409,
            "The case changed at the same moment; read it again.",
            allowed_actions=allowed_actions(principal, case, relations),
        ) from exc


async def update_case(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    patch: CaseUpdate,
    expected_version: int,
) -> Case:
    """Apply the owner's merge patch to the version it read."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    if "owner" not in relations:
        raise Problem(403, "Only the owning agency records changes to a case.")
    if case.version != expected_version:
        raise stale()
    ref = ObjectRef("case", case.id)
    values: dict[str, Any] = {}
    changes: list[Change] = []
    sent = patch.model_dump(exclude_unset=True, mode="json")
    for field in ("current_district", "home_state", "home_district", "village_tracing", "sex",
                  "age_claimed", "languages", "disability", "trafficking_context"):  # fmt: skip
        if field in sent:
            values[field] = sent[field] if sent[field] is not None or field != "languages" else []
    for field, default in (("home_country", "IN"), ("nationality", "IN"), ("interpreter_needed", False)):
        if field in sent:
            values[field] = sent[field] if sent[field] is not None else default
    if "trafficking_context" in sent and sent["trafficking_context"] is None:
        values["trafficking_context"] = {}
    for flag, value in (sent.get("flags") or {}).items():
        if value is not None:
            values[f"flag_{flag}"] = value
    clearing = values.get("flag_family_complicity") is False and case.flag_family_complicity
    if clearing and principal.agency_type not in POLICE_AGENCY_TYPES:
        # The flag keeps the home address from everyone but the authority and the police; the
        # agency it restricts must not be able to lift it itself.
        raise Problem(
            403, "Only the police or the authority seized of the case clear family complicity."
        )
    if "references" in sent:
        merged = dict(case.references)
        for key, value in (sent["references"] or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        values["references"] = merged
    if "placement" in sent:
        context = runtime.cipher.context("cases", case.id, "placement")
        values["placement"] = (
            None if sent["placement"] is None else runtime.cipher.encrypt(sent["placement"], context)
        )
        changes.append(Change(ref, "placement", sent["placement"], "(previous)"))
    for field, value in values.items():
        if field != "placement" and getattr(case, field) != value:
            changes.append(Change(ref, field, value, getattr(case, field)))
    if "exploitation_types" in sent and sent["exploitation_types"] is not None:
        types = sorted(set(sent["exploitation_types"]))
        await session.execute(delete(CaseExploitation).where(CaseExploitation.case_id == case.id))
        await session.execute(insert(CaseExploitation), [{"case_id": case.id, "type": t} for t in types])
        changes.append(Change(ref, "exploitation_types", types))
    await _write(session, case, expected_version, values, runtime.now())
    await record_event(session, Actor.of(principal), "case.updated", [ref], changes, case_id=case.id)
    await session.refresh(case)
    return case


async def set_assignees(
    session: AsyncSession, runtime: Runtime, principal: Principal, case_id: uuid.UUID, data: AssigneesSet
) -> Case:
    """The owner's supervisor names the staff who work the case (and so may read its identity)."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    if "owner" not in relations or Role.SUPERVISOR not in principal.roles:
        raise Problem(403, "Only a supervisor of the owning agency assigns a case.")
    wanted = sorted(set(data.user_ids))
    if wanted:
        found = await session.execute(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.id.in_(wanted),
                User.agency_id == case.owner_agency_id,
                User.active.is_(True),
                UserRole.role.in_(_STAFF_ROLES),
            )
        )
        if set(found.scalars()) != set(wanted):
            raise Problem(
                422,
                "Assignees must be active staff of the owning agency.",
                errors=[{"loc": ["body", "user_ids"], "type": "not_staff", "msg": "Invalid"}],
            )
    before = sorted(
        (
            await session.execute(select(CaseAssignee.user_id).where(CaseAssignee.case_id == case.id))
        ).scalars()
    )
    await session.execute(delete(CaseAssignee).where(CaseAssignee.case_id == case.id))
    if wanted:
        now = runtime.now()
        await session.execute(
            insert(CaseAssignee),
            [{"case_id": case.id, "user_id": u, "assigned_at": now} for u in wanted],
        )
    await write_or_conflict(session, principal, case, relations, {}, runtime.now())
    ref = ObjectRef("case", case.id)
    await record_event(
        session,
        Actor.of(principal),
        "case.assignees_set",
        [ref, *[ObjectRef("user", u) for u in wanted]],
        [Change(ref, "assignees", [str(u) for u in wanted], [str(u) for u in before])],
        case_id=case.id,
    )
    await session.refresh(case)
    return case


async def report_production(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: ProductionReport,
) -> Case:
    """The production report moves ``rescued`` to ``produced`` and seizes the named CWC (child) or
    Magistrate (adult) of the case (JJ s.31: within 24 hours excluding the journey; ITPA s.15)."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    if not relations & {"owner", "rescue_party"}:
        raise Problem(403, "The production report is made by the agency holding the victim.")
    if data.occurred_at > runtime.now() or data.occurred_at < case.opened_at:
        raise Problem(
            422,
            "The production happened after the rescue and not in the future.",
            errors=[{"loc": ["body", "occurred_at"], "type": "out_of_range", "msg": "Out of range"}],
        )
    wanted = AgencyType.CWC if case.track == Track.CHILD.value else AgencyType.MAGISTRATE
    authority = (
        await session.execute(
            select(Agency).where(
                Agency.id == data.authority_id, Agency.type == wanted.value, Agency.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if authority is None:
        raise Problem(
            422,
            f"A {case.track} is produced before an active {wanted.value} agency.",
            errors=[{"loc": ["body", "authority_id"], "type": "wrong_authority", "msg": "Invalid"}],
        )
    if case.stage != Stage.RESCUED.value:
        raise Problem(
            409,
            f"The case is {case.stage}; it was produced already.",
            allowed_actions=allowed_actions(principal, case, relations),
        )
    await write_or_conflict(
        session,
        principal,
        case,
        relations,
        {
            "stage": Stage.PRODUCED.value,
            "competent_authority_id": authority.id,
            "produced_at": data.occurred_at,
            "producing_agency_id": principal.agency_id,
            "journey_hours": data.journey_hours,
        },
        runtime.now(),
    )
    if case.track == Track.CHILD.value:
        # JJ s.31 excludes the journey from the 24 hours; the inquiry's four months (s.36(4))
        # run from this first production, owed by the CWC holding the case.
        await deadlines.extend(session, case.id, "JJ31_PRODUCTION", data.journey_hours)
        await deadlines.meet(session, case.id, ["JJ31_PRODUCTION"], data.occurred_at)
        await deadlines.start(
            session, runtime.settings, case.id, "JJ36_FINAL_ORDER", data.occurred_at,
            authority.id, ("case", case.id),
        )  # fmt: skip
    ref = ObjectRef("case", case.id)
    await record_event(
        session,
        Actor.of(principal),
        "case.produced",
        [ref, ObjectRef("agency", authority.id)],
        [
            Change(ref, "stage", Stage.PRODUCED.value, Stage.RESCUED.value),
            Change(ref, "competent_authority_id", str(authority.id)),
            Change(ref, "produced_at", data.occurred_at.isoformat()),
            Change(ref, "journey_hours", data.journey_hours),
        ],
        case_id=case.id,
    )
    await session.refresh(case)
    return case
