"""Rehabilitation services (DOMAIN.md section 1): what she is given (a place to stay, counselling,
medical care, schooling, training, livelihood, legal aid, documents), under which scheme, by whom,
from when to when. Recorded by the agency holding her or the shelter she is in.

An adult whose home is in the district where she is needs no transfer: the first service
recorded after the Magistrate's order moves her case to ``rehabilitation`` (DOMAIN.md section 2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.aftercare import schemas
from app.aftercare.common import after_rescue, case_for_reading, case_for_writing
from app.aftercare.models import RehabilitationService
from app.aftercare.policy import RECORDERS, SERVICE_STAGES, ServiceStatus, starts_rehabilitation
from app.agencies.models import Agency
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.principal import Principal
from app.cases.changes import allowed_actions, write_or_conflict
from app.cases.vocab import Stage, Track
from app.errors import Problem, invalid_field, not_found
from app.runtime import Runtime

_WHAT = "Rehabilitation services"


async def _active_agency(session: AsyncSession, agency_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(Agency.id).where(Agency.id == agency_id, Agency.active.is_(True))
    )
    return found.scalar() is not None


async def start_service(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: schemas.ServiceCreate,
    occurred_at: datetime,
) -> RehabilitationService:
    now = runtime.now()
    case, relations = await case_for_writing(session, principal, case_id, RECORDERS, _WHAT)
    stage = Stage(case.stage)
    if stage not in SERVICE_STAGES:
        raise Problem(
            409,
            f"The case is {stage.value}; services are recorded while she is in care.",
            allowed_actions=allowed_actions(principal, case, relations),
        )
    after_rescue(case, occurred_at)
    if data.provider_agency_id is not None and not await _active_agency(
        session, data.provider_agency_id
    ):
        raise invalid_field("provider_agency_id", "unknown_agency", "No such active agency.")
    row = RehabilitationService(
        id=uuid.uuid4(),
        case_id=case.id,
        type=data.type.value,
        scheme=data.scheme,
        provider_agency_id=data.provider_agency_id,
        status=ServiceStatus.ONGOING.value,
        notes=data.notes,
        started_at=occurred_at,
        recorded_by=principal.id,
        recorded_by_agency_id=principal.agency_id,
        version=1,
        recorded_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    ref = ObjectRef("rehabilitation_service", row.id)
    changes = [Change(ref, "type", row.type), Change(ref, "status", row.status)]
    home = (case.home_state, case.home_district)
    here = (case.current_state, case.current_district)
    if starts_rehabilitation(Track(case.track), stage, home, here):
        await write_or_conflict(
            session, principal, case, relations, {"stage": Stage.REHABILITATION.value}, now
        )
        changes.append(
            Change(ObjectRef("case", case.id), "stage", Stage.REHABILITATION.value, stage.value)
        )
    await record_event(
        session,
        Actor.of(principal),
        "case.service_started",
        [ObjectRef("case", case.id), ref],
        changes,
        case_id=case.id,
    )
    return row


def check_end(data: schemas.ServiceEnd) -> None:
    """A request error: a service ends completed or discontinued."""
    if data.status is ServiceStatus.ONGOING:
        raise invalid_field("status", "not_an_end", "A service ends completed or discontinued.")


async def end_service(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    service_id: uuid.UUID,
    data: schemas.ServiceEnd,
    occurred_at: datetime,
    expected: int | None,
) -> RehabilitationService:
    """End an ongoing service, completed or discontinued (404 for a service not of this visible
    case, 403 for a caller that does not record services, 412 stale If-Match, 409 ended)."""
    now = runtime.now()
    case, _ = await case_for_writing(session, principal, case_id, RECORDERS, _WHAT)
    row = (
        await session.execute(
            select(RehabilitationService).where(
                RehabilitationService.id == service_id, RehabilitationService.case_id == case.id
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise not_found("rehabilitation service")
    if expected is not None and expected != row.version:
        raise Problem(412, "The service changed since you read it; read it again and retry.")
    if row.status != ServiceStatus.ONGOING.value:
        raise Problem(409, f"The service is {row.status} already.", allowed_actions=[])
    if occurred_at < row.started_at:
        raise invalid_field("occurred_at", "out_of_order", "A service ends after it began.")
    before = row.status
    result = await session.execute(
        update(RehabilitationService)
        .where(
            RehabilitationService.id == row.id,
            RehabilitationService.version == row.version,
            RehabilitationService.status == ServiceStatus.ONGOING.value,
        )
        .values(
            status=data.status.value,
            outcome=data.outcome,
            ended_at=occurred_at,
            version=row.version + 1,
            updated_at=now,
        )
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Problem(409, "Someone ended the service at the same moment.", allowed_actions=[])
    ref = ObjectRef("rehabilitation_service", row.id)
    await record_event(
        session,
        Actor.of(principal),
        "case.service_ended",
        [ObjectRef("case", case.id), ref],
        [Change(ref, "status", data.status.value, before)],
        case_id=case.id,
    )
    await session.refresh(row)
    return row


def to_read(row: RehabilitationService, *, notes: bool) -> schemas.ServiceRead:
    return schemas.ServiceRead(
        id=row.id,
        case_id=row.case_id,
        type=row.type,
        scheme=row.scheme,
        provider_agency_id=row.provider_agency_id,
        status=row.status,
        notes=row.notes if notes else None,
        outcome=row.outcome if notes else None,
        started_at=row.started_at,
        ended_at=row.ended_at,
        recorded_by_agency_id=row.recorded_by_agency_id,
        version=row.version,
    )


async def list_services(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID
) -> list[schemas.ServiceRead]:
    view, fields = await case_for_reading(session, principal, case_id, "aftercare")
    rows = (
        await session.execute(
            select(RehabilitationService)
            .where(RehabilitationService.case_id == view.id)
            .order_by(RehabilitationService.started_at, RehabilitationService.id)
        )
    ).scalars()
    # What was written about her (notes, outcome) goes with the findings' field group.
    return [to_read(r, notes="aftercare_findings" in fields) for r in rows]


async def service_receipt(
    session: AsyncSession, principal: Principal, service_id: uuid.UUID
) -> schemas.ServiceRead:
    case_id = (
        await session.execute(
            select(RehabilitationService.case_id).where(RehabilitationService.id == service_id)
        )
    ).scalar_one_or_none()
    if case_id is None:
        raise not_found("rehabilitation service")
    try:
        found = await list_services(session, principal, case_id)
    except Problem as exc:
        raise not_found("rehabilitation service") from exc
    return next(s for s in found if s.id == service_id)
