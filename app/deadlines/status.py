"""A deadline's status, computed against a clock (DOMAIN.md section 7): ``waived`` (with a
reason), ``met``, ``met_late``, ``overdue``, or ``open``. A window (informational) is never
overdue: once it has passed it reads ``met``. One SQL expression, so that a list filters on the
same rule it shows; ``status_of`` is its Python twin (a test checks that they agree)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case

from app.access.binds import caller_now
from app.deadlines.models import Deadline

STATUSES = ("open", "overdue", "met", "met_late", "waived")


def status_sql() -> ColumnElement[str]:
    return case(
        (Deadline.waived_reason.is_not(None), "waived"),
        (and_(Deadline.met_at.is_not(None), Deadline.met_at <= Deadline.due_at), "met"),
        (Deadline.met_at.is_not(None), "met_late"),
        (Deadline.due_at >= caller_now(), "open"),
        (Deadline.informational.is_(True), "met"),
        else_="overdue",
    )


def status_of(deadline: Deadline, now: datetime) -> str:
    if deadline.waived_reason is not None:
        return "waived"
    if deadline.met_at is not None:
        return "met" if deadline.met_at <= deadline.due_at else "met_late"
    if deadline.due_at >= now:
        return "open"
    return "met" if deadline.informational else "overdue"
