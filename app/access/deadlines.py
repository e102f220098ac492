"""Which deadlines a caller sees (DOMAIN.md section 7): those of cases it sees through a relation
whose field set holds ``deadlines``, and those its own agency owes on a case it sees. One SQL
predicate, used by the list and its filters alike."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select

from app.access.binds import caller_agency
from app.access.cases import FIELD_SETS, relation_columns, visible_cases
from app.auth.principal import Principal
from app.cases.models import Case
from app.deadlines.models import Deadline
from app.deadlines.status import status_sql


def visible_deadlines(principal: Principal) -> ColumnElement[bool]:
    holders = [
        clause
        for name, clause in relation_columns(principal).items()
        if "deadlines" in FIELD_SETS[name].case_fields
    ]
    owed = and_(Deadline.owed_by_agency_id == caller_agency(), visible_cases(principal))
    condition = or_(*holders, owed) if holders else owed
    return exists(select(Case.id).where(Case.id == Deadline.case_id, condition))


# The case has a deadline overdue at the request's clock (the case list's ``overdue`` filter).
HAS_OVERDUE_DEADLINE = exists(
    select(Deadline.id).where(Deadline.case_id == Case.id, status_sql() == "overdue")
)
