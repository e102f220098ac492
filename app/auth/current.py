"""Is an access token still good? Its session not revoked or expired, its user (or machine client)
and agency active, and the roles it carries unchanged (``authz_version``).

One SQL expression, so that it rides along in a statement the request runs anyway: the read that
finds the object acted on (``first_checked``, ``all_checked``). Only when that read finds nothing,
or a request reads nothing first, is it asked on its own: one lookup by primary key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.auth.models import AuthSession
from app.auth.principal import Principal
from app.clients.models import MachineClient
from app.db import AnySelect, utcnow
from app.errors import Problem
from app.users.models import User


def _current_clause(kind: str) -> ColumnElement[bool]:
    """The check as a statement with bind parameters, built once per principal kind: building
    SQL expressions per request costs more than running them (``current_params`` fills it)."""
    session_ok = (
        (AuthSession.id == bindparam("cur_sid"))
        & AuthSession.revoked_at.is_(None)
        & (AuthSession.expires_at > bindparam("cur_now"))
    )
    if kind == "user":
        return exists(
            select(AuthSession.id)
            .join(User, User.id == AuthSession.user_id)
            .join(Agency, Agency.id == User.agency_id)
            .where(
                session_ok,
                User.id == bindparam("cur_pid"),
                User.active.is_(True),
                User.authz_version == bindparam("cur_ver"),
                Agency.id == bindparam("cur_agy"),
                Agency.active.is_(True),
            )
        )
    return exists(
        select(AuthSession.id)
        .join(MachineClient, MachineClient.id == AuthSession.client_id)
        .join(Agency, Agency.id == MachineClient.agency_id)
        .where(
            session_ok,
            MachineClient.id == bindparam("cur_pid"),
            MachineClient.active.is_(True),
            MachineClient.authz_version == bindparam("cur_ver"),
            Agency.id == bindparam("cur_agy"),
            Agency.active.is_(True),
        )
    )


_CURRENT = {kind: _current_clause(kind) for kind in ("user", "client")}


def principal_is_current(principal: Principal) -> ColumnElement[bool]:
    """The check for this principal's kind; execute it with ``current_params``."""
    return _CURRENT[principal.kind]


def current_params(principal: Principal, now: datetime) -> dict[str, Any]:
    return {
        "cur_sid": principal.session_id,
        "cur_now": now,
        "cur_pid": principal.id,
        "cur_ver": principal.authz_version,
        "cur_agy": principal.agency_id,
    }


async def check_current(session: AsyncSession, principal: Principal, now: datetime) -> bool:
    result = await session.execute(
        select(principal_is_current(principal)), current_params(principal, now)
    )
    return bool(result.scalar())


CHECKED = "principal_checked"


def unauthorized(detail: str = "The access token is no longer valid.") -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def require_current(session: AsyncSession, principal: Principal, now: datetime) -> None:
    """Check in the request's transaction, before the handler acts; marks the session checked so the
    guard does not ask again."""
    if not await check_current(session, principal, now):
        raise unauthorized()
    session.info[CHECKED] = True


def already_checked(session: AsyncSession | None) -> bool:
    return session is not None and bool(session.info.get(CHECKED))


def _now(session: AsyncSession) -> datetime:
    clock = session.info.get(CLOCK)
    return clock() if callable(clock) else utcnow()


CLOCK = "clock"
T = TypeVar("T")


async def first_checked(session: AsyncSession, principal: Principal, statement: Select[T]) -> T | None:
    """The first row of ``statement`` with the currency check in the same SELECT. None means the
    object is absent or not visible (the caller answers 404); a stale token raises 401 first."""
    found = (
        (
            await session.execute(
                statement.where(principal_is_current(principal)),
                current_params(principal, _now(session)),
            )
        )
        .scalars()
        .first()
    )
    if found is None:
        await require_current(session, principal, _now(session))
        return None
    session.info[CHECKED] = True
    return found


async def all_checked(session: AsyncSession, principal: Principal, statement: Select[T]) -> list[T]:
    """Every row of ``statement``, the currency check riding along; an empty answer asks it alone."""
    rows = list(
        (
            await session.execute(
                statement.where(principal_is_current(principal)),
                current_params(principal, _now(session)),
            )
        ).scalars()
    )
    if not rows:
        await require_current(session, principal, _now(session))
    session.info[CHECKED] = True
    return rows


def decided_while_current(problem: Problem) -> Problem:
    """Mark an answer decided after ``require_current`` passed in a service's own transaction (for
    instance a lockout that then ended the session): the guard keeps it rather than saying 401."""
    problem.principal_checked = True  # type: ignore[attr-defined]
    return problem


async def first_row_checked(
    session: AsyncSession, principal: Principal, statement: AnySelect
) -> Row[Any] | None:
    """Like ``first_checked`` for a SELECT of several columns: the whole first row."""
    row: Row[Any] | None = (
        await session.execute(
            statement.where(principal_is_current(principal)), current_params(principal, _now(session))
        )
    ).first()
    if row is None:
        await require_current(session, principal, _now(session))
        return None
    session.info[CHECKED] = True
    return row


async def rows_checked(
    session: AsyncSession, principal: Principal, statement: AnySelect
) -> list[Row[Any]]:
    """Like ``all_checked`` for a SELECT of several columns."""
    rows = list(
        (
            await session.execute(
                statement.where(principal_is_current(principal)),
                current_params(principal, _now(session)),
            )
        ).all()
    )
    if not rows:
        await require_current(session, principal, _now(session))
    session.info[CHECKED] = True
    return rows
