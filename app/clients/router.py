from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from app.access.visibility import require_own_agency
from app.audit.events import Actor
from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clients import service
from app.clients.schemas import ClientCreate, ClientRead, ClientWithSecret
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.idempotency.replay import replays_as

router = APIRouter(prefix="/v1/agencies/{agency_id}/clients", tags=["clients"], route_class=GuardedRoute)
Manager = Annotated[Principal, require(Permission.CLIENTS_MANAGE)]
NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "",
    operation_id="clients-create",
    openapi_extra=replays_as("client"),
    status_code=201,
    response_model=ClientWithSecret,
)
async def create_client(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Manager,
    agency_id: uuid.UUID,
    body: ClientCreate,
) -> ClientWithSecret:
    """Register a machine client for the caller's agency; the secret is shown only in this answer."""
    require_own_agency(principal, agency_id)
    client, secret = await service.create_client(
        session, runtime, Actor.of(principal), agency_id, principal.agency_type, body
    )
    response.headers.update(NO_STORE)
    return ClientWithSecret(**ClientRead.model_validate(client).model_dump(), client_secret=secret)


@router.get("", operation_id="clients-list", response_model=list[ClientRead])
async def list_clients(session: Session, principal: Manager, agency_id: uuid.UUID) -> list[ClientRead]:
    rows = await service.list_clients(session, principal, agency_id)
    return [ClientRead.model_validate(c) for c in rows]


@router.get("/{client_id}", operation_id="clients-read", response_model=ClientRead)
async def read_client(
    session: Session, principal: Manager, agency_id: uuid.UUID, client_id: uuid.UUID
) -> ClientRead:
    return ClientRead.model_validate(await service.get_client(session, principal, agency_id, client_id))


@router.post(
    "/{client_id}/rotate-secret",
    operation_id="clients-rotate-secret",
    openapi_extra=replays_as("client"),
    response_model=ClientWithSecret,
    responses=documented(409),
)
async def rotate_secret(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Manager,
    agency_id: uuid.UUID,
    client_id: uuid.UUID,
) -> ClientWithSecret:
    client, secret = await service.rotate_secret(session, runtime, principal, agency_id, client_id)
    response.headers.update(NO_STORE)
    return ClientWithSecret(**ClientRead.model_validate(client).model_dump(), client_secret=secret)


@router.post(
    "/{client_id}/deactivate",
    operation_id="clients-deactivate",
    openapi_extra=replays_as("client"),
    response_model=ClientRead,
    responses=documented(409),
)
async def deactivate_client(
    runtime: RuntimeDep,
    session: Session,
    principal: Manager,
    agency_id: uuid.UUID,
    client_id: uuid.UUID,
) -> ClientRead:
    client = await service.deactivate_client(session, runtime, principal, agency_id, client_id)
    return ClientRead.model_validate(client)
