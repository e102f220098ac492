"""Operator actions that the API has no route for, because they come before anyone can sign in:
creating the platform agency, a user with a known password, or a machine client from the shell.
Used by the CLI, the demo seed and the tests; each writes its audit event with the ``system`` actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies import service as agencies
from app.agencies.models import Agency
from app.agencies.schemas import AgencyCreate
from app.audit.events import SYSTEM, Change, ObjectRef, record_event
from app.auth.passwords import password_problem
from app.auth.permissions import AgencyType, Role, role_valid_for
from app.clients import service as clients
from app.clients.models import MachineClient
from app.clients.schemas import ClientCreate
from app.runtime import Runtime
from app.users.models import User, UserRole


class AdminError(ValueError):
    """An operator's request that cannot be carried out; the message says why."""


async def create_agency(
    session: AsyncSession,
    name: str,
    agency_type: AgencyType,
    state: str | None = None,
    district: str | None = None,
) -> Agency:
    data = AgencyCreate(name=name, type=agency_type, state=state, district=district)
    return await agencies.create_agency(session, SYSTEM, data)


async def create_user(
    session: AsyncSession,
    runtime: Runtime,
    agency_id: uuid.UUID,
    username: str,
    roles: Sequence[Role],
    password: str,
    display_name: str | None = None,
    password_hash: str | None = None,
) -> User:
    """A user with a password set (bootstrapping and tests). ``password_hash`` skips hashing again."""
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise AdminError("no such agency")
    invalid = [r.value for r in roles if not role_valid_for(r, AgencyType(agency.type))]
    if invalid:
        raise AdminError(f"roles not valid for a {agency.type} agency: {', '.join(invalid)}")
    if password_hash is None:
        problem = password_problem(password, username)
        if problem is not None:
            raise AdminError(f"password {problem}")
        password_hash = await runtime.passwords.hash(password)
    username = username.lower()
    exists = await session.execute(select(User.id).where(User.username == username))
    if exists.first() is not None:
        raise AdminError("that username is taken")
    now = runtime.now()
    user = User(
        agency_id=agency.id,
        username=username,
        display_name=display_name or username,
        password_hash=password_hash,
        active=True,
        authz_version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    for role in sorted(set(roles)):
        session.add(UserRole(user_id=user.id, role=role.value, granted_at=now))
    await session.flush()
    ref = ObjectRef("user", user.id)
    await record_event(
        session,
        SYSTEM,
        "user.created",
        [ref, ObjectRef("agency", agency.id)],
        [Change(ref, "username", username), Change(ref, "roles", sorted(r.value for r in roles))],
    )
    return user


async def create_client(
    session: AsyncSession,
    runtime: Runtime,
    agency_id: uuid.UUID,
    name: str,
    scopes: list[str],
) -> tuple[MachineClient, str]:
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise AdminError("no such agency")
    return await clients.create_client(
        session,
        runtime,
        SYSTEM,
        agency.id,
        AgencyType(agency.type),
        ClientCreate(name=name, scopes=scopes),
    )
