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
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.cases import notes
from app.cases import service as cases
from app.clients.models import MachineClient
from app.clients.schemas import ClientRead
from app.errors import not_found
from app.runtime import Runtime
from app.users import service as users

Reader = Callable[[AsyncSession, Runtime, Principal, uuid.UUID], Awaitable[dict[str, Any]]]


async def _agency(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    agency = await agencies.get_agency(session, principal, id_)
    return AgencyRead.model_validate(agency).model_dump(mode="json")


async def _user(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    user = await users.get_user(session, principal, id_)
    roles = await users.roles_of(session, [user.id])
    return users.to_read(user, roles[user.id]).model_dump(mode="json")


async def _client(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    client = await first_checked(
        session,
        principal,
        select(MachineClient).where(MachineClient.id == id_, visible_clients(principal)),
    )
    if client is None:
        raise not_found("client")
    return ClientRead.model_validate(client).model_dump(mode="json")


async def _case(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    if principal.can(Permission.CASES_READ):
        return await cases.read_case(session, runtime, principal, id_)
    found = await cases.created_cases(session, principal, [id_])
    if not found:
        raise not_found("case")
    return found[0]


async def _rescue_event(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    read = await cases.get_rescue_event(session, principal, id_)
    shown = await cases.created_cases(session, principal, await cases.event_case_ids(session, id_))
    read.case_ids = [uuid.UUID(c["id"]) for c in shown]
    return {"id": str(read.id), "rescue_event": read.model_dump(mode="json"), "cases": shown}


async def _note(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    return await notes.note_receipt(session, principal, id_)


async def _document(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.documents.service import document_receipt

    return await document_receipt(session, runtime, principal, id_)


async def _transfer(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.transfers.service import read_transfer

    read = await read_transfer(session, principal, id_)
    return read.model_dump(mode="json")


async def _referral(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.referrals.service import read_referral

    read = await read_referral(session, principal, id_)
    return read.model_dump(mode="json")


async def _compensation_claim(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.compensation.service import read_claim

    read = await read_claim(session, principal, id_)
    return read.model_dump(mode="json")


async def _order(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.orders.service import order_receipt

    read = await order_receipt(session, principal, id_)
    return read.model_dump(mode="json")


async def _visit(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.aftercare.visits import visit_receipt

    return (await visit_receipt(session, runtime, principal, id_)).model_dump(mode="json")


async def _service(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.aftercare.services import service_receipt

    return (await service_receipt(session, principal, id_)).model_dump(mode="json")


async def _consent(
    session: AsyncSession, runtime: Runtime, principal: Principal, id_: uuid.UUID
) -> dict[str, Any]:
    from app.aftercare.consents import consent_receipt

    return (await consent_receipt(session, runtime, principal, id_)).model_dump(mode="json")


READERS: dict[str, Reader] = {
    "follow_up_visit": _visit,
    "rehabilitation_service": _service,
    "consent": _consent,
    "order": _order,
    "transfer": _transfer,
    "referral": _referral,
    "compensation_claim": _compensation_claim,
    "note": _note,
    "document": _document,
    "agency": _agency,
    "user": _user,
    "client": _client,
    "case": _case,
    "rescue_event": _rescue_event,
}


def replays_as(resource: str, id_from: str = "body") -> dict[str, Any]:
    """``openapi_extra`` for a POST route: what a replay re-reads. ``id_from`` is ``body`` (the
    response's ``id``) or ``path:<param>``."""
    assert resource in READERS
    return {"x-idempotency": {"resource": resource, "id_from": id_from}}


def no_replay() -> dict[str, Any]:
    """``openapi_extra`` for a POST that only reads (a search): it takes no Idempotency-Key."""
    return {"x-idempotency": {"resource": None, "id_from": None}}
