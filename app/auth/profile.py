"""The caller's own profile: who am I, and changing my own password."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.audit.events import Actor, ObjectRef, record_event
from app.audit.security_log import record_security
from app.auth import throttle
from app.auth.current import decided_while_current, first_checked, require_current
from app.auth.models import AuthSession
from app.auth.passwords import password_problem
from app.auth.principal import Principal
from app.auth.schemas import AgencySummary, MeResponse
from app.auth.sessions import end_sessions
from app.clients.models import MachineClient
from app.errors import Problem
from app.runtime import Runtime
from app.users.models import User


async def read_me(session: AsyncSession, principal: Principal) -> MeResponse:
    own_agency = principal.agency_id
    agency = await first_checked(session, principal, select(Agency).where(Agency.id == own_agency))
    if agency is None:  # agencies are never deleted; a current token's agency exists
        raise Problem(401, "The access token is no longer valid.")
    me = MeResponse(
        kind=principal.kind,
        id=principal.id,
        agency=AgencySummary(
            id=agency.id,
            name=agency.name,
            type=agency.type,
            state=agency.state,
            district=agency.district,
        ),
        roles=sorted(r.value for r in principal.roles),
        permissions=sorted(p.value for p in principal.permissions),
    )
    if principal.kind == "user":
        user = await session.get(User, principal.id)
        if user is not None:
            me.username = user.username
            me.display_name = user.display_name
    else:
        client = await session.get(MachineClient, principal.id)
        if client is not None:
            me.client_name = client.name
    return me


async def change_password(
    runtime: Runtime, principal: Principal, current_password: str, new_password: str
) -> None:
    """Change the caller's password; every other session of theirs ends. Wrong current passwords
    are throttled like sign-in (a stolen session must not become a password oracle), and the
    lockout also ends the session that tried."""
    now = runtime.now()
    policy = throttle.ThrottlePolicy.from_settings(runtime.settings)
    key = throttle.throttle_key(runtime.secrets.throttle_key, "password_change", str(principal.id), "")
    async with runtime.db.transaction() as session:
        await require_current(session, principal, now)
        retry_after = await throttle.reserve(session, key, now, policy)
        if retry_after is not None:
            await end_sessions(session, now, "password_guessing", AuthSession.id == principal.session_id)
            await record_security(session, "password_change_locked", user_id=principal.id)
        user = await session.get(User, principal.id)
    if retry_after is not None:
        raise decided_while_current(
            Problem(
                429,
                "Too many wrong passwords; this session has ended.",
                headers={"Retry-After": str(retry_after)},
            )
        )
    if user is None or not await runtime.passwords.verify(user.password_hash, current_password):
        raise Problem(400, "The current password is not correct.")
    problem = password_problem(new_password, user.username)
    if problem is not None:
        raise Problem(
            422,
            "The new password is not acceptable.",
            errors=[{"loc": ["body", "new_password"], "type": "password_policy", "msg": problem}],
        )
    new_hash = await runtime.passwords.hash(new_password)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == principal.id).values(password_hash=new_hash, updated_at=now)
        )
        await end_sessions(
            session,
            now,
            "password_changed",
            AuthSession.user_id == principal.id,
            AuthSession.id != principal.session_id,
        )
        await throttle.clear(session, key)
        await record_event(
            session, Actor.of(principal), "user.password_changed", [ObjectRef("user", principal.id)]
        )
