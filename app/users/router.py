from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission, Role
from app.auth.principal import Principal
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.idempotency.replay import replays_as
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header
from app.users import service
from app.users.models import User
from app.users.schemas import (
    AgencyAdminCreate,
    OneTimeCode,
    RoleGrant,
    UserCreate,
    UserCreated,
    UserRead,
)

router = APIRouter(tags=["users"], route_class=GuardedRoute)

Reader = Annotated[Principal, require(Permission.USERS_READ)]
Manager = Annotated[Principal, require(Permission.USERS_MANAGE)]
Platform = Annotated[Principal, require(Permission.AGENCY_ADMINS_MANAGE)]
NO_STORE = {"Cache-Control": "no-store"}


async def _read(session: AsyncSession, user: User) -> UserRead:
    roles = await service.roles_of(session, [user.id])
    return service.to_read(user, roles[user.id])


@router.post(
    "/v1/users",
    operation_id="users-create",
    openapi_extra=replays_as("user"),
    status_code=201,
    response_model=UserCreated,
    responses=documented(409),
)
async def create_user(
    response: Response, runtime: RuntimeDep, session: Session, principal: Manager, body: UserCreate
) -> UserCreated:
    """Add a user to the caller's agency; the activation code in the answer is shown only once."""
    user, roles, code = await service.create_user(session, runtime, principal, body)
    response.headers.update(NO_STORE)
    return UserCreated(**service.to_read(user, roles).model_dump(), activation=code)


@router.get("/v1/users", operation_id="users-list", response_model=Page[UserRead])
async def list_users(
    request: Request,
    response: Response,
    session: Session,
    principal: Reader,
    active: Annotated[bool | None, Query()] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[UserRead]:
    rows, next_cursor = await service.list_users(
        session,
        principal,
        agency_id=None,
        admins_only=False,
        active=active,
        limit=limit,
        cursor=cursor,
    )
    roles = await service.roles_of(session, [u.id for u in rows])
    set_link_header(response, request, next_cursor)
    return Page[UserRead](items=[service.to_read(u, roles[u.id]) for u in rows], next_cursor=next_cursor)


@router.get("/v1/users/{user_id}", operation_id="users-read", response_model=UserRead)
async def read_user(session: Session, principal: Reader, user_id: uuid.UUID) -> UserRead:
    user = await service.get_user(session, principal, user_id)
    return await _read(session, user)


@router.post(
    "/v1/users/{user_id}/roles",
    operation_id="users-grant-role",
    openapi_extra=replays_as("user"),
    response_model=UserRead,
    responses=documented(409),
)
async def grant_role(
    runtime: RuntimeDep, session: Session, principal: Manager, user_id: uuid.UUID, body: RoleGrant
) -> UserRead:
    user = await service.grant_role(session, runtime, principal, user_id, body.role)
    return await _read(session, user)


@router.delete(
    "/v1/users/{user_id}/roles/{role}",
    operation_id="users-revoke-role",
    response_model=UserRead,
    responses=documented(409),
)
async def revoke_role(
    runtime: RuntimeDep, session: Session, principal: Manager, user_id: uuid.UUID, role: Role
) -> UserRead:
    user = await service.revoke_role(session, runtime, principal, user_id, role)
    return await _read(session, user)


@router.post(
    "/v1/users/{user_id}/deactivate",
    operation_id="users-deactivate",
    openapi_extra=replays_as("user"),
    response_model=UserRead,
    responses=documented(409),
)
async def deactivate_user(
    runtime: RuntimeDep, session: Session, principal: Manager, user_id: uuid.UUID
) -> UserRead:
    user = await service.deactivate_user(session, runtime, principal, user_id)
    return await _read(session, user)


@router.post(
    "/v1/users/{user_id}/reset-code",
    operation_id="users-issue-reset-code",
    openapi_extra=replays_as("user", "path:user_id"),
    response_model=OneTimeCode,
    responses=documented(409),
)
async def issue_reset_code(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Manager,
    user_id: uuid.UUID,
) -> OneTimeCode:
    response.headers.update(NO_STORE)
    return await service.issue_reset_code(session, runtime, principal, user_id)


@router.post(
    "/v1/agencies/{agency_id}/admins",
    operation_id="agency-admins-create",
    openapi_extra=replays_as("user"),
    status_code=201,
    response_model=UserCreated,
    responses=documented(409),
    tags=["agencies"],
)
async def create_agency_admin(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Platform,
    agency_id: uuid.UUID,
    body: AgencyAdminCreate,
) -> UserCreated:
    """The system administrator creates an agency administrator with a one-time activation code."""
    user, code = await service.create_agency_admin(session, runtime, principal, agency_id, body)
    response.headers.update(NO_STORE)
    return UserCreated(**service.to_read(user, [Role.AGENCY_ADMIN]).model_dump(), activation=code)


@router.get(
    "/v1/agencies/{agency_id}/admins",
    operation_id="agency-admins-list",
    response_model=Page[UserRead],
    tags=["agencies"],
)
async def list_agency_admins(
    request: Request,
    response: Response,
    session: Session,
    principal: Platform,
    agency_id: uuid.UUID,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[UserRead]:
    await service.visible_agency(session, principal, agency_id)
    rows, next_cursor = await service.list_users(
        session,
        principal,
        agency_id=agency_id,
        admins_only=True,
        active=None,
        limit=limit,
        cursor=cursor,
    )
    roles = await service.roles_of(session, [u.id for u in rows])
    set_link_header(response, request, next_cursor)
    return Page[UserRead](items=[service.to_read(u, roles[u.id]) for u in rows], next_cursor=next_cursor)


@router.post(
    "/v1/agencies/{agency_id}/admins/{user_id}/reset-code",
    operation_id="agency-admins-issue-reset-code",
    openapi_extra=replays_as("user", "path:user_id"),
    response_model=OneTimeCode,
    responses=documented(409),
    tags=["agencies"],
)
async def reset_agency_admin(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Platform,
    agency_id: uuid.UUID,
    user_id: uuid.UUID,
) -> OneTimeCode:
    response.headers.update(NO_STORE)
    return await service.reset_agency_admin(session, runtime, principal, agency_id, user_id)
