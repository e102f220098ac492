"""The interstate transfer: creating one, each action of DOMAIN.md section 3, escalation, and
reading transfers through the one visibility predicate.

Every action is one conditional UPDATE of the transfer on the status and version it was read at,
so of two principals acting at once exactly one applies and the other is told 409 with what it
may do now; the case's stage and owner move in the same transaction (on the stage it was read
at), with one audit event naming both. Nothing is half-applied: any failure rolls back the whole
request.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Integer,
    Uuid,
    bindparam,
    delete,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_params
from app.access.cases import Shape, shape_of
from app.access.escalation import escalated_now
from app.access.transfers import ESCORT_AGENCY_TYPES, sides_of, visible_of
from app.agencies.models import Agency
from app.audit.events import Actor as EventActor
from app.audit.events import Change, ObjectRef, record_event
from app.auth.current import (
    first_entity_row_checked,
    rows_checked,
    session_now,
)
from app.auth.permissions import AgencyType
from app.auth.principal import Principal
from app.cases.models import Case, CaseAssignee
from app.cases.service import get_case_row
from app.cases.vocab import Sex, Stage, Track
from app.db import AnySelect, UTCDateTime
from app.deadlines import service as deadlines
from app.documents.models import Document
from app.errors import Problem, invalid_field, not_found
from app.orders.models import Order
from app.pagination import decode_cursor, split_page
from app.runtime import Runtime
from app.transfers import schemas
from app.transfers.clock import day_end
from app.transfers.models import Transfer, TransferAct, TransferDocument
from app.transfers.policy import (
    ACTIONS,
    ENDED,
    ESCALATORS,
    ORDERED_ON,
    Action,
    Actor,
    Side,
    Status,
    Step,
    TransferFacts,
    actors_of,
    allowed_actions,
    may_escalate,
    step_for,
)

# Stages from which a case can be ordered into a transfer: produced before the authority, and
# not in transfer, closed or out on a side exit.
TRANSFERABLE = frozenset(
    {
        Stage.PRODUCED,
        Stage.INTERIM_CARE,
        Stage.UNDER_INQUIRY,
        Stage.INTERMEDIATE_CUSTODY,
        Stage.SAFE_CUSTODY,
        Stage.HOME_VERIFICATION,
        Stage.MAGISTRATE_ORDER,
    }
)
# Who takes her in at home: an NGO, a DCPU, a home or shelter, or the state's WCD.
RECEIVING_TYPES = frozenset({AgencyType.NGO, AgencyType.DCPU, AgencyType.SHELTER, AgencyType.WCD})
# JJ s.95 / Model Rule 81: the escort takes her home within 15 days of the escort order.
ESCORT_DAYS = 15
LEGAL_BASIS = {
    Track.CHILD: "JJ Act 2015 s.95; JJ Model Rules 2016 r.81",
    Track.ADULT: "ITPA 1956 s.17",
}


# ---- reading ----------------------------------------------------------------------------------


@dataclass
class TransferView:
    transfer: Transfer
    sides: set[Side]
    facts: TransferFacts
    actors: frozenset[Actor] = field(default_factory=frozenset)


def _facts(transfer: Transfer, now: datetime, *, foreign_national: bool) -> TransferFacts:
    status = Status(transfer.status)
    due = transfer.consultation_due_at
    return TransferFacts(
        status=status,
        track=Track(transfer.track),
        receiving_authority_named=transfer.receiving_authority_id is not None,
        escalated=transfer.escalated,
        consultation_overdue=due is not None and now > due,
        foreign_national=foreign_national,
    )


def is_escalated(transfer: Transfer, now: datetime) -> bool:
    """The Python twin of ``app.access.escalation.escalated_now``: an open transfer, past the
    request for consultation, whose flag is raised or one of whose deadlines is breached."""
    if transfer.ended_at is not None or transfer.consultation_requested_at is None:
        return False
    return transfer.escalated or is_breached(transfer, now)


def is_breached(transfer: Transfer, now: datetime) -> bool:
    """The Python twin of ``app.access.transfers.breached`` for a row already read (a test
    checks that the two agree)."""
    status = Status(transfer.status)

    def past(due: datetime | None) -> bool:
        return due is not None and now > due

    return (
        (status is Status.CONSULTATION_REQUESTED and past(transfer.consultation_due_at))
        or (status in (Status.ESCORT_ASSIGNED, Status.IN_TRANSIT) and past(transfer.escort_due_at))
        or (status is Status.HANDED_OVER and past(transfer.acceptance_due_at))
    )


@functools.cache
def _with_sides(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    """SELECT visible transfers with each side the caller can stand on (labelled columns)."""
    sides = sides_of(shape)
    statement: AnySelect = select(
        Transfer,
        _FOREIGN_NATIONAL,
        *[clause.label(f"side_{name}") for name, clause in sides.items()],
    ).where(visible_of(shape))
    return statement, tuple(sides)


# Whether she is a foreign national (a border hand-over is for her alone), read with the transfer.
_FOREIGN_NATIONAL = (
    select((Case.nationality != "IN") | (Case.home_country != "IN"))
    .where(Case.id == Transfer.case_id)
    .scalar_subquery()
    .label("foreign_national")
)


@functools.cache
def _by_id(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    statement, names = _with_sides(shape)
    return statement.where(Transfer.id == bindparam("transfer_id", type_=Uuid())), names


@functools.cache
def _by_ids(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    statement, names = _with_sides(shape)
    return statement.where(Transfer.id.in_(bindparam("transfer_ids", expanding=True))), names


def _view(principal: Principal, row: Any, names: tuple[str, ...], now: datetime) -> TransferView:
    transfer, foreign, *held = tuple(row)
    sides = {Side(name) for name, holds in zip(names, held, strict=True) if holds}
    facts = _facts(transfer, now, foreign_national=bool(foreign))
    return TransferView(transfer, sides, facts, actors_of(principal, sides, facts))


async def get_transfer_view(
    session: AsyncSession, principal: Principal, transfer_id: uuid.UUID
) -> TransferView:
    """A transfer the caller may see, with the sides it stands on (one statement, in the
    request's transaction, the token check riding along); else 404."""
    statement, names = _by_id(shape_of(principal))
    row = await first_entity_row_checked(session, principal, statement, {"transfer_id": transfer_id})
    if row is None:
        raise not_found("transfer")
    return _view(principal, row, names, session_now(session))


async def read_transfer(
    session: AsyncSession, principal: Principal, transfer_id: uuid.UUID
) -> schemas.TransferRead:
    view = await get_transfer_view(session, principal, transfer_id)
    return (await _reads(session, principal, [view]))[0]


async def _reads(
    session: AsyncSession, principal: Principal, views: list[TransferView]
) -> list[schemas.TransferRead]:
    """Transfers as read, with their acts and bundles: three statements for any number."""
    now = session_now(session)
    ids = [v.transfer.id for v in views]
    acts: dict[uuid.UUID, list[schemas.TransferActRead]] = {i: [] for i in ids}
    for a in (
        await session.execute(
            select(TransferAct)
            .where(TransferAct.transfer_id.in_(ids))
            .order_by(TransferAct.recorded_at, TransferAct.id)
        )
    ).scalars():
        acts[a.transfer_id].append(
            schemas.TransferActRead(
                action=a.action,
                from_status=a.from_status,
                to_status=a.to_status,
                actor_id=a.actor_id,
                actor_agency_id=a.actor_agency_id,
                data=a.data,
                occurred_at=a.occurred_at,
                recorded_at=a.recorded_at,
            )
        )
    bundles: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    for transfer_id, document_id in await session.execute(
        select(TransferDocument.transfer_id, TransferDocument.document_id)
        .where(TransferDocument.transfer_id.in_(ids))
        .order_by(TransferDocument.document_id)
    ):
        bundles[transfer_id].append(document_id)
    return [_shape(principal, v, acts[v.transfer.id], bundles[v.transfer.id], now) for v in views]


def _shape(
    principal: Principal,
    view: TransferView,
    acts: list[schemas.TransferActRead],
    bundle: list[uuid.UUID],
    now: datetime,
) -> schemas.TransferRead:
    transfer = view.transfer
    return schemas.TransferRead(
        id=transfer.id,
        case_id=transfer.case_id,
        status=transfer.status,
        track=transfer.track,
        sending_agency_id=transfer.sending_agency_id,
        sending_authority_id=transfer.sending_authority_id,
        sending_state=transfer.sending_state,
        receiving_agency_id=transfer.receiving_agency_id,
        receiving_authority_id=transfer.receiving_authority_id,
        receiving_state=transfer.receiving_state,
        escort_agency_id=transfer.escort_agency_id,
        escalated=is_escalated(transfer, now),
        escalation_raised=transfer.escalated,
        deadlines={
            "TRANSFER_CONSULTATION": transfer.consultation_due_at,
            "JJ95_ESCORT": transfer.escort_due_at,
            "TRANSFER_ACCEPTANCE": transfer.acceptance_due_at,
        },
        document_ids=bundle,
        sides=sorted(s.value for s in view.sides),
        allowed_actions=allowed_actions(principal, view.actors, view.facts),
        acts=acts,
        version=transfer.version,
        created_at=transfer.created_at,
        updated_at=transfer.updated_at,
    )


# Bounded: the key follows the query string.
@functools.lru_cache(maxsize=256)
def _page_select(shape: Shape, filters: frozenset[str], direction: str | None, after: bool) -> AnySelect:
    sides = sides_of(shape)
    statement: AnySelect = select(Transfer.id, Transfer.updated_at).where(visible_of(shape))
    if direction is not None:
        wanted = (
            (Side.RECEIVING_AGENCY, Side.RECEIVING_AUTHORITY)
            if direction == "incoming"
            else (Side.SENDING_AGENCY, Side.SENDING_AUTHORITY)
        )
        clauses = [sides[s] for s in wanted if s in sides]
        statement = statement.where(or_(*clauses) if clauses else Transfer.id.is_(None))
    if "status" in filters:
        statement = statement.where(Transfer.status == bindparam("status"))
    if "case_id" in filters:
        statement = statement.where(Transfer.case_id == bindparam("case_id", type_=Uuid()))
    if "escalated" in filters:
        statement = statement.where(escalated_now() == bindparam("escalated"))
    if after:
        statement = statement.where(
            tuple_(Transfer.updated_at, Transfer.id)
            < tuple_(
                bindparam("after_updated", type_=UTCDateTime()),
                bindparam("after_id", type_=Uuid()),
            )
        )
    return statement.order_by(Transfer.updated_at.desc(), Transfer.id.desc()).limit(
        bindparam("page_size", type_=Integer())
    )


async def list_transfers(
    session: AsyncSession,
    principal: Principal,
    filters: Mapping[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[schemas.TransferRead], str | None]:
    """Transfers the caller may see, most recently changed first: an agency's inbox
    (``direction=incoming``) and outbox (``outgoing``); the escalated ones of a state for its
    commission and WCD."""
    values = {
        name: value
        for name, value in filters.items()
        if name in ("status", "case_id", "escalated") and value is not None
    }
    direction = filters.get("direction")
    if cursor is not None:
        values["after_updated"], values["after_id"] = decode_cursor(cursor, datetime, uuid.UUID)
    statement = _page_select(shape_of(principal), frozenset(values), direction, cursor is not None)
    rows = await rows_checked(session, principal, statement, {**values, "page_size": limit + 1})
    rows, next_cursor = split_page(
        rows, limit, lambda last: [last["updated_at"].isoformat(), str(last["id"])]
    )
    if not rows:
        return [], next_cursor
    statement, names = _by_ids(shape_of(principal))
    found = await session.execute(
        statement,
        {**caller_params(principal, session_now(session)), "transfer_ids": [r["id"] for r in rows]},
    )
    views = {v.transfer.id: v for v in (_view(principal, r, names, session_now(session)) for r in found)}
    # In the page's order; a transfer that left the caller's view in between is left out.
    ordered = [views[r["id"]] for r in rows if r["id"] in views]
    return await _reads(session, principal, ordered), next_cursor


# ---- acting -----------------------------------------------------------------------------------


def _occurred(data: schemas.Act, now: datetime) -> datetime:
    return data.occurred_at or now


def not_in_future(data: schemas.Act, now: datetime) -> None:
    """A request error that needs no object (checked before the transfer is looked up)."""
    if data.occurred_at is not None and data.occurred_at > now:
        raise invalid_field("occurred_at", "in_future", "An act cannot have happened in the future.")


async def _lost_race(
    session: AsyncSession, principal: Principal, view: TransferView, now: datetime
) -> Problem:
    """The 409 for a principal whose conditional UPDATE found the transfer changed: what it may
    do now, from the transfer as the winner left it."""
    transfer = view.transfer
    await session.refresh(transfer)
    facts = _facts(transfer, now, foreign_national=view.facts.foreign_national)
    fresh = TransferView(transfer, view.sides, facts, actors_of(principal, view.sides, facts))
    return _conflict("Someone acted on the transfer at the same moment.", principal, fresh)


def _besides(action: str, principal: Principal, view: TransferView) -> list[str]:
    """What the principal may do now, less an action the case itself refuses."""
    return [a for a in allowed_actions(principal, view.actors, view.facts) if a != action]


def _conflict(detail: str, principal: Principal, view: TransferView) -> Problem:
    return Problem(409, detail, allowed_actions=allowed_actions(principal, view.actors, view.facts))


def decide(principal: Principal, action: Action, view: TransferView, expected: int | None) -> Step:
    """DOMAIN.md section 5, steps 5 and 6, for a visible transfer: 403 when the principal is
    never an actor of this action; 412 for a stale If-Match; 409 (with what it may do now) when
    it is the right actor but the transfer is not in a state it may act from."""
    if not view.actors & action.actors:
        raise Problem(403, f"Your side of this transfer does not {action.name}.")
    if expected is not None and expected != view.transfer.version:
        raise Problem(412, "The transfer changed since you read it; read it again and retry.")
    step = step_for(action, view.actors, view.facts)
    if step is None:
        detail = f"The transfer is {view.transfer.status}; you cannot {action.name} it now."
        if action.name == "order" and view.facts.status is Status.CONSULTATION_REQUESTED:
            detail = "The consultation is unanswered and its deadline has not passed."
        if action.name == "border-handover" and not view.facts.foreign_national:
            detail = "A border hand-over is for a foreign national; she is recorded as Indian."
        raise _conflict(detail, principal, view)
    return step


async def _last_occurred(session: AsyncSession, transfer_id: uuid.UUID) -> datetime | None:
    found = await session.execute(
        select(TransferAct.occurred_at)
        .where(TransferAct.transfer_id == transfer_id)
        .order_by(TransferAct.occurred_at.desc())
        .limit(1)
    )
    return found.scalar()


async def _move(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    action: str,
    step: Step,
    occurred_at: datetime,
    data: dict[str, Any],
    values: dict[str, Any] | None = None,
) -> list[Change]:
    """Apply ``step`` if the transfer is still as it was read; record the act. A principal that
    lost the race is told 409 with what it may do now."""
    transfer = view.transfer
    # Read before the UPDATE: the session brings the loaded row up to date when it runs.
    before_status, before_version = transfer.status, transfer.version
    previous = await _last_occurred(session, transfer.id)
    now = runtime.now()
    changed = {
        **(values or {}),
        "status": step.target.value,
        "version": before_version + 1,
        "updated_at": now,
    }
    if step.target in ENDED:
        changed["ended_at"] = occurred_at
    result = await session.execute(
        update(Transfer)
        .where(
            Transfer.id == transfer.id,
            Transfer.status == before_status,
            Transfer.version == before_version,
        )
        .values(**changed)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise await _lost_race(session, principal, view, now)
    # Judged only once the UPDATE hit: an act a concurrent winner had just recorded would make the
    # loser's act look out of order (422) when it is late (409). Had anyone acted since the read,
    # the UPDATE would have missed, so ``previous`` is still the last act. A 422 here rolls the
    # UPDATE back with the request.
    if previous is not None and occurred_at < previous:
        raise invalid_field("occurred_at", "out_of_order", "An act cannot precede the one before it.")
    session.add(
        TransferAct(
            transfer_id=transfer.id,
            action=action,
            from_status=before_status,
            to_status=step.target.value,
            actor_id=principal.id,
            actor_agency_id=principal.agency_id,
            data=data,
            occurred_at=occurred_at,
            recorded_at=now,
        )
    )
    ref = ObjectRef("transfer", transfer.id)
    return [Change(ref, "status", step.target.value, before_status)] + [
        Change(ref, name, value)
        for name, value in (values or {}).items()
        if name not in ("consultation_due_at", "escort_due_at", "acceptance_due_at")
    ]


async def _case_of(session: AsyncSession, transfer: Transfer) -> Case:
    case = await session.get(Case, transfer.case_id, populate_existing=True)
    assert case is not None  # a transfer's case is deleted only with it
    return case


async def _move_case(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    case: Case,
    values: dict[str, Any],
) -> list[Change]:
    """Change the case on the stage and version it was read at (a concurrent change of the case
    is a conflict that rolls back the transfer's move too)."""
    # Read before the UPDATE: the session brings the loaded case up to date when it runs.
    before = {name: getattr(case, name) for name in values}
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.stage == case.stage, Case.version == case.version)
        .values(**values, version=case.version + 1, updated_at=runtime.now())
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise _conflict("The case changed at the same moment; read it again.", principal, view)
    ref = ObjectRef("case", case.id)
    return [
        Change(ref, name, _plain(value), _plain(before[name]))
        for name, value in values.items()
        if value != before[name]
    ]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def _event(
    session: AsyncSession,
    principal: Principal,
    name: str,
    transfer: Transfer,
    changes: list[Change],
    *extra: ObjectRef,
) -> None:
    await record_event(
        session,
        EventActor.of(principal),
        f"transfer.{name}",
        [ObjectRef("transfer", transfer.id), ObjectRef("case", transfer.case_id), *extra],
        changes,
        case_id=transfer.case_id,
    )


async def _agency(session: AsyncSession, agency_id: uuid.UUID) -> Agency | None:
    return (
        await session.execute(select(Agency).where(Agency.id == agency_id, Agency.active.is_(True)))
    ).scalar_one_or_none()


async def create_transfer(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: schemas.TransferCreate,
) -> Transfer:
    """A draft transfer of a case to an agency of her home state, by the owner's staff. At most
    one transfer of a case is open at a time."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    if "owner" not in relations:
        raise Problem(403, "Transfers are proposed by the agency that owns the case.")
    stage = Stage(case.stage)
    if stage not in TRANSFERABLE or case.competent_authority_id is None:
        raise Problem(
            409,
            f"The case is {case.stage}: a transfer is proposed once she is produced and not in "
            "transfer, closed or away.",
            allowed_actions=[],
        )
    if case.home_state is None:
        raise Problem(
            409, "Her home state is not known yet: trace the family first.", allowed_actions=[]
        )
    receiving = await _agency(session, data.receiving_agency_id)
    if (
        receiving is None
        or AgencyType(receiving.type) not in RECEIVING_TYPES
        or receiving.state != case.home_state
        or receiving.id == case.owner_agency_id
    ):
        raise invalid_field(
            "receiving_agency_id",
            "wrong_agency",
            "The receiving agency is an active NGO, DCPU, home or WCD of her home state.",
        )
    track = Track(case.track)
    wanted = AgencyType.CWC if track is Track.CHILD else AgencyType.MAGISTRATE
    authority = None
    if data.receiving_authority_id is not None:
        authority = await _agency(session, data.receiving_authority_id)
        if authority is None or authority.type != wanted.value or authority.state != case.home_state:
            raise invalid_field(
                "receiving_authority_id",
                "wrong_authority",
                f"The receiving authority is an active {wanted.value} of her home state.",
            )
    elif track is Track.CHILD:
        raise invalid_field(
            "receiving_authority_id",
            "missing",
            "A child is transferred to the CWC of her home district (or the state capital's).",
        )
    now = runtime.now()
    transfer = Transfer(
        id=uuid.uuid4(),
        case_id=case.id,
        status=Status.DRAFT.value,
        track=track.value,
        sending_agency_id=case.owner_agency_id,
        sending_authority_id=case.competent_authority_id,
        sending_state=case.current_state or case.rescue_state,
        receiving_agency_id=receiving.id,
        receiving_authority_id=authority.id if authority else None,
        receiving_state=case.home_state,
        escalated=False,
        version=1,
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(transfer)
            await session.flush()
    except IntegrityError as exc:
        raise Problem(409, "The case has an open transfer already.", allowed_actions=[]) from exc
    session.add(
        TransferAct(
            transfer_id=transfer.id,
            action="create",
            from_status=None,
            to_status=Status.DRAFT.value,
            actor_id=principal.id,
            actor_agency_id=principal.agency_id,
            data={"reasons": data.reasons},
            occurred_at=now,
            recorded_at=now,
        )
    )
    ref = ObjectRef("transfer", transfer.id)
    await _event(
        session,
        principal,
        "created",
        transfer,
        [
            Change(ref, "status", Status.DRAFT.value),
            Change(ref, "receiving_agency_id", str(receiving.id)),
            Change(ref, "receiving_authority_id", str(authority.id) if authority else None),
        ],
        ObjectRef("agency", receiving.id),
    )
    return transfer


async def act(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    transfer_id: uuid.UUID,
    action_name: str,
    data: schemas.Act,
    expected: int | None,
) -> uuid.UUID:
    """Take ``action_name`` on a transfer, as DOMAIN.md section 3's table allows; returns the
    transfer's id. Checks in the order of DOMAIN.md section 5 (the request's own errors were
    answered before this)."""
    action = ACTIONS[action_name]
    view = await get_transfer_view(session, principal, transfer_id)
    step = decide(principal, action, view, expected)
    handler = _HANDLERS[action_name]
    await handler(session, runtime, principal, view, step, data)
    return view.transfer.id


# Each handler validates what the action carries against the transfer and the case, then moves
# both. They run after ``decide``: the principal is the right actor, in the right state.


async def _request_consultation(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    body = cast(schemas.ConsultationRequest, data)
    transfer = view.transfer
    wanted = sorted(set(body.document_ids))
    found = await session.execute(
        select(Document.id).where(Document.id.in_(wanted), Document.case_id == transfer.case_id)
    )
    if sorted(found.scalars()) != wanted:
        raise invalid_field("document_ids", "not_of_case", "The bundle is documents of this case.")
    occurred = _occurred(body, runtime.now())
    changes = await _move(
        session,
        runtime,
        principal,
        view,
        "request-consultation",
        step,
        occurred,
        {"document_ids": [str(d) for d in wanted]},
        {
            "consultation_requested_at": occurred,
            # Counted from when the request was entered, not from when it is said to have been
            # made: the receiving side sees it only from now, and a backdated request must not
            # shorten its time to answer (or let the order come at once).
            "consultation_due_at": day_end(runtime.now(), runtime.settings.transfer_consultation_days),
        },
    )
    await session.execute(
        insert(TransferDocument), [{"transfer_id": transfer.id, "document_id": d} for d in wanted]
    )
    await deadlines.start(
        session, runtime.settings, transfer.case_id, "TRANSFER_CONSULTATION", occurred,
        transfer.receiving_authority_id or transfer.receiving_agency_id, ("transfer", transfer.id),
        due=transfer.consultation_due_at,
    )  # fmt: skip
    await _event(session, principal, "consultation_requested", transfer, changes)


async def _answer_consultation(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    body = cast(schemas.ConsultationAnswerBody, data)
    changes = await _move(
        session,
        runtime,
        principal,
        view,
        "answer-consultation",
        step,
        _occurred(body, runtime.now()),
        {"answer": body.answer.value, "reason": body.reason},
        {"consultation_answer": body.answer.value},
    )
    await deadlines.meet(
        session, view.transfer.case_id, ["TRANSFER_CONSULTATION"], _occurred(body, runtime.now())
    )
    await _event(session, principal, "consultation_answered", view.transfer, changes)


async def _order(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    body = cast(schemas.OrderBody, data)
    transfer = view.transfer
    if transfer.consultation_answer == "object" and body.objection_response is None:
        raise invalid_field(
            "objection_response", "missing", "The receiving side objected: the order must answer it."
        )
    case = await _case_of(session, transfer)
    if Stage(case.stage) not in TRANSFERABLE:
        raise Problem(
            409,
            f"The case is {case.stage}; it cannot be ordered into transfer now.",
            allowed_actions=_besides("order", principal, view),
        )
    occurred = _occurred(body, runtime.now())
    order = await _make_order(
        session, principal, transfer, "transfer", occurred, body.reasons, body.form_reference,
        {"objection_response": body.objection_response},
    )  # fmt: skip
    if transfer.track == Track.CHILD.value:
        # JJ s.101: the transfer order is a CWC order, appealable within 30 days like the others.
        await deadlines.start(
            session, runtime.settings, transfer.case_id, "JJ101_APPEAL", occurred, None,
            ("order", order.id),
        )  # fmt: skip
    changes = await _move(
        session,
        runtime,
        principal,
        view,
        "order",
        step,
        occurred,
        {
            "order_id": str(order.id),
            "reasons": body.reasons,
            "objection_response": body.objection_response,
        },
        {"stage_before": case.stage},
    )
    changes += await _move_case(
        session, runtime, principal, view, case, {"stage": Stage.IN_TRANSFER.value}
    )
    # Ordered after the consultation went unanswered past its deadline: nothing is owed now.
    await deadlines.waive(session, transfer.case_id, "ordered without an answer", source_id=transfer.id)
    await _event(session, principal, "ordered", transfer, changes, ObjectRef("order", order.id))


async def _make_order(
    session: AsyncSession,
    principal: Principal,
    transfer: Transfer,
    kind: str,
    occurred: datetime,
    reasons: str | None,
    form_reference: str | None,
    details: dict[str, Any],
) -> Order:
    """The transfer order or the escort order, issued by the sending CWC or Magistrate."""
    order = Order(
        id=uuid.uuid4(),
        case_id=transfer.case_id,
        kind=kind,
        issued_by_agency_id=principal.agency_id,
        issuing_members=[str(principal.id)],
        legal_basis=LEGAL_BASIS[Track(transfer.track)],
        form_reference=form_reference,
        reasons=reasons,
        transfer_id=transfer.id,
        details=details,
        occurred_at=occurred,
    )
    session.add(order)
    await session.flush()
    return order


async def _assign_escort(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    body = cast(schemas.EscortBody, data)
    transfer = view.transfer
    unit = await _agency(session, body.escort_agency_id)
    if unit is None or AgencyType(unit.type) not in ESCORT_AGENCY_TYPES:
        raise invalid_field(
            "escort_agency_id",
            "wrong_agency",
            "The escorting unit is an active police unit (SJPU), DCPU or home.",
        )
    if not body.travel_advance_paid:
        raise invalid_field(
            "travel_advance_paid", "not_paid", "The escort travels with the travel advance paid."
        )
    case = await _case_of(session, transfer)
    # A girl travels with a woman officer (JJ Model Rule 81); so does a woman, as practice asks.
    if case.sex == Sex.FEMALE.value and not any(o.woman for o in body.officers):
        raise invalid_field("officers", "no_woman_officer", "A woman officer escorts a girl or a woman.")
    occurred = _occurred(body, runtime.now())
    officers = [o.model_dump() for o in body.officers]
    order = await _make_order(
        session, principal, transfer, "escort", occurred, None, body.form_reference,
        {"escort_agency_id": str(unit.id), "officers": officers, "travel_advance_paid": True},
    )  # fmt: skip
    changes = await _move(
        session,
        runtime,
        principal,
        view,
        "assign-escort",
        step,
        occurred,
        {"order_id": str(order.id), "officers": officers, "travel_advance_paid": True},
        {"escort_agency_id": unit.id, "escort_due_at": day_end(occurred, ESCORT_DAYS)},
    )
    await deadlines.start(
        session, runtime.settings, transfer.case_id, "JJ95_ESCORT", occurred, unit.id,
        ("transfer", transfer.id), due=transfer.escort_due_at,
    )  # fmt: skip
    await _event(
        session, principal, "escort_assigned", transfer, changes,
        ObjectRef("order", order.id), ObjectRef("agency", unit.id),
    )  # fmt: skip


async def _depart(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    body = cast(schemas.DepartBody, data)
    changes = await _move(
        session, runtime, principal, view, "depart", step, _occurred(body, runtime.now()),
        {"mode": body.mode.value},
    )  # fmt: skip
    await _event(session, principal, "departed", view.transfer, changes)


async def _hand_over(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    body = cast(schemas.HandOverBody, data)
    occurred = _occurred(body, runtime.now())
    changes = await _move(
        session, runtime, principal, view, "hand-over", step, occurred,
        {"receiving_officer": body.receiving_officer},
        {"acceptance_due_at": day_end(occurred, runtime.settings.transfer_acceptance_days)},
    )  # fmt: skip
    transfer = view.transfer
    await deadlines.meet(session, transfer.case_id, ["JJ95_ESCORT"], occurred)
    await deadlines.start(
        session, runtime.settings, transfer.case_id, "TRANSFER_ACCEPTANCE", occurred,
        transfer.receiving_agency_id, ("transfer", transfer.id), due=transfer.acceptance_due_at,
    )  # fmt: skip
    await _event(session, principal, "handed_over", transfer, changes)


async def _accept(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    """Ownership moves: the receiving agency owns the case, the receiving CWC (or Magistrate,
    where one was named) is seized of it, and the sending side keeps only read access."""
    transfer = view.transfer
    case = await _case_of(session, transfer)
    receiving = await session.get(Agency, transfer.receiving_agency_id)
    assert receiving is not None
    changes = await _move(
        session, runtime, principal, view, "accept", step, _occurred(data, runtime.now()), {}
    )
    home_stage = Stage.RECEIVED_HOME if transfer.track == Track.CHILD.value else Stage.REHABILITATION
    values: dict[str, Any] = {
        "stage": home_stage.value,
        "owner_agency_id": transfer.receiving_agency_id,
        "current_state": transfer.receiving_state,
        "current_district": receiving.district,
        # She has left the shelter of the rescue state: its placement order is no longer the
        # current one, so that shelter's relation (identity, safety data, records) ends here.
        "placement_agency_id": None,
    }
    if transfer.receiving_authority_id is not None:
        values["competent_authority_id"] = transfer.receiving_authority_id
    # The sending side's staff were assigned to its case; the new owner's supervisor assigns anew.
    await session.execute(delete(CaseAssignee).where(CaseAssignee.case_id == case.id))
    holders = {case.owner_agency_id: transfer.receiving_agency_id}
    if transfer.receiving_authority_id is not None and case.competent_authority_id is not None:
        holders[case.competent_authority_id] = transfer.receiving_authority_id
    changes += await _move_case(session, runtime, principal, view, case, values)
    await deadlines.meet(
        session, transfer.case_id, ["TRANSFER_ACCEPTANCE"], _occurred(data, runtime.now())
    )
    # The case's open deadlines (the inquiry's four months...) are now the new holder's.
    await deadlines.move_with_case(session, transfer.case_id, holders)
    await _event(session, principal, "accepted", transfer, changes, ObjectRef("agency", receiving.id))


# The two ways a transfer goes back to the sending side: (action, event) by the state reached.
_BACK_TO_SENDER = {Status.DECLINED: ("decline", "declined"), Status.CANCELLED: ("cancel", "cancelled")}


async def _back_to_sender(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    """Decline or cancel: the case stays with the sending side, and if the transfer was ordered
    it goes back to the stage it held before the order."""
    body = cast(schemas.ReasonBody, data)
    action, event = _BACK_TO_SENDER[step.target]
    transfer = view.transfer
    ordered = Status(transfer.status) in ORDERED_ON
    case = await _case_of(session, transfer) if ordered else None
    occurred = _occurred(body, runtime.now())
    changes = await _move(
        session, runtime, principal, view, action, step, occurred, {"reason": body.reason}
    )
    if case is not None and transfer.stage_before is not None:
        changes += await _move_case(
            session, runtime, principal, view, case, {"stage": transfer.stage_before}
        )
    await deadlines.waive(session, transfer.case_id, f"the transfer was {event}", source_id=transfer.id)
    await _event(session, principal, event, transfer, changes)


async def _report_absconded(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    """She went missing on the way: the case is ``absconded``, and returns to the stage it held
    before the order when she is found (the transfer has ended)."""
    body = cast(schemas.AbscondedBody, data)
    transfer = view.transfer
    case = await _case_of(session, transfer)
    changes = await _move(
        session, runtime, principal, view, "report-absconded", step,
        _occurred(body, runtime.now()), {"circumstances": body.circumstances},
    )  # fmt: skip
    changes += await _move_case(
        session,
        runtime,
        principal,
        view,
        case,
        {"stage": Stage.ABSCONDED.value, "stage_before_exit": transfer.stage_before},
    )
    await deadlines.waive(session, transfer.case_id, "she absconded in transit", source_id=transfer.id)
    await _event(session, principal, "absconded_in_transit", transfer, changes)


async def _border_handover(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: TransferView,
    step: Step,
    data: schemas.Act,
) -> None:
    """A foreign national handed to her country (Model Rule 81(5)): the case closes here."""
    body = cast(schemas.BorderHandoverBody, data)
    transfer = view.transfer
    case = await _case_of(session, transfer)
    occurred = _occurred(body, runtime.now())
    changes = await _move(
        session, runtime, principal, view, "border-handover", step, occurred,
        {"external_reference": body.external_reference},
    )  # fmt: skip
    changes += await _move_case(
        session,
        runtime,
        principal,
        view,
        case,
        {
            "stage": Stage.CLOSED.value,
            "closed_at": occurred,
            "closure_reason": "repatriated_abroad",
        },
    )
    await deadlines.waive(session, transfer.case_id, "repatriated abroad")
    await _event(session, principal, "repatriated_abroad", transfer, changes)


_HANDLERS = {
    "request-consultation": _request_consultation,
    "answer-consultation": _answer_consultation,
    "order": _order,
    "assign-escort": _assign_escort,
    "depart": _depart,
    "hand-over": _hand_over,
    "accept": _accept,
    "decline": _back_to_sender,
    "cancel": _back_to_sender,
    "report-absconded": _report_absconded,
    "border-handover": _border_handover,
}
assert set(_HANDLERS) == set(ACTIONS)


async def escalate(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    transfer_id: uuid.UUID,
    data: schemas.EscalateBody,
) -> uuid.UUID:
    """Raise the escalation flag (one event): the transfer keeps its state and appears on the
    lists of both states' commissions and WCDs."""
    view = await get_transfer_view(session, principal, transfer_id)
    if not view.actors & ESCALATORS:
        raise Problem(403, "Escalations are raised by a supervisor, CWC or Magistrate of either side.")
    if not may_escalate(principal, view.actors, view.facts):
        detail = "It is escalated already." if view.transfer.escalated else "The transfer has ended."
        raise _conflict(detail, principal, view)
    transfer = view.transfer
    now = runtime.now()
    result = await session.execute(
        update(Transfer)
        .where(Transfer.id == transfer.id, Transfer.escalated.is_(False), Transfer.ended_at.is_(None))
        .values(escalated=True, version=Transfer.version + 1, updated_at=now)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise await _lost_race(session, principal, view, now)
    ref = ObjectRef("transfer", transfer.id)
    await _event(session, principal, "escalated", transfer, [Change(ref, "escalated", True, False)])
    session.add(
        TransferAct(
            transfer_id=transfer.id,
            action="escalate",
            from_status=transfer.status,
            to_status=transfer.status,
            actor_id=principal.id,
            actor_agency_id=principal.agency_id,
            data={"reason": data.reason},
            occurred_at=_occurred(data, now),
            recorded_at=now,
        )
    )
    return transfer.id
