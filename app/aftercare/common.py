"""What the aftercare records share: who may write them (a relation to the case), who may read
them (the case's field set), and the checks on when an act happened."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import field_set
from app.auth.principal import Principal
from app.cases.models import Case
from app.cases.service import CaseView, get_case_row, get_case_view
from app.errors import Problem, invalid_field


def not_in_future(occurred_at: datetime | None, now: datetime) -> datetime:
    """A request error that needs no object (answered before the case is looked up)."""
    if occurred_at is not None and occurred_at > now:
        raise invalid_field("occurred_at", "in_future", "An act cannot have happened in the future.")
    return occurred_at or now


def after_rescue(case: Case, occurred_at: datetime) -> None:
    if occurred_at < case.opened_at:
        raise invalid_field("occurred_at", "before_rescue", "An act on a case comes after her rescue.")


async def case_for_writing(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    writers: frozenset[str],
    what: str,
) -> tuple[Case, set[str]]:
    """The case loaded to change, for a caller holding one of ``writers``: 404 when the case is
    not visible, 403 when it is but through no relation that records ``what``."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    if not relations & writers:
        raise Problem(403, f"{what} are recorded by the agency holding her.")
    return case, relations


async def case_for_reading(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, group: str
) -> tuple[CaseView, frozenset[str]]:
    """A visible case whose field set holds ``group`` (403 for one seen without it), and the
    caller's case fields."""
    view = await get_case_view(session, principal, case_id)
    allowed = field_set(
        principal, view.relations, assigned=view.assigned, family_complicity=view.family_complicity
    )
    if group not in allowed.case_fields:
        raise Problem(403, "Your relation to the case does not read its aftercare records.")
    return view, allowed.case_fields
