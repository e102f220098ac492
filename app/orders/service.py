"""Issuing and reading orders. An order is made by the authority seized of the case (its CWC or
Magistrate, of the case's track), names the members who made it, and moves the case exactly as
``app.orders.policy.MOVES`` says, in one transaction with its audit event: the case is changed by a
conditional UPDATE on the version and stage it was read at, so an order that raced another change
of the case is a 409 and nothing of it is kept.

A compensation decision is the one order made by someone else: the legal services authority
before which the claim is (its forum). It leaves the case as it is and moves the claim instead
(``app.compensation.service.decide``), by a conditional UPDATE of the claim, in the same
transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import SAFETY, field_set
from app.access.visibility import colleagues
from app.agencies.models import Agency
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.permissions import AgencyType, Role
from app.auth.principal import Principal
from app.cases import changes
from app.cases.models import Case
from app.cases.service import get_case_row, get_case_view
from app.cases.vocab import Stage, Track
from app.compensation import service as compensation
from app.compensation.policy import FORUM_ROLES
from app.deadlines import service as deadlines
from app.documents.models import Document
from app.errors import Problem, invalid_field, not_found
from app.orders import schemas
from app.orders.models import Order
from app.orders.policy import (
    ADULT_AGE,
    AUTHORITY_OF,
    FORUM_KINDS,
    HOME_OUTCOMES,
    LEGAL_BASIS,
    MOVES,
    OUTCOMES,
    TRANSFER_KINDS,
    OrderKind,
    kinds_now,
)
from app.runtime import Runtime
from app.transfers.models import Transfer
from app.users.models import User, UserRole

_AUTHORITY_ROLES = frozenset({Role.CWC_MEMBER.value, Role.MAGISTRATE.value})
# Who sits on the bench that makes an order: the committee's or the court's members; for a
# compensation decision, the legal services authority's officers.
_FORUM_ROLES = frozenset(r.value for r in FORUM_ROLES)
# Who prepares a social investigation report (JJ s.36): the DCPU, or an NGO it names.
_INVESTIGATORS = frozenset({AgencyType.DCPU.value, AgencyType.NGO.value})
# Orders that end her time under the case's care cannot be made while a transfer is open: the
# transfer is cancelled or declined first, so that no transfer outlives its case.
_ENDING = frozenset({OrderKind.CLOSURE, OrderKind.AGED_OUT})


def check_request(data: Any, now: datetime) -> None:
    """The order's own errors, answered before the case is looked up (DOMAIN.md section 5)."""
    if OrderKind(data.kind) in TRANSFER_KINDS:
        raise invalid_field(
            "kind",
            "made_by_transfer",
            "Transfer and escort orders are made by the transfer's order and assign-escort actions.",
        )
    if data.occurred_at > now:
        raise invalid_field("occurred_at", "in_future", "An order cannot have been made in the future.")
    if OrderKind(data.kind) is OrderKind.COMPENSATION_DECISION and (
        (data.amount_awarded_paise == 0) != (data.refusal_reason is not None)
    ):
        raise invalid_field(
            "refusal_reason",
            "refusal_reason",
            "A decision awarding nothing gives its refusal_reason; an award gives none.",
        )


def allowed_now(principal: Principal, case: Case, relations: set[str]) -> list[str]:
    """What the principal may do to the case now: the case's own actions, and the orders its
    authority may make at this stage."""
    found = changes.allowed_actions(principal, case, relations)
    if "competent_authority" in relations:
        found += kinds_now(Track(case.track), Stage(case.stage))
    return found


async def _members(
    session: AsyncSession,
    principal: Principal,
    members: list[uuid.UUID],
    roles: frozenset[str] = _AUTHORITY_ROLES,
) -> list[str]:
    """The issuing members: active users of the caller's agency who sit on its bench or court
    (hold one of ``roles``), the caller among them."""
    wanted = set(members)
    if principal.id not in wanted:
        raise invalid_field("issuing_members", "caller_missing", "The issuing members include you.")
    found = await session.execute(
        select(func.count(func.distinct(User.id)))
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.id.in_(wanted),
            colleagues(principal),
            User.active.is_(True),
            UserRole.role.in_(roles),
        )
    )
    if found.scalar_one() != len(wanted):
        raise invalid_field(
            "issuing_members",
            "not_members",
            "Each issuing member is an active member of your committee or court.",
        )
    return sorted(str(m) for m in wanted)


