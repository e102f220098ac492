"""Follow-up visits (DOMAIN.md sections 2 and 7): scheduled by the final order that sent her home
(the FOLLOW_UP_VISIT deadlines), done by the agency holding her case at home, with findings and a
risk reassessment. The first visit moves the case to ``follow_up``; each meets the earliest open
visit of the schedule."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.aftercare import schemas
from app.aftercare.common import (
    after_rescue,
    case_for_reading,
    case_for_writing,
)
from app.aftercare.models import FollowUpVisit
from app.aftercare.policy import VISIT_STAGES, VISITORS, first_visit_moves
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.principal import Principal
from app.cases.changes import allowed_actions, write_or_conflict
from app.cases.vocab import Stage, Track
from app.deadlines import service as deadlines
from app.deadlines.models import Deadline
from app.deadlines.status import status_of
from app.errors import Problem, invalid_field, not_found
from app.runtime import Runtime

FINDINGS = "aftercare_findings"


async def record_visit(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: schemas.VisitCreate,
    occurred_at: datetime,
) -> FollowUpVisit:
    """Record a visit done (``occurred_at`` already checked not to be in the future)."""
    now = runtime.now()
    case, relations = await case_for_writing(session, principal, case_id, VISITORS, "Follow-up visits")
    stage = Stage(case.stage)
    if stage not in VISIT_STAGES[Track(case.track)]:
        raise Problem(
            409,
            f"The case is {stage.value}; follow-up visits begin after the final order at home.",
            allowed_actions=allowed_actions(principal, case, relations),
        )
    after_rescue(case, occurred_at)
    last = (
        await session.execute(
            select(func.max(FollowUpVisit.number), func.max(FollowUpVisit.occurred_at)).where(
                FollowUpVisit.case_id == case.id
            )
        )
    ).one()
    if last[1] is not None and occurred_at < last[1]:
        raise invalid_field("occurred_at", "out_of_order", "A visit cannot precede the one before it.")
    visit = FollowUpVisit(
        id=uuid.uuid4(),
        case_id=case.id,
        number=(last[0] or 0) + 1,
        visited_by=principal.id,
        visited_by_agency_id=principal.agency_id,
        findings=data.findings,
        risk_level=data.risk_level.value,
        risk_factors=list(data.risk_factors),
        recommendation=data.recommendation.value,
        occurred_at=occurred_at,
        recorded_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(visit)
            await session.flush()
    except IntegrityError as exc:
        raise Problem(
            409,
            "Another visit was recorded at the same moment; read the visits again.",
            allowed_actions=allowed_actions(principal, case, relations),
        ) from exc
    ref = ObjectRef("case", case.id)
    changes = [Change(ref, "follow_up_visits", visit.number)]
    if first_visit_moves(stage):
        await write_or_conflict(
            session, principal, case, relations, {"stage": Stage.FOLLOW_UP.value}, now
        )
        changes.append(Change(ref, "stage", Stage.FOLLOW_UP.value, stage.value))
    await deadlines.meet_next(session, case.id, "FOLLOW_UP_VISIT", occurred_at)
    await record_event(
        session,
        Actor.of(principal),
        "case.follow_up_visit",
        [ref, ObjectRef("follow_up_visit", visit.id)],
        changes,
        case_id=case.id,
    )
    return visit


def to_read(visit: FollowUpVisit, *, findings: bool) -> schemas.VisitRead:
    return schemas.VisitRead(
        id=visit.id,
        case_id=visit.case_id,
        number=visit.number,
        visited_by_agency_id=visit.visited_by_agency_id,
        findings=visit.findings if findings else None,
        risk_level=visit.risk_level,
        risk_factors=list(visit.risk_factors),
        recommendation=visit.recommendation,
        occurred_at=visit.occurred_at,
        recorded_at=visit.recorded_at,
    )


async def list_visits(
    session: AsyncSession, runtime: Runtime, principal: Principal, case_id: uuid.UUID
) -> schemas.VisitList:
    """The visits done, oldest first, and the schedule with each visit's status now."""
    view, fields = await case_for_reading(session, principal, case_id, "aftercare")
    visits = (
        await session.execute(
            select(FollowUpVisit).where(FollowUpVisit.case_id == view.id).order_by(FollowUpVisit.number)
        )
    ).scalars()
    scheduled = (
        await session.execute(
            select(Deadline)
            .where(Deadline.case_id == view.id, Deadline.rule_id == "FOLLOW_UP_VISIT")
            .order_by(Deadline.started_at, Deadline.occurrence)
        )
    ).scalars()
    now = runtime.now()
    return schemas.VisitList(
        items=[to_read(v, findings=FINDINGS in fields) for v in visits],
        schedule=[
            schemas.ScheduledVisit(number=d.occurrence, due_at=d.due_at, status=status_of(d, now))
            for d in scheduled
            if d.waived_reason is None
        ],
    )


async def visit_receipt(
    session: AsyncSession, runtime: Runtime, principal: Principal, visit_id: uuid.UUID
) -> schemas.VisitRead:
    """One visit, for a caller who reads its case's visits (a replayed POST); else 404."""
    case_id = (
        await session.execute(select(FollowUpVisit.case_id).where(FollowUpVisit.id == visit_id))
    ).scalar_one_or_none()
    if case_id is None:
        raise not_found("follow-up visit")
    try:
        found = await list_visits(session, runtime, principal, case_id)
    except Problem as exc:
        raise not_found("follow-up visit") from exc
    return next(v for v in found.items if v.id == visit_id)
