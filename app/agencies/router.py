from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from app.agencies import service
from app.agencies.schemas import (
    AgencyCreate,
    AgencyRead,
    AgencyUpdate,
    SuccessorSet,
)
from app.agencies.states import state_query
from app.audit.events import Actor
from app.auth.guard import GuardedRoute, require
from app.auth.permissions import AgencyType, Permission
from app.auth.principal import Principal
from app.concurrency import required_version, set_etag
from app.deps import Session
from app.errors import documented
from app.idempotency.replay import replays_as
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header

router = APIRouter(prefix="/v1/agencies", tags=["agencies"], route_class=GuardedRoute)

Reader = Annotated[Principal, require(Permission.AGENCIES_READ)]
Manager = Annotated[Principal, require(Permission.AGENCIES_MANAGE)]


@router.post(
    "",
    operation_id="agencies-create",
    openapi_extra=replays_as("agency"),
    status_code=201,
    response_model=AgencyRead,
)
async def create_agency(session: Session, principal: Manager, body: AgencyCreate) -> AgencyRead:
    agency = await service.create_agency(session, Actor.of(principal), body)
    return AgencyRead.model_validate(agency)


@router.get("", operation_id="agencies-list", response_model=Page[AgencyRead])
async def list_agencies(
    request: Request,
    response: Response,
    session: Session,
    principal: Reader,
    type: Annotated[AgencyType | None, Query()] = None,
    state: Annotated[str | None, Query(max_length=5)] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[AgencyRead]:
    state_code = state_query(state or None, "state")
    rows, next_cursor = await service.list_agencies(
        session,
        principal,
        agency_type=type,
        state=state_code,
        district=district,
        active=active,
        limit=limit,
        cursor=cursor,
    )
    set_link_header(response, request, next_cursor)
    return Page[AgencyRead](items=[AgencyRead.model_validate(a) for a in rows], next_cursor=next_cursor)


@router.get("/{agency_id}", operation_id="agencies-read", response_model=AgencyRead)
async def read_agency(
    response: Response, session: Session, principal: Reader, agency_id: uuid.UUID
) -> AgencyRead:
    agency = await service.get_agency(session, principal, agency_id)
    set_etag(response, agency.version)
    return AgencyRead.model_validate(agency)


@router.patch(
    "/{agency_id}",
    operation_id="agencies-update",
    response_model=AgencyRead,
    responses=documented(412, 428),
)
async def update_agency(
    response: Response,
    session: Session,
    principal: Manager,
    agency_id: uuid.UUID,
    body: AgencyUpdate,
    if_match: Annotated[str | None, Header(description="The ETag of the version read.")] = None,
) -> AgencyRead:
    """Rename an agency or set its district; type and state never change."""
    expected = required_version(if_match)
    agency = await service.update_agency(session, principal, agency_id, body, expected)
    set_etag(response, agency.version)
    return AgencyRead.model_validate(agency)


@router.post(
    "/{agency_id}/successor",
    operation_id="agencies-name-successor",
    openapi_extra=replays_as("agency", "path:agency_id"),
    response_model=AgencyRead,
    responses=documented(409),
)
async def name_successor(
    session: Session, principal: Manager, agency_id: uuid.UUID, body: SuccessorSet
) -> AgencyRead:
    """Before an agency closes, the system administrator names its successor: an active agency
    of the same type and state, which takes over its open cases (one ``case.succeeded`` event
    each) and its place in open transfers. Only then is an agency holding open work
    deactivated."""
    agency = await service.name_successor(session, principal, agency_id, body.successor_id)
    return AgencyRead.model_validate(agency)


@router.post(
    "/{agency_id}/deactivate",
    operation_id="agencies-deactivate",
    openapi_extra=replays_as("agency"),
    response_model=AgencyRead,
    responses=documented(409),
)
async def deactivate_agency(session: Session, principal: Manager, agency_id: uuid.UUID) -> AgencyRead:
    agency = await service.deactivate_agency(session, principal, agency_id)
    return AgencyRead.model_validate(agency)
