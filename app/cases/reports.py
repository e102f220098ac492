"""Stage reports (DOMAIN.md section 2): the agency holding her reports that she absconded, that
she returned (the case goes back to the stage she left), or that she died. Each is one conditional
UPDATE of the case with its report row and audit event; a report that raced another change of the
case is a 409 and nothing of it is kept."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.principal import Principal
from app.cases.changes import allowed_actions, write_or_conflict
from app.cases.models import Case, CaseReport
from app.cases.report_policy import EVENTS, FROM_STAGES, HOLDERS, ReportKind
from app.cases.schemas import StageReport
from app.cases.service import get_case_row
from app.cases.vocab import Stage
from app.errors import Problem
from app.runtime import Runtime


async def report(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    kind: ReportKind,
    data: StageReport,
) -> Case:
    """Record the report and move the case: ``absconded`` keeps the stage she left, to which
    ``returned`` puts her back; ``deceased`` is final (a closure order closes the case)."""
    now = runtime.now()
    if data.occurred_at > now:
        raise Problem(
            422,
            "A report cannot be of something that has not happened yet.",
            errors=[{"loc": ["body", "occurred_at"], "type": "in_future", "msg": "In the future"}],
        )
    case, relations, _ = await get_case_row(session, principal, case_id)
    if not relations & HOLDERS:
        raise Problem(403, "Stage reports are made by the agency holding her.")
    stage = Stage(case.stage)
    if stage not in FROM_STAGES[kind]:
        raise Problem(
            409,
            f"The case is {stage.value}; a {kind.value} report is not made now.",
            allowed_actions=allowed_actions(principal, case, relations),
        )
    if data.occurred_at < case.opened_at:
        raise Problem(
            422,
            "A report is of something after the rescue.",
            errors=[{"loc": ["body", "occurred_at"], "type": "before_rescue", "msg": "Too early"}],
        )
    values: dict[str, str | None]
    if kind is ReportKind.ABSCONDED:
        values = {"stage": Stage.ABSCONDED.value, "stage_before_exit": stage.value}
    elif kind is ReportKind.RETURNED:
        values = {"stage": case.stage_before_exit or Stage.PRODUCED.value, "stage_before_exit": None}
    else:
        values = {"stage": Stage.DECEASED.value}
    target = str(values["stage"])
    await write_or_conflict(session, principal, case, relations, values, now)
    row = CaseReport(
        id=uuid.uuid4(),
        case_id=case.id,
        kind=kind.value,
        from_stage=stage.value,
        to_stage=target,
        reported_by=principal.id,
        reported_by_agency_id=principal.agency_id,
        details={"circumstances": data.circumstances},
        occurred_at=data.occurred_at,
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    ref = ObjectRef("case", case.id)
    await record_event(
        session,
        Actor.of(principal),
        EVENTS[kind],
        [ref, ObjectRef("case_report", row.id)],
        [Change(ref, "stage", target, stage.value)],
        case_id=case.id,
    )
    await session.refresh(case)
    return case
