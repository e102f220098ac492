"""An adult's consent, per purpose (DOMAIN.md section 1): a shelter stay, sharing her data with a
named agency, a medical examination. Each answer (given or refused) is its own row, in force until
she withdraws it or it lapses; her latest answer for a purpose (and agency) is the one that counts.

Her stay in a shelter is covered by the Magistrate's order in force (intermediate custody for the
days ITPA s.17 allows, safe custody likewise, a protective-home final order while it runs) or by
her consent to stay; a stay past both is an over-stay, computed when asked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.aftercare import schemas
from app.aftercare.common import after_rescue, case_for_reading, case_for_writing
from app.aftercare.models import Consent
from app.aftercare.policy import (
    CONSENT_STAGES,
    COVERING_RULES,
    PROTECTIVE_OUTCOMES,
    RECORDERS,
    ConsentPurpose,
)
from app.agencies.models import Agency
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.principal import Principal
from app.cases.changes import allowed_actions
from app.cases.vocab import Stage, Track
from app.deadlines.models import Deadline
from app.documents.models import Document
from app.errors import Problem, invalid_field, not_found
from app.orders.models import Order
from app.runtime import Runtime

_WHAT = "Consents"


def check_request(data: schemas.ConsentCreate, occurred_at: datetime) -> None:
    """Request errors that need no object (answered before the case is looked up)."""
    sharing = data.purpose is ConsentPurpose.DATA_SHARING
    if sharing and data.agency_id is None:
        raise invalid_field("agency_id", "missing", "Consent to share her data names the agency.")
    if not sharing and data.agency_id is not None:
        raise invalid_field("agency_id", "not_allowed", "Only consent to data sharing names an agency.")
    if data.valid_until is not None and data.valid_until <= occurred_at:
        raise invalid_field("valid_until", "before_start", "A consent lapses after it was given.")


async def record_consent(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: schemas.ConsentCreate,
    occurred_at: datetime,
) -> Consent:
    now = runtime.now()
    case, relations = await case_for_writing(session, principal, case_id, RECORDERS, _WHAT)
    if case.track != Track.ADULT.value:
        # A child's care rests on the CWC's orders (JJ Act), not on her consent.
        raise Problem(
            409, "Consent is recorded for an adult; a child's care is ordered.", allowed_actions=[]
        )
    if Stage(case.stage) not in CONSENT_STAGES:
        raise Problem(
            409,
            f"The case is {case.stage}.",
            allowed_actions=allowed_actions(principal, case, relations),
        )
    after_rescue(case, occurred_at)
    if data.agency_id is not None:
        known = await session.execute(
            select(Agency.id).where(Agency.id == data.agency_id, Agency.active.is_(True))
        )
        if known.scalar() is None:
            raise invalid_field("agency_id", "unknown_agency", "No such active agency.")
    if data.document_id is not None:
        filed = await session.execute(
            select(Document.id).where(Document.id == data.document_id, Document.case_id == case.id)
        )
        if filed.scalar() is None:
            raise invalid_field("document_id", "wrong_document", "The form is a document of this case.")
    row = Consent(
        id=uuid.uuid4(),
        case_id=case.id,
        purpose=data.purpose.value,
        agency_id=data.agency_id,
        given=data.given,
        valid_until=data.valid_until,
        how_recorded=data.how_recorded,
        document_id=data.document_id,
        occurred_at=occurred_at,
        recorded_by=principal.id,
        recorded_by_agency_id=principal.agency_id,
        version=1,
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    ref = ObjectRef("consent", row.id)
    await record_event(
        session,
        Actor.of(principal),
        "case.consent_recorded",
        [ObjectRef("case", case.id), ref],
        [Change(ref, "purpose", row.purpose), Change(ref, "given", row.given)],
        case_id=case.id,
    )
    return row


async def withdraw_consent(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    consent_id: uuid.UUID,
    data: schemas.ConsentWithdraw,
    occurred_at: datetime,
    expected: int | None,
) -> Consent:
    """She takes back a consent she gave (404 for one not of this visible case, 403, 412 stale
    If-Match, 409 for a refusal or one withdrawn already)."""
    case, _ = await case_for_writing(session, principal, case_id, RECORDERS, _WHAT)
    row = (
        await session.execute(
            select(Consent).where(Consent.id == consent_id, Consent.case_id == case.id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise not_found("consent")
    if expected is not None and expected != row.version:
        raise Problem(412, "The consent changed since you read it; read it again and retry.")
    if not row.given or row.withdrawn_at is not None:
        state = "a refusal" if not row.given else "withdrawn already"
        raise Problem(409, f"The consent is {state}.", allowed_actions=[])
    if occurred_at < row.occurred_at:
        raise invalid_field("occurred_at", "out_of_order", "A consent is withdrawn after it was given.")
    result = await session.execute(
        update(Consent)
        .where(Consent.id == row.id, Consent.version == row.version, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=occurred_at, withdrawal_note=data.note, version=row.version + 1)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Problem(409, "The consent was withdrawn at the same moment.", allowed_actions=[])
    ref = ObjectRef("consent", row.id)
    await record_event(
        session,
        Actor.of(principal),
        "case.consent_withdrawn",
        [ObjectRef("case", case.id), ref],
        [Change(ref, "withdrawn_at", occurred_at)],
        case_id=case.id,
    )
    await session.refresh(row)
    return row


def _in_force(row: Consent, now: datetime) -> bool:
    return (
        row.given
        and row.occurred_at <= now
        and (row.withdrawn_at is None or row.withdrawn_at > now)
        and (row.valid_until is None or row.valid_until > now)
    )


def to_read(row: Consent, now: datetime) -> schemas.ConsentRead:
    return schemas.ConsentRead(
        id=row.id,
        case_id=row.case_id,
        purpose=row.purpose,
        given=row.given,
        agency_id=row.agency_id,
        valid_until=row.valid_until,
        how_recorded=row.how_recorded,
        document_id=row.document_id,
        occurred_at=row.occurred_at,
        withdrawn_at=row.withdrawn_at,
        withdrawal_note=row.withdrawal_note,
        in_force=_in_force(row, now),
        recorded_by_agency_id=row.recorded_by_agency_id,
        version=row.version,
    )


async def _order_cover(session: AsyncSession, case_id: uuid.UUID) -> tuple[bool, datetime | None]:
    """(open-ended, until): what the Magistrate's orders cover of her stay. The latest of the
    final order and the custody orders decides: a protective-home final order covers while it
    runs, any other final order ends the cover; otherwise the custody periods of ITPA s.17 (the
    deadlines the custody orders started) do."""
    final = (
        await session.execute(
            select(Order.occurred_at, Order.details)
            .where(Order.case_id == case_id, Order.kind == "final_order")
            .order_by(Order.occurred_at.desc())
            .limit(1)
        )
    ).first()
    custody = (
        await session.execute(
            select(Deadline.started_at, Deadline.due_at).where(
                Deadline.case_id == case_id,
                Deadline.rule_id.in_(COVERING_RULES),
                Deadline.waived_reason.is_(None),
            )
        )
    ).all()
    latest_custody = max((c.started_at for c in custody), default=None)
    if final is not None and (latest_custody is None or final.occurred_at >= latest_custody):
        return final.details.get("outcome") in PROTECTIVE_OUTCOMES, None
    return False, max((c.due_at for c in custody), default=None)


def _consent_cover(rows: list[Consent], now: datetime) -> tuple[bool, datetime | None]:
    """Her latest answer on a shelter stay: in force, it covers until it lapses."""
    stays = [r for r in rows if r.purpose == ConsentPurpose.SHELTER_STAY.value and r.occurred_at <= now]
    if not stays:
        return False, None
    latest = max(stays, key=lambda r: (r.occurred_at, r.recorded_at))
    if not _in_force(latest, now):
        return False, None
    return latest.valid_until is None, latest.valid_until


async def stay_of(
    session: AsyncSession, columns: Any, rows: list[Consent], now: datetime
) -> schemas.Stay:
    placed = (
        columns["track"] == Track.ADULT.value
        and columns["placement_agency_id"] is not None
        and Stage(columns["stage"]) in CONSENT_STAGES
    )
    if not placed:
        return schemas.Stay(
            placed=False, covered_by=None, covered_until=None, overstay=False, since=None
        )
    by_order = await _order_cover(session, columns["id"])
    by_consent = _consent_cover(rows, now)
    for source, (open_ended, until) in (("order", by_order), ("consent", by_consent)):
        if open_ended or (until is not None and until >= now):
            later = [u for o, u in (by_order, by_consent) if u is not None and u >= now]
            ends = None if open_ended else max(later)
            return schemas.Stay(
                placed=True, covered_by=source, covered_until=ends, overstay=False, since=None
            )
    ended = [u for _, u in (by_order, by_consent) if u is not None]
    return schemas.Stay(
        placed=True, covered_by=None, covered_until=None, overstay=True, since=max(ended, default=None)
    )


async def list_consents(
    session: AsyncSession, runtime: Runtime, principal: Principal, case_id: uuid.UUID
) -> schemas.ConsentList:
    """Her consents, oldest first, and whether her stay is covered now."""
    view, _ = await case_for_reading(session, principal, case_id, "aftercare")
    rows = list(
        (
            await session.execute(
                select(Consent)
                .where(Consent.case_id == view.id)
                .order_by(Consent.occurred_at, Consent.id)
            )
        ).scalars()
    )
    now = runtime.now()
    return schemas.ConsentList(
        items=[to_read(r, now) for r in rows], stay=await stay_of(session, view.columns, rows, now)
    )


async def consent_receipt(
    session: AsyncSession, runtime: Runtime, principal: Principal, consent_id: uuid.UUID
) -> schemas.ConsentRead:
    case_id = (
        await session.execute(select(Consent.case_id).where(Consent.id == consent_id))
    ).scalar_one_or_none()
    if case_id is None:
        raise not_found("consent")
    try:
        found = await list_consents(session, runtime, principal, case_id)
    except Problem as exc:
        raise not_found("consent") from exc
    return next(c for c in found.items if c.id == consent_id)
