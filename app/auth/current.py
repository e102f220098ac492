"""Is an access token still good? Its session not revoked or expired, its user (or machine client)
and agency active, and the roles it carries unchanged (``authz_version``).

One SQL expression, so that it rides along in a statement the request runs anyway: the read that
finds the object acted on (``first_checked``, ``all_checked``). Only when that read finds nothing,
or a request reads nothing first, is it asked on its own: one lookup by primary key.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Result, Row, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_params
from app.agencies.models import Agency
from app.auth.models import AuthSession
from app.auth.principal import Principal
from app.clients.models import MachineClient
from app.db import AnySelect, utcnow
from app.driver import DRIVER, Driver
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
    return principal_is_current_for(principal.kind)


def principal_is_current_for(kind: str) -> ColumnElement[bool]:
    """The check for a principal kind, for a statement built once per principal shape."""
    return _CURRENT[kind]


S = TypeVar("S", bound=Select[Any])
_WITH_CHECK: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def with_check(statement: S, principal: Principal) -> S:
    """``statement`` with the check added, remembered per statement object: a statement built once
    (the case reads are, per principal shape) then keeps one checked form, whose cache key and
    compiled SQL are computed once, instead of a new SELECT per request."""
    variants = _WITH_CHECK.get(statement)
    if variants is None:
        variants = _WITH_CHECK[statement] = {}
    checked: S | None = variants.get(principal.kind)
    if checked is None:
        checked = variants[principal.kind] = statement.where(principal_is_current(principal))
    return checked


def current_params(principal: Principal, now: datetime) -> dict[str, Any]:
    """The check's parameters, and the caller's (``app.access.binds``) for the visibility
    conditions that ride in the same statement."""
    return {
        "cur_sid": principal.session_id,
        "cur_now": now,
        "cur_pid": principal.id,
        "cur_ver": principal.authz_version,
        "cur_agy": principal.agency_id,
        **caller_params(principal, now),
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


def session_now(session: AsyncSession) -> datetime:
    """The request's clock (tests set it), as the session carries it."""
    clock = session.info.get(CLOCK)
    return clock() if callable(clock) else utcnow()


CLOCK = "clock"
T = TypeVar("T")


def _params(
    principal: Principal, session: AsyncSession, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    params = current_params(principal, session_now(session))
    if extra is None:
        return params
    if params.keys() & extra.keys():
        # A statement's own parameters never stand in for who the caller is.
        raise ValueError(f"parameters named like the caller's: {sorted(params.keys() & extra.keys())}")
    return params | dict(extra)


async def _execute(
    session: AsyncSession, principal: Principal, statement: AnySelect, params: Mapping[str, Any] | None
) -> Result[Any]:
    """Run ``statement`` with the check added, through the session (entities load)."""
    return await session.execute(with_check(statement, principal), _params(principal, session, params))


async def _settle(session: AsyncSession, principal: Principal, found: bool) -> None:
    """After a checked read: a row found says the token was current as the read ran; none found
    says nothing about it, so the check is asked on its own (401 before the caller's 404)."""
    if found:
        session.info[CHECKED] = True
    else:
        await require_current(session, principal, session_now(session))


async def first_checked(
    session: AsyncSession,
    principal: Principal,
    statement: Select[T],
    params: Mapping[str, Any] | None = None,
) -> T | None:
    """The first row of ``statement`` with the currency check in the same SELECT. None means the
    object is absent or not visible (the caller answers 404); a stale token raises 401 first."""
    found: T | None = (await _execute(session, principal, statement, params)).scalars().first()
    await _settle(session, principal, found is not None)
    return found


async def all_checked(
    session: AsyncSession,
    principal: Principal,
    statement: Select[T],
    params: Mapping[str, Any] | None = None,
) -> list[T]:
    """Every row of ``statement``, the currency check riding along; an empty answer asks it alone."""
    rows: list[T] = list((await _execute(session, principal, statement, params)).scalars())
    await _settle(session, principal, bool(rows))
    return rows


def decided_while_current(problem: Problem) -> Problem:
    """Mark an answer decided after ``require_current`` passed in a service's own transaction (for
    instance a lockout that then ended the session): the guard keeps it rather than saying 401."""
    problem.principal_checked = True  # type: ignore[attr-defined]
    return problem


async def first_row_checked(
    session: AsyncSession,
    principal: Principal,
    statement: AnySelect,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Like ``first_checked`` for a SELECT of columns (not entities): the first row, as a dict of
    column name to value."""
    rows = await _column_rows(session, principal, statement, params)
    await _settle(session, principal, bool(rows))
    return rows[0] if rows else None


async def first_entity_row_checked(
    session: AsyncSession,
    principal: Principal,
    statement: AnySelect,
    params: Mapping[str, Any] | None = None,
) -> Row[Any] | None:
    """Like ``first_row_checked`` for a SELECT of an entity with columns, loaded through the
    session (to be changed): the whole first row, in the session's transaction."""
    row: Row[Any] | None = (await _execute(session, principal, statement, params)).first()
    await _settle(session, principal, row is not None)
    return row


async def rows_checked(
    session: AsyncSession,
    principal: Principal,
    statement: AnySelect,
    params: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Like ``all_checked`` for a SELECT of columns (not entities): rows as dicts."""
    rows = await _column_rows(session, principal, statement, params)
    await _settle(session, principal, bool(rows))
    return rows


async def _column_rows(
    session: AsyncSession,
    principal: Principal,
    statement: AnySelect,
    params: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    """Run a checked SELECT of columns: on the driver while the session has not begun a
    transaction (``app.driver`` says why that is the same answer), else on the session's
    connection (plain SQL rows, no ORM loading)."""
    checked = with_check(statement, principal)
    values = _params(principal, session, params)
    driver: Driver | None = session.info.get(DRIVER)
    if driver is not None and not session.in_transaction():
        rows = await driver.fetch(checked, values)
        if rows is not None:
            return rows
    await session.flush()  # as session.execute would: the read sees the session's own changes
    connection = await session.connection()
    return [dict(row._mapping) for row in await connection.execute(checked, values)]
