"""An agency closes: the system administrator names a successor of the same type and state,
which takes over its open cases (as owner, or as the CWC / Magistrate seized of them) and its
place in open transfers. One event per case (and per transfer) moved (DOMAIN.md section 4). An
agency that still holds open cases or open transfers is deactivated only once a successor is
named, and what it took on since then moves to the successor as it closes."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.principal import Principal
from app.cases.models import Case, CaseAssignee
from app.cases.vocab import Stage
from app.db import utcnow
from app.errors import Problem
from app.transfers.models import Transfer

# A case is open until it is closed or she has died.
_ENDED_STAGES = [Stage.CLOSED.value, Stage.DECEASED.value]
_CASE_ROLES = ("owner_agency_id", "competent_authority_id")
_TRANSFER_ROLES = (
    "sending_agency_id",
    "sending_authority_id",
    "receiving_agency_id",
    "receiving_authority_id",
    "escort_agency_id",
)


def _open_cases_of(agency_id: uuid.UUID) -> ColumnElement[bool]:
    return Case.stage.not_in(_ENDED_STAGES) & or_(
        *[getattr(Case, column) == agency_id for column in _CASE_ROLES]
    )


def _open_transfers_of(agency_id: uuid.UUID) -> ColumnElement[bool]:
    return Transfer.ended_at.is_(None) & or_(
        *[getattr(Transfer, column) == agency_id for column in _TRANSFER_ROLES]
    )


async def holds_open_work(session: AsyncSession, agency_id: uuid.UUID) -> bool:
    cases = await session.execute(select(Case.id).where(_open_cases_of(agency_id)).limit(1))
    transfers = await session.execute(select(Transfer.id).where(_open_transfers_of(agency_id)).limit(1))
    return cases.first() is not None or transfers.first() is not None


async def name_successor(
    session: AsyncSession, principal: Principal, agency: Agency, successor_id: uuid.UUID
) -> tuple[int, int]:
    """Record the successor and move the agency's open cases and transfers to it; returns how
    many of each moved (for the log). The caller has found ``agency`` visible and active."""
    successor = (
        await session.execute(select(Agency).where(Agency.id == successor_id, Agency.active.is_(True)))
    ).scalar_one_or_none()
    if (
        successor is None
        or successor.id == agency.id
        or successor.type != agency.type
        or successor.state != agency.state
    ):
        raise Problem(
            422,
            "The successor is another active agency of the same type and state.",
            errors=[{"loc": ["body", "successor_id"], "type": "wrong_agency", "msg": "Invalid"}],
        )
    actor = Actor.of(principal)
    cases, transfers = await move_open_work(session, actor, agency, successor.id)
    now = utcnow()
    await session.execute(
        update(Agency)
        .where(Agency.id == agency.id)
        .values(successor_id=successor.id, updated_at=now, version=Agency.version + 1)
    )
    ref = ObjectRef("agency", agency.id)
    await record_event(
        session,
        actor,
        "agency.successor_named",
        [ref, ObjectRef("agency", successor.id)],
        [Change(ref, "successor_id", str(successor.id), None)],
    )
    return cases, transfers


async def move_open_work(
    session: AsyncSession, actor: Actor, agency: Agency, successor_id: uuid.UUID
) -> tuple[int, int]:
    """Give the successor the agency's place on its open cases and open transfers, one event per
    object moved. Each UPDATE names the agency and the open state again, so a case accepted
    elsewhere or closed since it was read is left alone (READ COMMITTED re-checks the row)."""
    now = utcnow()
    moved_cases = 0
    cases = (await session.execute(select(Case).where(_open_cases_of(agency.id)))).scalars().all()
    for case in cases:
        for column in _CASE_ROLES:
            if getattr(case, column) != agency.id:
                continue
            result = await session.execute(
                update(Case)
                .where(
                    Case.id == case.id,
                    getattr(Case, column) == agency.id,
                    Case.stage.not_in(_ENDED_STAGES),
                )
                .values({column: successor_id, "version": Case.version + 1, "updated_at": now})
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                continue
            ref = ObjectRef("case", case.id)
            if column == "owner_agency_id":
                # The closing agency's staff were assigned; the successor's supervisor assigns anew.
                await session.execute(delete(CaseAssignee).where(CaseAssignee.case_id == case.id))
            await record_event(
                session,
                actor,
                "case.succeeded",
                [ref, ObjectRef("agency", agency.id), ObjectRef("agency", successor_id)],
                [Change(ref, column, str(successor_id), str(agency.id))],
                case_id=case.id,
            )
            moved_cases += 1
    moved_transfers = 0
    transfers = (
        (await session.execute(select(Transfer).where(_open_transfers_of(agency.id)))).scalars().all()
    )
    for transfer in transfers:
        for column in _TRANSFER_ROLES:
            if getattr(transfer, column) != agency.id:
                continue
            result = await session.execute(
                update(Transfer)
                .where(
                    Transfer.id == transfer.id,
                    getattr(Transfer, column) == agency.id,
                    Transfer.ended_at.is_(None),
                )
                .values({column: successor_id, "version": Transfer.version + 1, "updated_at": now})
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                continue
            ref = ObjectRef("transfer", transfer.id)
            await record_event(
                session,
                actor,
                "transfer.succeeded",
                [ref, ObjectRef("agency", agency.id), ObjectRef("agency", successor_id)],
                [Change(ref, column, str(successor_id), str(agency.id))],
                case_id=transfer.case_id,
            )
            moved_transfers += 1
    return moved_cases, moved_transfers
