"""Is an access token still good? Its session not revoked or expired, its user (or machine client)
and agency active, and the roles it carries unchanged (``authz_version``).

One SQL expression, so that it can ride along in a statement the request runs anyway; on its own it
is one indexed lookup by primary key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.auth.models import AuthSession
from app.auth.principal import Principal
from app.clients.models import MachineClient
from app.errors import Problem
from app.users.models import User


def principal_is_current(principal: Principal, now: datetime) -> ColumnElement[bool]:
    session_ok = (
        (AuthSession.id == principal.session_id)
        & AuthSession.revoked_at.is_(None)
        & (AuthSession.expires_at > now)
    )
    if principal.kind == "user":
        return exists(
            select(AuthSession.id)
            .join(User, User.id == AuthSession.user_id)
            .join(Agency, Agency.id == User.agency_id)
            .where(
                session_ok,
                User.id == principal.id,
                User.active.is_(True),
                User.authz_version == principal.authz_version,
                Agency.id == principal.agency_id,
                Agency.active.is_(True),
            )
        )
    return exists(
        select(AuthSession.id)
        .join(MachineClient, MachineClient.id == AuthSession.client_id)
        .join(Agency, Agency.id == MachineClient.agency_id)
        .where(
            session_ok,
            MachineClient.id == principal.id,
            MachineClient.active.is_(True),
            MachineClient.authz_version == principal.authz_version,
            Agency.id == principal.agency_id,
            Agency.active.is_(True),
        )
    )


async def check_current(session: AsyncSession, principal: Principal, now: datetime) -> bool:
    result = await session.execute(select(principal_is_current(principal, now)))
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