async def _active_agency(session: AsyncSession, agency_id: uuid.UUID) -> Agency | None:
    return (
        await session.execute(select(Agency).where(Agency.id == agency_id, Agency.active.is_(True)))
    ).scalar_one_or_none()


async def _has_open_transfer(session: AsyncSession, case_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(Transfer.id).where(Transfer.case_id == case_id, Transfer.ended_at.is_(None)).limit(1)
    )
    return found.first() is not None


async def _kind_values(
    session: AsyncSession, case: Case, data: Any, target: Stage
) -> tuple[dict[str, Any], dict[str, Any], list[ObjectRef]]:
    """What the order changes on the case, what it keeps in its details, and the objects it
    names, by kind; a request the case makes wrong is a 422 naming the field."""
    kind = OrderKind(data.kind)
    track = Track(case.track)
    values: dict[str, Any] = {}
    details: dict[str, Any] = {}
    named: list[ObjectRef] = []
    if kind is OrderKind.PLACEMENT:
        shelter = await _active_agency(session, data.placement_agency_id)
        where = case.current_state or case.rescue_state
        if shelter is None or shelter.type != AgencyType.SHELTER.value or shelter.state != where:
            raise invalid_field(
                "placement_agency_id",
                "wrong_agency",
                "She is placed in an active shelter or home of the state she is in.",
            )
        values["placement_agency_id"] = shelter.id
        details["placement_agency_id"] = str(shelter.id)
        named.append(ObjectRef("agency", shelter.id))
    elif kind is OrderKind.SIR_DIRECTION and data.investigator_agency_id is not None:
        investigator = await _active_agency(session, data.investigator_agency_id)
        if investigator is None or investigator.type not in _INVESTIGATORS:
            raise invalid_field(
                "investigator_agency_id",
                "wrong_agency",
                "The social investigation is prepared by an active DCPU or NGO.",
            )
        details["investigator_agency_id"] = str(investigator.id)
        named.append(ObjectRef("agency", investigator.id))
    elif kind is OrderKind.AGE_DETERMINATION:
        values["age_determined"] = data.age_determined
        values["age_basis"] = data.age_basis.value
        determined = Track.ADULT if data.age_determined >= ADULT_AGE else Track.CHILD
        details["track_determined"] = determined.value
        if determined is not track:
            # She is on the wrong track: the authority of the other track takes her case from
            # the start, once she is produced before it (the production report seizes it).
            values.update(track=determined.value, competent_authority_id=None)
            values["stage"] = Stage.RESCUED.value
    elif kind is OrderKind.FINAL_ORDER:
        if data.outcome not in OUTCOMES[track]:
            raise invalid_field(
                "outcome",
                "wrong_outcome",
                f"A {track.value}'s final order is one of: {', '.join(sorted(OUTCOMES[track]))}.",
            )
        details["outcome"] = data.outcome
    elif kind is OrderKind.CLOSURE:
        values.update(closed_at=data.occurred_at, closure_reason=data.closure_reason)
    elif kind is OrderKind.AGED_OUT:
        details["next_step"] = data.next_step
    elif kind is OrderKind.DISCLOSURE_PERMISSION:
        details.update(
            recipient=data.recipient,
            purpose=data.purpose.value,
            fields=sorted(f.value for f in data.fields),
        )
    elif kind is OrderKind.COMPENSATION_DECISION:
        details.update(claim_id=str(data.claim_id), amount_awarded_paise=data.amount_awarded_paise)
        if data.refusal_reason is not None:
            details["refusal_reason"] = data.refusal_reason
        named.append(ObjectRef(compensation.OBJECT, data.claim_id))
        return values, details, named  # the case itself is not changed
    values.setdefault("stage", target.value)
    return values, details, named


