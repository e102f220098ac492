"""A referral's writes as single PostgreSQL statements (data-modifying CTEs, which SQLite does not
have), run on the driver (``app.driver``) while the request has begun no transaction: an
action's guarded UPDATE with its act and its audit event (``move_statement``), and the common
accept read, checked and written at once (``accept_at_once``). Elsewhere, and on SQLite, the
same writes go through the request's session (``app.referrals.service``).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    update,
)

from app.access.cases import Shape
from app.access.referrals import sides_of
from app.audit.models import AuditEvent
from app.auth.current import principal_is_current_for
from app.cases.vocab import Track
from app.db import AnySelect
from app.referrals.models import Referral, ReferralAct
from app.referrals.policy import HOME_VERIFIABLE, NOT_OPEN, ReferralType, Side, Status
from app.referrals.statements import REFERRED_CASE, with_acts, with_sides


@functools.cache
def move_statement(names: tuple[str, ...]) -> AnySelect:
    """An action's writes as one PostgreSQL statement: the guarded UPDATE, and the act and the
    audit event inserted only if it hit (data-modifying CTEs run whether or not the query reads
    them). Its answer is the number of referrals moved, 0 or 1. One statement per set of
    changed columns, its values bound (``m_`` the guard, ``v_`` the new values, ``a_`` the act,
    ``e_`` the event)."""
    referrals: Table = Referral.__table__  # type: ignore[assignment]
    moved = (
        update(referrals)
        .where(
            referrals.c.id == bindparam("m_id", type_=Uuid()),
            referrals.c.status == bindparam("m_status", type_=String()),
            referrals.c.version == bindparam("m_version", type_=Integer()),
        )
        .values({name: bindparam(f"v_{name}", type_=referrals.c[name].type) for name in names})
        .returning(referrals.c.id)
        .cte("moved")
    )
    hit = exists(select(moved.c.id))
    act = _insert_if(ReferralAct.__table__, "a_", hit).cte("act")
    event = _insert_if(AuditEvent.__table__, "e_", hit).cte("event")
    return select(func.count().label("moved")).select_from(moved).add_cte(act, event)


def _insert_if(
    table: Any,
    prefix: str,
    condition: ColumnElement[bool] | None = None,
    taken: dict[str, Any] | None = None,
) -> Any:
    """INSERT one row of ``table``: its columns bound (``prefix`` and the column's name), but
    those ``taken`` from other expressions (whose tables the row is then selected from); only
    if ``condition`` holds, when one is given."""
    columns = list(table.c)
    taken = taken or {}
    row = select(*[taken.get(c.name, bindparam(f"{prefix}{c.name}", type_=c.type)) for c in columns])
    if condition is not None:
        row = row.where(condition)
    return insert(table).from_select([c.name for c in columns], row)


def _accepted_at_once() -> list[ColumnElement[bool]]:
    """What an accept needs of the referral and its case, besides being visible and the caller
    its receiving side: still requested, its case open, no case to move with it (an adult's home
    verification from custody moves her case: that accept takes the read-then-write path, which
    reads the case in the request's transaction), and no act after the one it records."""
    later_act = exists(
        select(ReferralAct.id).where(
            ReferralAct.referral_id == Referral.id,
            ReferralAct.occurred_at > bindparam("m_occurred_at", type_=ReferralAct.occurred_at.type),
        )
    )
    moves_case = and_(
        Referral.type == ReferralType.HOME_VERIFICATION.value,
        REFERRED_CASE.track == Track.ADULT.value,
        or_(*[REFERRED_CASE.stage == stage.value for stage in sorted(HOME_VERIFIABLE)]),
    )
    return [
        Referral.status == Status.REQUESTED.value,
        *[REFERRED_CASE.stage != stage.value for stage in sorted(NOT_OPEN)],
        not_(moves_case),
        not_(later_act),
    ]


@functools.cache
def accept_at_once(shape: Shape, if_match: bool) -> tuple[AnySelect, tuple[str, ...]]:
    """An accept that every check lets through, as one PostgreSQL statement: the read by id (with
    the token's currency check, the visibility predicate and the caller's sides) narrowed to the
    referrals this caller may accept now (``target``), the guarded UPDATE of that row, its act
    and its audit event (whose case comes from the row), and the referral as it was read, with
    its acts, as the answer. Every data-modifying CTE sees the statement's one snapshot, so the
    acts read are those before this one.

    No row, or ``moved`` 0, means nothing was written: some check did not pass (or another
    action won the row between the read and the UPDATE), and the caller takes the read-then-
    write path, which names the reason in the order of DOMAIN.md section 5. Parameters: the
    caller's (``current_params``), ``referral_id``, ``m_version`` (with ``if_match``),
    ``m_occurred_at``, ``v_status``, ``v_updated_at``, the act's ``a_`` and the event's ``e_``
    (all but its case and objects). Only for a shape that can stand on the receiving side."""
    statement, names = with_sides(shape)
    conditions = [
        Referral.id == bindparam("referral_id", type_=Uuid()),
        sides_of(shape)[Side.RECEIVING],
        principal_is_current_for(shape.kind),
        *_accepted_at_once(),
    ]
    if if_match:
        conditions.append(Referral.version == bindparam("m_version", type_=Integer()))
    target = statement.where(*conditions).cte("target")

    referrals: Table = Referral.__table__  # type: ignore[assignment]
    moved = (
        update(referrals)
        .where(
            referrals.c.id == target.c.id,
            referrals.c.status == target.c.status,
            referrals.c.version == target.c.version,
        )
        .values(
            status=bindparam("v_status", type_=String()),
            version=target.c.version + 1,
            updated_at=bindparam("v_updated_at", type_=referrals.c.updated_at.type),
        )
        .returning(referrals.c.id, referrals.c.case_id)
        .cte("moved")
    )
    act = _insert_if(ReferralAct.__table__, "a_", exists(select(moved.c.id))).cte("act")

    # The event's case and objects come from the moved row (the request names only the
    # referral): the objects ``app.referrals.service._objects`` names, in the text the session's
    # JSON serialiser writes (the column keeps its text), so that a row is the same either way.
    objects = cast(
        func.format(
            literal_column("""'[{"type": "referral", "id": "%s"}, {"type": "case", "id": "%s"}]'"""),
            moved.c.id,
            moved.c.case_id,
        ),
        JSON,
    )
    # One row per moved referral (none if it did not move): selected from ``moved``.
    taken = {"case_id": moved.c.case_id, "objects": objects}
    event = _insert_if(AuditEvent.__table__, "e_", taken=taken).cte("event")

    moved_count = select(func.count()).select_from(moved).scalar_subquery().label("moved")
    answer = with_acts(select(*target.c, moved_count).select_from(target), target.c.id)
    return answer.add_cte(act, event), names
