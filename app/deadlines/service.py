"""Starting, meeting, waiving and moving deadlines, called by the acts that do so in the same
transaction; and listing them for a caller through ``app.access.deadlines``.

Deadlines run from the act's ``occurred_at`` (late entry shows as lateness, not a fresh clock);
their due dates are fixed when they start. When a case changes owner or authority its open
deadlines owed by the old holder move to the new one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Uuid, bindparam, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_agency
from app.access.deadlines import visible_deadlines
from app.auth.current import rows_checked
from app.auth.principal import Principal
from app.config import Settings
from app.db import AnySelect, UTCDateTime
from app.deadlines.models import Deadline
from app.deadlines.rules import RULES
from app.deadlines.status import status_sql
from app.pagination import decode_cursor, split_page

_OPEN = (Deadline.met_at.is_(None), Deadline.waived_reason.is_(None))


async def start(
    session: AsyncSession,
    settings: Settings,
    case_id: uuid.UUID,
    rule_id: str,
    started_at: datetime,
    owed_by: uuid.UUID | None,
    source: tuple[str, uuid.UUID],
    *,
    due: datetime | None = None,
) -> None:
    """Start the rule's deadline(s) for the case (``due``: when the caller has fixed it already,
    as a transfer does for its own escalation)."""
    rule = RULES[rule_id]
    dues = [due] if due is not None else rule.due(started_at, settings)
    await session.execute(
        insert(Deadline),
        [
            {
                "id": uuid.uuid4(),
                "case_id": case_id,
                "rule_id": rule.id,
                "occurrence": n,
                "source_type": source[0],
                "source_id": source[1],
                "owed_by_agency_id": owed_by,
                "informational": rule.informational,
                "started_at": started_at,
                "due_at": at,
            }
            for n, at in enumerate(dues, 1)
        ],
    )


async def meet(
    session: AsyncSession,
    case_id: uuid.UUID,
    rule_ids: Iterable[str],
    at: datetime,
    *,
    source_id: uuid.UUID | None = None,
) -> None:
    """The act that discharges these rules happened ``at``: their open deadlines are met (late,
    if ``at`` is past the due date; the status says which). ``source_id``: only those started by
    that object (one compensation claim's, when the case has several)."""
    conditions = [Deadline.case_id == case_id, Deadline.rule_id.in_(list(rule_ids)), *_OPEN]
    if source_id is not None:
        conditions.append(Deadline.source_id == source_id)
    await session.execute(update(Deadline).where(*conditions).values(met_at=at))


async def meet_next(session: AsyncSession, case_id: uuid.UUID, rule_id: str, at: datetime) -> None:
    """For a recurring rule: the earliest open occurrence is met."""
    found = await session.execute(
        select(Deadline.id)
        .where(Deadline.case_id == case_id, Deadline.rule_id == rule_id, *_OPEN)
        .order_by(Deadline.occurrence)
        .limit(1)
    )
    first = found.scalar()
    if first is not None:
        await session.execute(update(Deadline).where(Deadline.id == first).values(met_at=at))


async def extend(session: AsyncSession, case_id: uuid.UUID, rule_id: str, hours: int) -> None:
    """Add recorded time the law excludes (the journey, for production within 24 hours)."""
    for row in (
        await session.execute(
            select(Deadline.id, Deadline.due_at).where(
                Deadline.case_id == case_id, Deadline.rule_id == rule_id, *_OPEN
            )
        )
    ).all():
        await session.execute(
            update(Deadline)
            .where(Deadline.id == row.id)
            .values(due_at=row.due_at + timedelta(hours=hours))
        )


async def waive(
    session: AsyncSession,
    case_id: uuid.UUID,
    reason: str,
    *,
    source_id: uuid.UUID | None = None,
    except_rules: Iterable[str] = (),
) -> None:
    """The act a deadline waited for can no longer happen (the transfer ended, the case closed):
    its open deadlines are waived with the reason (``except_rules``: those that outlive it)."""
    conditions = [Deadline.case_id == case_id, *_OPEN]
    if source_id is not None:
        conditions.append(Deadline.source_id == source_id)
    kept = list(except_rules)
    if kept:
        conditions.append(Deadline.rule_id.not_in(kept))
    await session.execute(update(Deadline).where(*conditions).values(waived_reason=reason))


async def move_with_case(
    session: AsyncSession, case_id: uuid.UUID, holders: Mapping[uuid.UUID, uuid.UUID]
) -> None:
    """The case changed holder (old agency -> new): its open deadlines that move with the case
    are now owed by the new holder."""
    movable = [rule.id for rule in RULES.values() if rule.moves_with_case]
    for old, new in holders.items():
        if old == new:
            continue
        await session.execute(
            update(Deadline)
            .where(
                Deadline.case_id == case_id,
                Deadline.owed_by_agency_id == old,
                Deadline.rule_id.in_(movable),
                *_OPEN,
            )
            .values(owed_by_agency_id=new)
        )


def _page(principal: Principal, filters: frozenset[str], after: bool) -> AnySelect:
    status = status_sql().label("status")
    statement: AnySelect = select(*Deadline.__table__.c, status).where(visible_deadlines(principal))
    if "status" in filters:
        statement = statement.where(status_sql() == bindparam("status"))
    if "owed_by_me" in filters:
        statement = statement.where(Deadline.owed_by_agency_id == caller_agency())
    if "case_id" in filters:
        statement = statement.where(Deadline.case_id == bindparam("case_id", type_=Uuid()))
    if "rule_id" in filters:
        statement = statement.where(Deadline.rule_id == bindparam("rule_id"))
    if after:
        statement = statement.where(
            tuple_(Deadline.due_at, Deadline.id)
            > tuple_(bindparam("after_due", type_=UTCDateTime()), bindparam("after_id", type_=Uuid()))
        )
    return statement.order_by(Deadline.due_at, Deadline.id).limit(
        bindparam("page_size", type_=Integer())
    )


async def list_deadlines(
    session: AsyncSession,
    principal: Principal,
    filters: Mapping[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Deadlines of cases the caller sees with deadlines in its field set, or that its agency
    owes; soonest due first; status computed against the request's clock."""
    values = {k: v for k, v in filters.items() if v not in (None, False)}
    values.pop("owed_by_me", None)
    names = set(values) | ({"owed_by_me"} if filters.get("owed_by_me") else set())
    if cursor is not None:
        values["after_due"], values["after_id"] = decode_cursor(cursor, datetime, uuid.UUID)
    statement = _page(principal, frozenset(names), cursor is not None)
    rows = await rows_checked(session, principal, statement, {**values, "page_size": limit + 1})
    rows, next_cursor = split_page(
        rows, limit, lambda last: [last["due_at"].isoformat(), str(last["id"])]
    )
    return [_shape(row) for row in rows], next_cursor


_SHOWN = ("id", "case_id", "rule_id", "occurrence", "owed_by_agency_id", "informational",
          "started_at", "due_at", "met_at", "waived_reason", "status")  # fmt: skip


def _shape(row: Mapping[str, Any]) -> dict[str, Any]:
    rule = RULES[row["rule_id"]]
    return {
        **{name: row[name] for name in _SHOWN},
        "citation": rule.citation,
        "starts_at": rule.starts_at,
    }
