"""Agencies: the system administrator creates, renames and deactivates; everyone reads the directory."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.visibility import visible_agencies
from app.agencies import succession
from app.agencies.models import Agency
from app.agencies.schemas import AgencyCreate, AgencyUpdate
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.current import all_checked, first_checked
from app.auth.permissions import (
    OPTIONAL_STATE_AGENCY_TYPES,
    STATELESS_AGENCY_TYPES,
    AgencyType,
)
from app.auth.principal import Principal
from app.concurrency import stale
from app.db import utcnow
from app.errors import Problem, not_found
from app.pagination import decode_cursor, split_page


def _state_problem(agency_type: AgencyType, state: str | None) -> str | None:
    if agency_type in STATELESS_AGENCY_TYPES and state is not None:
        return "this agency type is national and has no state"
    if agency_type not in STATELESS_AGENCY_TYPES | OPTIONAL_STATE_AGENCY_TYPES and state is None:
        return "this agency type belongs to a state"
    return None


async def create_agency(session: AsyncSession, actor: Actor, data: AgencyCreate) -> Agency:
    """Create an agency; its type and state are fixed from now on."""
    problem = _state_problem(data.type, data.state)
    if problem is not None:
        raise Problem(
            422,
            "The agency's state does not fit its type.",
            errors=[{"loc": ["body", "state"], "type": "state_for_type", "msg": problem}],
        )
    now = utcnow()
    agency = Agency(
        name=data.name,
        type=data.type.value,
        state=data.state,
        district=data.district,
        lgd_code=data.lgd_code,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(agency)
    await session.flush()
    ref = ObjectRef("agency", agency.id)
    await record_event(
        session,
        actor,
        "agency.created",
        [ref],
        [Change(ref, k, v) for k, v in data.model_dump(mode="json").items() if v is not None],
    )
    return agency


async def get_agency(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> Agency:
    agency = await first_checked(
        session, principal, select(Agency).where(Agency.id == agency_id, visible_agencies(principal))
    )
    if agency is None:
        raise not_found("agency")
    return agency


async def list_agencies(
    session: AsyncSession,
    principal: Principal,
    *,
    agency_type: AgencyType | None,
    state: str | None,
    district: str | None,
    active: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Agency], str | None]:
    query = select(Agency).where(visible_agencies(principal))
    if agency_type is not None:
        query = query.where(Agency.type == agency_type.value)
    if state is not None:
        query = query.where(Agency.state == state)
    if district is not None:
        query = query.where(func.lower(Agency.district) == district.strip().lower())
    if active is not None:
        query = query.where(Agency.active.is_(active))
    if cursor is not None:
        name, after_id = decode_cursor(cursor, str, uuid.UUID)
        query = query.where(tuple_(Agency.name, Agency.id) > tuple_(name, after_id))
    rows = list(
        await all_checked(session, principal, query.order_by(Agency.name, Agency.id).limit(limit + 1))
    )
    return split_page(rows, limit, lambda last: [last.name, str(last.id)])


async def update_agency(
    session: AsyncSession,
    principal: Principal,
    agency_id: uuid.UUID,
    data: AgencyUpdate,
    expected_version: int,
) -> Agency:
    """Rename an agency or set its district; applied only to the version the caller read."""
    agency = await get_agency(session, principal, agency_id)
    if agency.version != expected_version:
        raise stale()
    ref = ObjectRef("agency", agency.id)
    values: dict[str, Any] = {}
    changes = []
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field == "name":
            raise Problem(
                422,
                "An agency must keep a name.",
                errors=[{"loc": ["body", "name"], "type": "missing", "msg": "Field required"}],
            )
        old = getattr(agency, field)
        if old != value:
            changes.append(Change(ref, field, value, old))
            values[field] = value
    if not changes:
        return agency
    result = await session.execute(
        update(Agency)
        .where(Agency.id == agency.id, Agency.version == expected_version)
        .values(**values, updated_at=utcnow(), version=expected_version + 1)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise stale()
    await record_event(session, Actor.of(principal), "agency.updated", [ref], changes)
    await session.refresh(agency)
    return agency


async def name_successor(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID, successor_id: uuid.UUID
) -> Agency:
    """Name the successor of an active agency; it takes over the agency's open cases and its
    place in open transfers (``app.agencies.succession``)."""
    agency = await get_agency(session, principal, agency_id)
    if not agency.active:
        raise Problem(409, "The agency is inactive; its successor was named before it closed.")
    if agency.type == AgencyType.PLATFORM.value:
        raise Problem(409, "The platform operator's agency has no successor.")
    await succession.name_successor(session, principal, agency, successor_id)
    await session.refresh(agency)
    return agency


async def deactivate_agency(session: AsyncSession, principal: Principal, agency_id: uuid.UUID) -> Agency:
    """Deactivate an agency: its users and clients are cut off on their next request."""
    agency = await get_agency(session, principal, agency_id)
    if agency.type == AgencyType.PLATFORM.value:
        raise Problem(409, "The platform operator's agency cannot be deactivated.")
    if not agency.active:
        raise Problem(409, "The agency is already inactive.")
    if await succession.holds_open_work(session, agency.id):
        if agency.successor_id is None:
            raise Problem(
                409,
                "The agency holds open cases or transfers: name a successor first.",
                allowed_actions=["successor"],
            )
        # Work taken on after the successor was named goes to it now, in the same transaction.
        await succession.move_open_work(session, Actor.of(principal), agency, agency.successor_id)
    now = utcnow()
    await session.execute(
        update(Agency)
        .where(Agency.id == agency.id)
        .values(active=False, deactivated_at=now, updated_at=now, version=Agency.version + 1)
    )
    ref = ObjectRef("agency", agency.id)
    await record_event(
        session,
        Actor.of(principal),
        "agency.deactivated",
        [ref],
        [Change(ref, "active", False, True)],
    )
    await session.refresh(agency)
    return agency
