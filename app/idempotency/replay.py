"""Re-reading what a first request made, for a replayed answer. Each resource type a POST can make
has one reader, which goes through the same visibility predicate as a GET would: a replay shows
what the caller may see now, and never a one-time secret (the readers' schemas hold none)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.visibility import visible_clients
from app.agencies import service as agencies
from app.agencies.schemas import AgencyRead
from app.auth.current import first_checked
from app.auth.principal import Principal
from app.clients.models import MachineClient
from app.clients.schemas import ClientRead
from app.errors import not_found
from app.users import service as users

Reader = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[dict[str, Any]]]


async def _agency(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> dict[str, Any]:
    agency = await agencies.get_agency(session, principal, id_)
    return AgencyRead.model_validate(agency).model_dump(mode="json")


async def _user(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> dict[str, Any]:
    user = await users.get_user(session, principal, id_)
    roles = await users.roles_of(session, [user.id])
    return users.to_read(user, roles[user.id]).model_dump(mode="json")


async def _client(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> dict[str, Any]:
    client = await first_checked(
        session,
        principal,
        select(MachineClient).where(MachineClient.id == id_, visible_clients(principal)),
    )
    if client is None:
        raise not_found("client")
    return ClientRead.model_validate(client).model_dump(mode="json")


READERS: dict[str, Reader] = {"agency": _agency, "user": _user, "client": _client}


def replays_as(resource: str, id_from: str = "body") -> dict[str, Any]:
    """``openapi_extra`` for a POST route: what a replay re-reads. ``id_from`` is ``body`` (the
    response's ``id``) or ``path:<param>``."""
    assert resource in READERS
    return {"x-idempotency": {"resource": resource, "id_from": id_from}}
