"""Machine clients: an agency administrator's integrations, each acting for its one agency."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.visibility import require_own_agency, visible_clients
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.current import all_checked, first_checked
from app.auth.models import AuthSession
from app.auth.permissions import AgencyType, machine_grantable
from app.auth.principal import Principal
from app.auth.sessions import end_sessions
from app.auth.tokens import digest, new_secret
from app.clients.models import MachineClient
from app.clients.schemas import ClientCreate
from app.errors import Problem, not_found
from app.runtime import Runtime


def check_scopes(agency_type: AgencyType, scopes: list[str]) -> list[str]:
    allowed = {p.value for p in machine_grantable(agency_type)}
    unknown = sorted(set(scopes) - allowed)
    if unknown:
        raise Problem(
            422,
            f"Scopes a machine client of a {agency_type.value} agency cannot hold: "
            f"{', '.join(unknown)}.",
            errors=[{"loc": ["body", "scopes"], "type": "scope_not_grantable", "msg": "Invalid"}],
        )
    return sorted(set(scopes))


async def create_client(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    agency_id: uuid.UUID,
    agency_type: AgencyType,
    data: ClientCreate,
) -> tuple[MachineClient, str]:
    """Create a client; the secret is returned once and stored only as a digest."""
    scopes = check_scopes(agency_type, data.scopes)
    secret = new_secret()
    client = MachineClient(
        agency_id=agency_id,
        name=data.name,
        secret_hash=digest(secret),
        scopes=scopes,
        active=True,
        authz_version=1,
        created_at=runtime.now(),
    )
    session.add(client)
    await session.flush()
    ref = ObjectRef("client", client.id)
    await record_event(
        session,
        actor,
        "client.created",
        [ref, ObjectRef("agency", agency_id)],
        [Change(ref, "name", data.name), Change(ref, "scopes", scopes), Change(ref, "secret", "x")],
    )
    return client, secret


async def _get(
    session: AsyncSession,
    principal: Principal,
    agency_id: uuid.UUID,
    client_id: uuid.UUID,
    for_update: bool,
) -> MachineClient | None:
    query = select(MachineClient).where(
        MachineClient.agency_id == agency_id,
        MachineClient.id == client_id,
        visible_clients(principal),
    )
    if for_update:
        query = query.with_for_update()
    return await first_checked(session, principal, query)


async def get_client(
    session: AsyncSession,
    principal: Principal,
    agency_id: uuid.UUID,
    client_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> MachineClient:
    require_own_agency(principal, agency_id)
    client = await _get(session, principal, agency_id, client_id, for_update)
    if client is None:
        raise not_found("client")
    return client


async def list_clients(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID
) -> list[MachineClient]:
    require_own_agency(principal, agency_id)
    return await all_checked(
        session,
        principal,
        select(MachineClient)
        .where(MachineClient.agency_id == agency_id, visible_clients(principal))
        .order_by(MachineClient.created_at, MachineClient.id),
    )


async def rotate_secret(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    agency_id: uuid.UUID,
    client_id: uuid.UUID,
) -> tuple[MachineClient, str]:
    """A new secret; the old one and every token issued with it stop working at once."""
    client = await get_client(session, principal, agency_id, client_id, for_update=True)
    if not client.active:
        raise Problem(409, "The client is inactive.")
    secret = new_secret()
    client.secret_hash = digest(secret)
    client.secret_rotated_at = runtime.now()
    client.authz_version += 1
    ref = ObjectRef("client", client.id)
    await record_event(
        session, Actor.of(principal), "client.secret_rotated", [ref], [Change(ref, "secret", "x")]
    )
    await session.flush()
    return client, secret


async def deactivate_client(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    agency_id: uuid.UUID,
    client_id: uuid.UUID,
) -> MachineClient:
    client = await get_client(session, principal, agency_id, client_id, for_update=True)
    if not client.active:
        raise Problem(409, "The client is already inactive.")
    client.active = False
    client.authz_version += 1
    await end_sessions(session, runtime.now(), "client_deactivated", AuthSession.client_id == client.id)
    ref = ObjectRef("client", client.id)
    await record_event(
        session,
        Actor.of(principal),
        "client.deactivated",
        [ref],
        [Change(ref, "active", False, True)],
    )
    await session.flush()
    return client
