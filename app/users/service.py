"""Users of an agency and their roles. Only an agency's administrator grants roles in it; the system
administrator creates (and can always reset) agency administrators. Every change is an event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.visibility import visible_agencies, visible_users
from app.agencies.models import Agency
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.current import all_checked, first_checked
from app.auth.models import AuthSession
from app.auth.permissions import AgencyType, Role, role_valid_for
from app.auth.principal import Principal
from app.auth.sessions import end_sessions
from app.auth.tokens import digest, new_secret
from app.errors import Problem, not_found
from app.pagination import decode_cursor, split_page
from app.runtime import Runtime
from app.users.models import User, UserRole
from app.users.schemas import AgencyAdminCreate, OneTimeCode, UserCreate, UserRead


async def roles_of(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Role]]:
    result: dict[uuid.UUID, list[Role]] = {uid: [] for uid in user_ids}
    if user_ids:
        rows = await session.execute(
            select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(user_ids))
        )
        for user_id, role in rows:
            result[user_id].append(Role(role))
    return {uid: sorted(roles) for uid, roles in result.items()}


def to_read(user: User, roles: list[Role]) -> UserRead:
    return UserRead(
        id=user.id,
        agency_id=user.agency_id,
        username=user.username,
        display_name=user.display_name,
        roles=roles,
        active=user.active,
        activated=user.password_hash is not None,
        created_at=user.created_at,
    )


def _role_problem(roles: Sequence[Role], agency_type: AgencyType) -> Problem | None:
    invalid = [r.value for r in roles if not role_valid_for(r, agency_type)]
    if not invalid:
        return None
    return Problem(
        422,
        f"Roles not valid in an agency of type {agency_type.value}: {', '.join(invalid)}.",
        errors=[{"loc": ["body", "role"], "type": "role_for_agency_type", "msg": "Invalid role"}],
    )


def _issue_code(runtime: Runtime, user: User, purpose: str) -> OneTimeCode:
    code = new_secret(24)
    hours = (
        runtime.settings.activation_code_hours
        if purpose == "activation"
        else runtime.settings.reset_code_hours
    )
    expires_at = runtime.now() + timedelta(hours=hours)
    user.code_hash = digest(code)
    user.code_purpose = purpose
    user.code_expires_at = expires_at
    return OneTimeCode(code=code, purpose=purpose, expires_at=expires_at)


async def _lock_agency(session: AsyncSession, agency_id: uuid.UUID) -> Agency:
    # Serialises administrator changes within one agency (SQLite: BEGIN IMMEDIATE already does).
    agency = (
        await session.execute(select(Agency).where(Agency.id == agency_id).with_for_update())
    ).scalar_one()
    return agency


async def _insert_user(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    agency: Agency,
    username: str,
    display_name: str,
    roles: Sequence[Role],
) -> tuple[User, OneTimeCode]:
    now = runtime.now()
    user = User(
        agency_id=agency.id,
        username=username,
        display_name=display_name,
        active=True,
        authz_version=1,
        created_at=now,
        updated_at=now,
    )
    code = _issue_code(runtime, user, "activation")
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Problem(409, "That username is taken.") from exc
    for role in sorted(set(roles)):
        session.add(UserRole(user_id=user.id, role=role.value, granted_at=now, granted_by=actor.id))
    await session.flush()
    ref = ObjectRef("user", user.id)
    await record_event(
        session,
        actor,
        "user.created",
        [ref, ObjectRef("agency", agency.id)],
        [
            Change(ref, "username", username),
            Change(ref, "display_name", display_name),
            Change(ref, "roles", sorted(r.value for r in roles)),
            Change(ref, "activation_code", "issued"),
        ],
    )
    return user, code


async def create_user(
    session: AsyncSession, runtime: Runtime, principal: Principal, data: UserCreate
) -> tuple[User, list[Role], OneTimeCode]:
    """An agency administrator adds a user to its own agency, with roles valid for its type."""
    problem = _role_problem(data.roles, principal.agency_type)
    if problem is not None:
        raise problem
    agency = await _lock_agency(session, principal.agency_id)
    user, code = await _insert_user(
        session, runtime, Actor.of(principal), agency, data.username, data.display_name, data.roles
    )
    return user, sorted(set(data.roles)), code


async def visible_agency(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> Agency:
    agency = await first_checked(
        session, principal, select(Agency).where(Agency.id == agency_id, visible_agencies(principal))
    )
    if agency is None:
        raise not_found("agency")
    return agency


async def create_agency_admin(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    agency_id: uuid.UUID,
    data: AgencyAdminCreate,
) -> tuple[User, OneTimeCode]:
    """The system administrator creates an agency administrator, with a one-time activation code
    (never a password the system administrator chooses)."""
    agency = await visible_agency(session, principal, agency_id)
    if not role_valid_for(Role.AGENCY_ADMIN, AgencyType(agency.type)):
        raise Problem(409, "This agency type has no agency administrators.")
    if not agency.active:
        raise Problem(409, "The agency is inactive.")
    agency = await _lock_agency(session, agency.id)
    return await _insert_user(
        session,
        runtime,
        Actor.of(principal),
        agency,
        data.username,
        data.display_name,
        [Role.AGENCY_ADMIN],
    )


async def get_user(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, *, for_update: bool = False
) -> User:
    """A user the principal may see, or 404. ``for_update`` locks the row (PostgreSQL) so that
    concurrent changes to one user apply one after the other."""
    statement = select(User).where(User.id == user_id, visible_users(principal))
    if for_update:
        statement = statement.with_for_update()
    user = await first_checked(session, principal, statement)
    if user is None:
        raise not_found("user")
    return user


async def list_users(
    session: AsyncSession,
    principal: Principal,
    *,
    agency_id: uuid.UUID | None,
    admins_only: bool,
    active: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[User], str | None]:
    query = select(User).where(visible_users(principal))
    if agency_id is not None:
        query = query.where(User.agency_id == agency_id)
    if admins_only:
        query = query.where(
            exists(
                select(UserRole.user_id).where(
                    UserRole.user_id == User.id, UserRole.role == Role.AGENCY_ADMIN.value
                )
            )
        )
    if active is not None:
        query = query.where(User.active.is_(active))
    if cursor is not None:
        username, after_id = decode_cursor(cursor, str, uuid.UUID)
        query = query.where(tuple_(User.username, User.id) > tuple_(username, after_id))
    rows = list(
        await all_checked(session, principal, query.order_by(User.username, User.id).limit(limit + 1))
    )
    return split_page(rows, limit, lambda last: [last.username, str(last.id)])


async def _other_active_admins(session: AsyncSession, user: User) -> int:
    count = await session.execute(
        select(func.count())
        .select_from(User)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.AGENCY_ADMIN.value))
        .where(User.agency_id == user.agency_id, User.active.is_(True), User.id != user.id)
    )
    return int(count.scalar_one())


async def _is_admin(session: AsyncSession, user_id: uuid.UUID) -> bool:
    row = await session.get(UserRole, (user_id, Role.AGENCY_ADMIN.value))
    return row is not None


async def _protect_last_admin(session: AsyncSession, user: User) -> None:
    await _lock_agency(session, user.agency_id)
    if (
        user.active
        and await _is_admin(session, user.id)
        and await _other_active_admins(session, user) == 0
    ):
        raise Problem(409, "This is the agency's last administrator.")


def _bump(user: User, now: datetime) -> None:
    # Access tokens carry the old version and answer 401 until refreshed.
    user.authz_version += 1
    user.updated_at = now


async def grant_role(
    session: AsyncSession, runtime: Runtime, principal: Principal, user_id: uuid.UUID, role: Role
) -> User:
    user = await get_user(session, principal, user_id, for_update=True)
    problem = _role_problem([role], principal.agency_type)
    if problem is not None:
        raise problem
    if await session.get(UserRole, (user.id, role.value)) is not None:
        raise Problem(409, "The user already holds this role.")
    now = runtime.now()
    session.add(UserRole(user_id=user.id, role=role.value, granted_at=now, granted_by=principal.id))
    _bump(user, now)
    ref = ObjectRef("user", user.id)
    await record_event(
        session, Actor.of(principal), "user.role_granted", [ref], [Change(ref, "role", role.value)]
    )
    await session.flush()
    return user


async def revoke_role(
    session: AsyncSession, runtime: Runtime, principal: Principal, user_id: uuid.UUID, role: Role
) -> User:
    user = await get_user(session, principal, user_id, for_update=True)
    if await session.get(UserRole, (user.id, role.value)) is None:
        raise not_found("role grant")
    if role is Role.AGENCY_ADMIN:
        await _protect_last_admin(session, user)
    await session.execute(
        delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == role.value)
    )
    _bump(user, runtime.now())
    ref = ObjectRef("user", user.id)
    await record_event(
        session,
        Actor.of(principal),
        "user.role_revoked",
        [ref],
        [Change(ref, "role", None, role.value)],
    )
    await session.flush()
    return user


async def deactivate_user(
    session: AsyncSession, runtime: Runtime, principal: Principal, user_id: uuid.UUID
) -> User:
    """Deactivate a user: cut off on the next request, sessions ended. The last admin stays (409)."""
    user = await get_user(session, principal, user_id, for_update=True)
    if not user.active:
        raise Problem(409, "The user is already inactive.")
    await _protect_last_admin(session, user)
    now = runtime.now()
    user.active = False
    _bump(user, now)
    await end_sessions(session, now, "user_deactivated", AuthSession.user_id == user.id)
    ref = ObjectRef("user", user.id)
    await record_event(
        session,
        Actor.of(principal),
        "user.deactivated",
        [ref],
        [Change(ref, "active", False, True)],
    )
    await session.flush()
    return user


async def issue_reset_code(
    session: AsyncSession, runtime: Runtime, principal: Principal, user_id: uuid.UUID
) -> OneTimeCode:
    """A one-time code to set a new password (activation if the user never had one)."""
    user = await get_user(session, principal, user_id, for_update=True)
    return await _reset(session, runtime, principal, user)


async def reset_agency_admin(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    agency_id: uuid.UUID,
    user_id: uuid.UUID,
) -> OneTimeCode:
    user = await get_user(session, principal, user_id, for_update=True)
    if user.agency_id != agency_id:
        raise not_found("user")
    return await _reset(session, runtime, principal, user)


async def _reset(
    session: AsyncSession, runtime: Runtime, principal: Principal, user: User
) -> OneTimeCode:
    if not user.active:
        raise Problem(409, "The user is inactive.")
    purpose = "activation" if user.password_hash is None else "reset"
    code = _issue_code(runtime, user, purpose)
    user.updated_at = runtime.now()
    ref = ObjectRef("user", user.id)
    await record_event(
        session,
        Actor.of(principal),
        "user.reset_code_issued",
        [ref],
        [Change(ref, "reset_code", "issued")],
    )
    await session.flush()
    return code