async def issue_order(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: Any,
) -> Order:
    """Make an order on a case as its authority, moving the case as DOMAIN.md section 2 says.
    Checks in DOMAIN.md section 5's order: 404 for a case the caller cannot see, 403 for one
    it sees but whose authority it is not, 409 (with what it may do now) for an order the case's
    track or stage does not take; an error of what the order carries is a 422."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    track = Track(case.track)
    kind = OrderKind(data.kind)
    claim = None
    if kind is OrderKind.COMPENSATION_DECISION:
        # By the claim's forum, not by the authority seized (403 / 422 / 409 there).
        claim = await compensation.claim_to_decide(
            session, principal, case.id, data.claim_id, data.occurred_at
        )
    elif "competent_authority" not in relations or principal.agency_type is not AUTHORITY_OF[track]:
        raise Problem(
            403,
            f"Orders on this case are made by the {AUTHORITY_OF[track].value} seized of it.",
        )
    stage = Stage(case.stage)
    move = MOVES[kind].get(track)
    if move is None or stage not in move.from_stages:
        detail = (
            f"A {kind.value} order is not made on the {track.value} track."
            if move is None
            else f"The case is {stage.value}; a {kind.value} order is not made now."
        )
        raise Problem(409, detail, allowed_actions=allowed_now(principal, case, relations))
    if kind in _ENDING and await _has_open_transfer(session, case.id):
        raise Problem(
            409,
            "The case has an open transfer: it is cancelled or declined first.",
            allowed_actions=allowed_now(principal, case, relations),
        )
    if data.occurred_at < case.opened_at:
        raise invalid_field("occurred_at", "before_rescue", "An order is made after the rescue.")
    bench = _FORUM_ROLES if kind in FORUM_KINDS else _AUTHORITY_ROLES
    members = await _members(session, principal, data.issuing_members, bench)
    if data.document_id is not None:
        found = await session.execute(
            select(Document.id).where(Document.id == data.document_id, Document.case_id == case.id)
        )
        if found.first() is None:
            raise invalid_field(
                "document_id", "not_of_case", "The order's document is one of this case."
            )
    values, details, named = await _kind_values(session, case, data, move.target(stage))
    if "track" in values and await _has_open_transfer(session, case.id):
        raise Problem(
            409,
            "The case has an open transfer on its present track: it is cancelled first.",
            allowed_actions=allowed_now(principal, case, relations),
        )
    before = {name: getattr(case, name) for name in values}
    now = runtime.now()
    # Every order of the authority moves (or at least re-versions) the case; a forum's order
    # changes nothing of it.
    result = None
    if kind not in FORUM_KINDS:
        result = await session.execute(
            update(Case)
            .where(Case.id == case.id, Case.version == case.version, Case.stage == case.stage)
            .values(**values, version=case.version + 1, updated_at=now)
            # Leave the loaded case as it was: _deadlines reads the stage before the order
            # (the ORM's default would write the new values into it; refreshed at the end).
            .execution_options(synchronize_session=False)
        )
    if result is not None and cast(CursorResult[Any], result).rowcount != 1:
        raise Problem(
            409,
            "The case changed at the same moment; read it again.",
            allowed_actions=allowed_now(principal, case, relations),
        )
    order = Order(
        id=uuid.uuid4(),
        case_id=case.id,
        kind=kind.value,
        issued_by_agency_id=principal.agency_id,
        issuing_members=members,
        legal_basis=data.legal_basis or LEGAL_BASIS[kind][track],
        form_reference=data.form_reference,
        reasons=data.reasons,
        details=details,
        document_id=data.document_id,
        occurred_at=data.occurred_at,
        recorded_at=now,
    )
    session.add(order)
    await session.flush()
    await _deadlines(session, runtime, case, order, values, data)
    if claim is not None:
        await compensation.decide(session, runtime, principal, claim, order.id, data)
    case_ref, order_ref = ObjectRef("case", case.id), ObjectRef("order", order.id)
    recorded = [Change(order_ref, "kind", kind.value)] + [
        Change(case_ref, name, _plain(value), _plain(before[name]))
        for name, value in values.items()
        if value != before[name]
    ]
    await record_event(
        session,
        Actor.of(principal),
        "order.issued",
        [case_ref, order_ref, *named],
        recorded,
        case_id=case.id,
    )
    await session.refresh(case)
    return order


async def _deadlines(
    session: AsyncSession,
    runtime: Runtime,
    case: Case,
    order: Order,
    values: dict[str, Any],
    data: Any,
) -> None:
    """The deadlines the order starts, meets or ends (DOMAIN.md section 7). ``case`` is the
    case as it was before the order."""
    kind, at, source = OrderKind(order.kind), order.occurred_at, ("order", order.id)
    settings = runtime.settings

    async def start(rule_id: str, owed_by: uuid.UUID | None) -> None:
        await deadlines.start(session, settings, case.id, rule_id, at, owed_by, source)

    if kind in _ENDING or "track" in values:
        reason = "the case was closed" if kind is OrderKind.CLOSURE else f"{kind.value} order"
        # A compensation claim outlives the case file: its forum still owes the decision.
        await deadlines.waive(session, case.id, reason, except_rules=[compensation.RULE])
    if case.track == Track.CHILD.value and kind not in FORUM_KINDS:
        await start("JJ101_APPEAL", None)  # s.101: a CWC order may be appealed within 30 days
    if kind is OrderKind.AGE_DETERMINATION and "track" not in values:
        await start("JJ94_AGE", case.owner_agency_id)
    elif kind is OrderKind.SIR_DIRECTION:
        investigator = data.investigator_agency_id or case.owner_agency_id
        await start("JJ36_SIR", investigator)
    elif kind is OrderKind.PLACEMENT and values["stage"] == Stage.INTERMEDIATE_CUSTODY.value:
        if case.stage != values["stage"]:
            await start("ITPA17_INTERMEDIATE", case.competent_authority_id)
    elif kind is OrderKind.SAFE_CUSTODY:
        await deadlines.meet(session, case.id, ["ITPA17_INTERMEDIATE"], at)
        await start("ITPA17_SAFE_CUSTODY", case.competent_authority_id)
    elif kind is OrderKind.FINAL_ORDER:
        met = ["JJ36_FINAL_ORDER", "ITPA17_INTERMEDIATE", "ITPA17_SAFE_CUSTODY"]
        await deadlines.meet(session, case.id, met, at)
        if data.outcome in HOME_OUTCOMES:
            await start("FOLLOW_UP_VISIT", case.owner_agency_id)


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_read(order: Order, *, safety: bool) -> schemas.OrderRead:
    """An order as read: where she is placed is `safety` data, shown only to those who read it."""
    details = dict(order.details)
    if not safety:
        details.pop("placement_agency_id", None)
    return schemas.OrderRead(
        id=order.id,
        case_id=order.case_id,
        kind=order.kind,
        issued_by_agency_id=order.issued_by_agency_id,
        issuing_members=list(order.issuing_members),
        legal_basis=order.legal_basis,
        form_reference=order.form_reference,
        reasons=order.reasons,
        transfer_id=order.transfer_id,
        document_id=order.document_id,
        details=details,
        occurred_at=order.occurred_at,
        recorded_at=order.recorded_at,
    )


async def list_orders(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID
) -> list[schemas.OrderRead]:
    """The orders of a case, in the order they were made, for a caller whose field set holds
    them (403 for one that sees the case without them: an escort, an overseeing WCD)."""
    view = await get_case_view(session, principal, case_id)
    allowed = field_set(
        principal, view.relations, assigned=view.assigned, family_complicity=view.family_complicity
    )
    if "orders" not in allowed.case_fields:
        raise Problem(403, "Your relation to the case does not read its orders.")
    safety = bool(allowed.case_fields & SAFETY)
    found = await session.execute(
        select(Order).where(Order.case_id == view.id).order_by(Order.occurred_at, Order.id)
    )
    return [to_read(order, safety=safety) for order in found.scalars()]


async def order_receipt(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID
) -> schemas.OrderRead:
    """One order, for a caller who reads its case's orders (a replayed POST re-reads it so);
    else 404, as if it did not exist."""
    case_id = (
        await session.execute(select(Order.case_id).where(Order.id == order_id))
    ).scalar_one_or_none()
    if case_id is None:
        raise not_found("order")
    try:
        orders = await list_orders(session, principal, case_id)
    except Problem as exc:
        raise not_found("order") from exc
    return next(o for o in orders if o.id == order_id)
