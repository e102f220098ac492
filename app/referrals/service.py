"""Referrals: making one, each action (accept, decline, complete, withdraw), and reading referrals
through the one visibility predicate (``app.access.referrals``).

Every action is one conditional UPDATE of the referral on the status and version it was read at,
so of two principals acting at once exactly one applies and the other is told 409 with what it
may do now. Accepting an adult's home verification moves her case to ``home_verification`` in
the same transaction (on the stage and version the case was read at), and withdrawing it moves
the case back; one audit event names both. Nothing is half-applied: any failure rolls back the
whole request.

On PostgreSQL the common accept is read, checked and written in one statement
(``statements_pg.accept_at_once``); whatever that statement does not let through, it leaves
untouched for the read-then-write path every other action takes, which decides the answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Integer,
    Uuid,
    bindparam,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_params
from app.access.cases import Shape, referral_relation, shape_of
from app.access.documents import DOCUMENT_CLASSES
from app.access.referrals import sides_of, visible_of
from app.agencies.models import Agency
from app.audit.events import Actor as EventActor
from app.audit.events import Change, ObjectRef, event_values, record_event
from app.audit.models import AuditEvent
from app.auth.current import CHECKED, current_params, rows_checked, session_now
from app.auth.permissions import AgencyType
from app.auth.principal import Principal
from app.cases.models import Case
from app.cases.service import get_case_row
from app.cases.vocab import Stage, Track
from app.db import AnySelect, UTCDateTime, time_ordered_id
from app.documents.models import Document
from app.driver import driver_of, fetch_rows
from app.errors import Problem, invalid_field, not_found
from app.pagination import decode_cursor, split_page
from app.referrals import schemas, statements, statements_pg
from app.referrals.models import Referral, ReferralAct
from app.referrals.policy import (
    ACTIONS,
    AUTHORITY_ROLES,
    CASE_STAFF,
    ENDED,
    HOME_VERIFIABLE,
    NOT_OPEN,
    PROVIDERS,
    RESULT_DOCUMENT_REQUIRED,
    RESULT_KINDS,
    Action,
    Actor,
    ReferralReason,
    ReferralType,
    Side,
    Status,
    Step,
    actors_of,
    allowed_actions,
    step_for,
)
from app.runtime import Runtime

# ---- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferralRow:
    """A referral's row as read (plain values: building an ORM object per read cost more than
    the read). A test holds it to ``Referral``'s columns."""

    id: uuid.UUID
    case_id: uuid.UUID
    type: str
    status: str
    reason: str
    notes: str
    referring_agency_id: uuid.UUID
    receiving_agency_id: uuid.UUID
    stage_before: str | None
    result_document_id: uuid.UUID | None
    occurred_at: datetime
    ended_at: datetime | None
    version: int
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


@dataclass
class ReferralView:
    """A referral as one read gives it: its row, what the caller may see of its case, where the
    case stands, when its last act happened, and the caller's sides."""

    referral: ReferralRow
    case_code: str
    case_track: str
    case_stage: str
    sides: set[Side]
    actors: frozenset[Actor]
    # Its acts, when the read brought them (a referral read by id does, and every action reads
    # it so).
    acts: list[Mapping[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def last_occurred(self) -> datetime | None:
        """When its last act happened (an act never precedes the one before it)."""
        return max((act["occurred_at"] for act in self.acts), default=None)

    @property
    def status(self) -> Status:
        return Status(self.referral.status)


assert set(statements.REFERRAL_COLUMNS) == set(ReferralRow.__dataclass_fields__)


def _view(principal: Principal, row: Mapping[str, Any], names: tuple[str, ...]) -> ReferralView:
    sides = {Side(name) for name in names if row[f"side_{name}"]}
    return ReferralView(
        ReferralRow(**{name: row[name] for name in statements.REFERRAL_COLUMNS}),
        row["case_code"],
        row["case_track"],
        row["case_stage"],
        sides,
        actors_of(principal, sides),
    )


async def get_referral_view(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID
) -> ReferralView:
    """A referral the caller may see, with the sides it stands on (one statement, the token
    check riding along; on the driver while the request has begun no transaction); else 404."""
    statement, names = statements.by_id(shape_of(principal))
    rows = await rows_checked(session, principal, statement, {"referral_id": referral_id})
    if not rows:
        raise not_found("referral")
    return _view_with_acts(principal, rows, names)


def _view_with_acts(
    principal: Principal, rows: list[dict[str, Any]], names: tuple[str, ...]
) -> ReferralView:
    """The view of a read by id: the referral on every row, an act per row (none: one row of
    NULL act columns)."""
    view = _view(principal, rows[0], names)
    view.acts = [
        {name: row[f"act_{name}"] for name in statements.ACT_COLUMNS}
        for row in rows
        if row["act_id"] is not None
    ]
    return view


async def read_referral(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID
) -> schemas.ReferralRead:
    view = await get_referral_view(session, principal, referral_id)
    return _shape(principal, view, view.acts)


async def _reads(
    session: AsyncSession, principal: Principal, views: list[ReferralView]
) -> list[schemas.ReferralRead]:
    """Referrals as read, with their acts: two statements for any number."""
    ids = [v.referral.id for v in views]
    acts: dict[uuid.UUID, list[Mapping[str, Any]]] = {i: [] for i in ids}
    if len(ids) == 1:
        found = await fetch_rows(session, _ACTS_OF_ONE, {"referral_id": ids[0]})
    else:
        found = await fetch_rows(session, _ACTS_OF_MANY, {"referral_ids": ids})
    for act in found:
        acts[act["referral_id"]].append(act)
    return [_shape(principal, v, acts[v.referral.id]) for v in views]


_ACTS = select(*ReferralAct.__table__.c).order_by(ReferralAct.recorded_at, ReferralAct.id)
# One referral's acts: a statement for the driver (an expanding IN is rendered per execution).
_ACTS_OF_ONE = _ACTS.where(ReferralAct.referral_id == bindparam("referral_id", type_=Uuid()))
_ACTS_OF_MANY = _ACTS.where(ReferralAct.referral_id.in_(bindparam("referral_ids", expanding=True)))


def _shape(
    principal: Principal, view: ReferralView, acts: list[Mapping[str, Any]]
) -> schemas.ReferralRead:
    referral = view.referral
    # What the parties wrote (the request, reasons, the result) is for the parties and the case's
    # holders; a commission or audit office reading as oversight sees the referral's course only.
    party = bool(view.sides)
    return schemas.ReferralRead(
        id=referral.id,
        case_id=referral.case_id,
        case_code=view.case_code,
        case_track=view.case_track,
        type=ReferralType(referral.type),
        status=referral.status,
        reason=ReferralReason(referral.reason),
        notes=referral.notes if party else None,
        referring_agency_id=referral.referring_agency_id,
        receiving_agency_id=referral.receiving_agency_id,
        result_document_id=referral.result_document_id,
        occurred_at=referral.occurred_at,
        ended_at=referral.ended_at,
        sides=sorted(s.value for s in view.sides),
        allowed_actions=allowed_actions(principal, view.actors, view.status),
        acts=[
            schemas.ReferralActRead(
                action=a["action"],
                from_status=a["from_status"],
                to_status=a["to_status"],
                actor_id=a["actor_id"],
                actor_agency_id=a["actor_agency_id"],
                data=a["data"] if party else {},
                occurred_at=a["occurred_at"],
                recorded_at=a["recorded_at"],
            )
            for a in acts
        ],
        version=referral.version,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
    )


_DIRECTIONS = {"incoming": Side.RECEIVING, "outgoing": Side.REFERRING}


# Bounded: the key follows the query string.
@functools.lru_cache(maxsize=256)
def _page_select(shape: Shape, filters: frozenset[str], direction: str | None, after: bool) -> AnySelect:
    statement: AnySelect = select(Referral.id, Referral.updated_at).where(visible_of(shape))
    if direction is not None:
        side = sides_of(shape).get(_DIRECTIONS[direction])
        statement = statement.where(side if side is not None else Referral.id.is_(None))
    for name in ("status", "type"):
        if name in filters:
            statement = statement.where(getattr(Referral, name) == bindparam(name))
    if "case_id" in filters:
        statement = statement.where(Referral.case_id == bindparam("case_id", type_=Uuid()))
    if after:
        statement = statement.where(
            tuple_(Referral.updated_at, Referral.id)
            < tuple_(
                bindparam("after_updated", type_=UTCDateTime()),
                bindparam("after_id", type_=Uuid()),
            )
        )
    return statement.order_by(Referral.updated_at.desc(), Referral.id.desc()).limit(
        bindparam("page_size", type_=Integer())
    )


async def list_referrals(
    session: AsyncSession,
    principal: Principal,
    filters: Mapping[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[schemas.ReferralRead], str | None]:
    """Referrals the caller may see, most recently changed first: an agency's inbox
    (``direction=incoming``: asked of it) and outbox (``outgoing``: asked by it)."""
    values = {
        name: value
        for name, value in filters.items()
        if name in ("status", "type", "case_id") and value is not None
    }
    direction = filters.get("direction")
    if cursor is not None:
        values["after_updated"], values["after_id"] = decode_cursor(cursor, datetime, uuid.UUID)
    shape = shape_of(principal)
    statement = _page_select(shape, frozenset(values), direction, cursor is not None)
    rows = await rows_checked(session, principal, statement, {**values, "page_size": limit + 1})
    rows, next_cursor = split_page(
        rows, limit, lambda last: [last["updated_at"].isoformat(), str(last["id"])]
    )
    if not rows:
        return [], next_cursor
    by_ids, names = statements.by_ids(shape)
    found = await session.execute(
        by_ids,
        {**caller_params(principal, session_now(session)), "referral_ids": [r["id"] for r in rows]},
    )
    views = {v.referral.id: v for v in (_view(principal, dict(r._mapping), names) for r in found)}
    # In the page's order; a referral that left the caller's view in between is left out.
    ordered = [views[r["id"]] for r in rows if r["id"] in views]
    return await _reads(session, principal, ordered), next_cursor


# ---- acting -----------------------------------------------------------------------------------


def _occurred(data: schemas.Act, now: datetime) -> datetime:
    return data.occurred_at or now


def not_in_future(data: schemas.Act, now: datetime) -> None:
    """A request error that needs no object (checked before the referral is looked up)."""
    if data.occurred_at is not None and data.occurred_at > now:
        raise invalid_field("occurred_at", "in_future", "An act cannot have happened in the future.")


def _conflict(detail: str, principal: Principal, view: ReferralView, besides: str = "") -> Problem:
    allowed = [a for a in allowed_actions(principal, view.actors, view.status) if a != besides]
    return Problem(409, detail, allowed_actions=allowed)


async def _agency(session: AsyncSession, agency_id: uuid.UUID) -> Agency | None:
    return (
        await session.execute(select(Agency).where(Agency.id == agency_id, Agency.active.is_(True)))
    ).scalar_one_or_none()


def _may_refer(principal: Principal, relations: set[str]) -> bool:
    """The owning agency's case staff (or its machine client), or a member of the CWC or
    Magistrate's court seized of the case."""
    if "owner" in relations and (principal.kind == "client" or principal.roles & CASE_STAFF):
        return True
    return "competent_authority" in relations and bool(principal.roles & AUTHORITY_ROLES)


async def create_referral(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: schemas.ReferralCreate,
) -> Referral:
    """A referral of an open case to an agency that gives the service, by the owner's staff or
    the authority seized (404 for a case not visible, 403 for any other relation, 422 for an
    agency that does not give it, 409 for a closed case). At most one referral of a type to an
    agency is open for a case at a time."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    if not _may_refer(principal, relations):
        raise Problem(
            403, "Referrals are made by the owning agency's staff or the authority seized of the case."
        )
    kind = data.type
    receiving = await _agency(session, data.receiving_agency_id)
    if (
        receiving is None
        or AgencyType(receiving.type) not in PROVIDERS[kind]
        or receiving.id == case.owner_agency_id
    ):
        types = ", ".join(sorted(t.value for t in PROVIDERS[kind]))
        raise invalid_field(
            "receiving_agency_id",
            "wrong_agency",
            f"A {kind.value} referral goes to an active agency of another kind than the owner "
            f"that gives it: {types}.",
        )
    if Stage(case.stage) in NOT_OPEN:
        raise Problem(409, f"The case is {case.stage}: it is not referred.", allowed_actions=[])
    now = runtime.now()
    occurred = _occurred(data, now)
    referral = Referral(
        id=uuid.uuid4(),
        case_id=case.id,
        type=kind.value,
        status=Status.REQUESTED.value,
        reason=data.reason.value,
        notes=data.notes,
        referring_agency_id=principal.agency_id,
        receiving_agency_id=receiving.id,
        occurred_at=occurred,
        version=1,
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(referral)
            await session.flush()
    except IntegrityError as exc:
        raise Problem(
            409,
            f"The case has an open {kind.value} referral to this agency already.",
            allowed_actions=[],
        ) from exc
    session.add(
        ReferralAct(
            referral_id=referral.id,
            action="create",
            from_status=None,
            to_status=Status.REQUESTED.value,
            actor_id=principal.id,
            actor_agency_id=principal.agency_id,
            data={"reason": data.reason.value},
            occurred_at=occurred,
            recorded_at=now,
        )
    )
    ref = ObjectRef("referral", referral.id)
    await _event(
        session,
        principal,
        "created",
        referral,
        [
            Change(ref, "status", Status.REQUESTED.value),
            Change(ref, "type", kind.value),
            Change(ref, "reason", data.reason.value),
            Change(ref, "receiving_agency_id", str(receiving.id)),
            Change(ref, "occurred_at", occurred),
        ],
        ObjectRef("agency", receiving.id),
    )
    return referral


async def act(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    referral_id: uuid.UUID,
    action_name: str,
    data: schemas.Act,
    expected: int | None,
) -> ReferralView:
    """Take ``action_name`` on a referral; returns it as it now is. Checks in the order of
    DOMAIN.md section 5 (the request's own errors were answered before this): 404 not visible,
    403 not this side's action, 412 stale If-Match, 409 not from this state (with what it may do
    now), then what the action carries against the referral and the case."""
    action = ACTIONS[action_name]
    if action_name == "accept":
        accepted = await _accept_at_once(session, runtime, principal, referral_id, data, expected)
        if accepted is not None:
            return accepted
    view = await get_referral_view(session, principal, referral_id)
    step = decide(principal, action, view, expected)
    move = await _HANDLERS[action_name](session, runtime, principal, view, step, data)
    # What was written is what the referral now is: no need to read it again.
    moved = dataclasses.replace(view.referral, **move.values)
    return dataclasses.replace(view, referral=moved, acts=[*view.acts, move.act])


def answer(principal: Principal, view: ReferralView) -> schemas.ReferralRead:
    """The referral of ``view`` as the caller reads it, with its acts."""
    return _shape(principal, view, view.acts)


def decide(principal: Principal, action: Action, view: ReferralView, expected: int | None) -> Step:
    """DOMAIN.md section 5, steps 5 and 6, for a visible referral."""
    if action.step.actor not in view.actors:
        raise Problem(403, f"Your side of this referral does not {action.name} it.")
    if expected is not None and expected != view.referral.version:
        raise Problem(412, "The referral changed since you read it; read it again and retry.")
    step = step_for(action, view.actors, view.status)
    if step is None:
        detail = f"The referral is {view.referral.status}; you cannot {action.name} it now."
        raise _conflict(detail, principal, view)
    return step


@dataclass
class Move:
    """What one action writes: the referral's new values (applied only if it is still at the
    status and version it was read at), its act, and the changes its audit event records."""

    view: ReferralView
    values: dict[str, Any]
    act: dict[str, Any]
    changes: list[Change]


def _move(
    runtime: Runtime,
    principal: Principal,
    view: ReferralView,
    action: Action,
    occurred_at: datetime,
    data: dict[str, Any],
    values: dict[str, Any] | None = None,
) -> Move:
    """The writes of the action's step (``_apply`` makes them)."""
    referral = view.referral
    if view.last_occurred is not None and occurred_at < view.last_occurred:
        raise invalid_field("occurred_at", "out_of_order", "An act cannot precede the one before it.")
    changed, act, changes = _writes(
        runtime, principal, referral.id, referral.status, action, occurred_at, data, values
    )
    changed["version"] = referral.version + 1
    return Move(view, changed, act, changes)


def _writes(
    runtime: Runtime,
    principal: Principal,
    referral_id: uuid.UUID,
    from_status: str,
    action: Action,
    occurred_at: datetime,
    data: dict[str, Any],
    values: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[Change]]:
    """An action's new values for the referral (all but its version), its act, and the changes
    its audit event records."""
    now = runtime.now()
    target = action.step.target
    changed = {**(values or {}), "status": target.value, "updated_at": now}
    if target in ENDED:
        changed["ended_at"] = occurred_at
    act = {
        "id": time_ordered_id(),
        "referral_id": referral_id,
        "action": action.name,
        "from_status": from_status,
        "to_status": target.value,
        "actor_id": principal.id,
        "actor_agency_id": principal.agency_id,
        "data": data,
        "occurred_at": occurred_at,
        "recorded_at": now,
    }
    ref = ObjectRef("referral", referral_id)
    changes = [Change(ref, "status", target.value, from_status)] + [
        Change(ref, name, _plain(value)) for name, value in (values or {}).items()
    ]
    return changed, act, changes


async def _accept_at_once(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    referral_id: uuid.UUID,
    data: schemas.Act,
    expected: int | None,
) -> ReferralView | None:
    """The common accept in one statement on PostgreSQL (``statements_pg.accept_at_once``): read,
    checked and written in one round trip instead of two, accept being the hottest action.
    None when it wrote nothing, for whatever reason: the caller then takes the read-then-write
    path, which finds the reason and answers it in DOMAIN.md section 5's order (or accepts,
    when the accept also moves the case). Also None where the path does not apply: no driver
    (SQLite, or a request bound to one transaction), or a caller never on a receiving side."""
    driver = driver_of(session)
    shape = shape_of(principal)
    if driver is None or Side.RECEIVING not in sides_of(shape):
        return None
    action = ACTIONS["accept"]
    (from_status,) = action.step.sources
    occurred = _occurred(data, runtime.now())
    changed, act, changes = _writes(
        runtime, principal, referral_id, from_status.value, action, occurred, {}
    )
    # Its case and objects come from the row, in the statement.
    event = event_values(EventActor.of(principal), f"referral.{action.event}", [], changes)
    statement, names = statements_pg.accept_at_once(shape, expected is not None)
    params = {
        **current_params(principal, session_now(session)),
        "referral_id": referral_id,
        "m_version": expected,
        "m_occurred_at": occurred,
        "v_status": changed["status"],
        "v_updated_at": changed["updated_at"],
        **{f"a_{k}": v for k, v in act.items()},
        **{f"e_{k}": v for k, v in event.items()},
    }
    rows = await driver.fetch(statement, params)
    # None: the driver's pool is not running (starting, or shutting down); the session will do.
    if not rows or rows[0]["moved"] != 1:
        return None
    # A row came back only if the token was current (the check is one of the conditions).
    session.info[CHECKED] = True
    view = _view_with_acts(principal, rows, names)
    moved = dataclasses.replace(view.referral, **changed, version=view.referral.version + 1)
    return dataclasses.replace(view, referral=moved, acts=[*view.acts, act])


async def _apply(
    session: AsyncSession,
    principal: Principal,
    move: Move,
    event: str,
    *extra: ObjectRef,
) -> None:
    """Make the move's writes and record its audit event, all or nothing. On PostgreSQL, while
    the request has begun no transaction, that is one statement on the driver; otherwise the
    request's transaction. A principal that lost the race is told 409 with what it may do now."""
    referral = move.view.referral
    row = event_values(
        EventActor.of(principal),
        f"referral.{event}",
        _objects(referral, *extra),
        move.changes,
        case_id=referral.case_id,
    )
    driver = driver_of(session)
    if driver is not None:
        params = {
            "m_id": referral.id,
            "m_status": referral.status,
            "m_version": referral.version,
            **{f"v_{k}": v for k, v in move.values.items()},
            **{f"a_{k}": v for k, v in move.act.items()},
            **{f"e_{k}": v for k, v in row.items()},
        }
        found = await driver.fetch(statements_pg.move_statement(tuple(move.values)), params)
        assert found is not None  # the statement has no parameter rendered per execution
        hit = found[0]["moved"] == 1
    else:
        result = await session.execute(
            update(Referral)
            .where(
                Referral.id == referral.id,
                Referral.status == referral.status,
                Referral.version == referral.version,
            )
            .values(**move.values)
        )
        hit = cast(CursorResult[Any], result).rowcount == 1
        if hit:
            await session.execute(insert(ReferralAct).values(**move.act))
            await session.execute(insert(AuditEvent).values(**row))
    if not hit:
        detail = "Someone acted on the referral at the same moment."
        raise await _lost_race(session, principal, move.view, detail)


async def _lost_race(
    session: AsyncSession, principal: Principal, view: ReferralView, detail: str
) -> Problem:
    """The 409 for a principal whose action another one's beat: what it may do now, read
    after the winner committed."""
    # No longer visible to it: it is told what it could do before.
    with contextlib.suppress(Problem):
        view = await get_referral_view(session, principal, view.referral.id)
    return _conflict(detail, principal, view)


async def _case_of(session: AsyncSession, referral: ReferralRow) -> Case:
    case = await session.get(Case, referral.case_id, populate_existing=True)
    assert case is not None  # a referral's case is deleted only with it
    return case


async def _move_case(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ReferralView,
    case: Case,
    stage: Stage,
) -> list[Change]:
    """Move the case to ``stage`` from the stage the action was decided on (the view's) and
    the version it was read at: a concurrent change of the case, before or after this request
    read it, is a conflict that rolls back the referral's move too."""
    before = case.stage
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.stage == view.case_stage, Case.version == case.version)
        .values(stage=stage.value, version=case.version + 1, updated_at=runtime.now())
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        detail = "The case changed at the same moment; read it again."
        raise await _lost_race(session, principal, view, detail)
    return [Change(ObjectRef("case", case.id), "stage", stage.value, before)]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _objects(referral: Referral | ReferralRow, *extra: ObjectRef) -> list[ObjectRef]:
    """What a referral's event is about: the referral, its case, and what the act names."""
    return [ObjectRef("referral", referral.id), ObjectRef("case", referral.case_id), *extra]


async def _event(
    session: AsyncSession,
    principal: Principal,
    name: str,
    referral: Referral,
    changes: list[Change],
    *extra: ObjectRef,
) -> None:
    await record_event(
        session,
        EventActor.of(principal),
        f"referral.{name}",
        _objects(referral, *extra),
        changes,
        case_id=referral.case_id,
    )


# Each handler validates what the action carries against the referral and the case, then moves
# them. They run after ``decide``: the principal is the right actor, in the right state. A move
# that also changes the case runs in the request's transaction (the case is read there first).


async def _accept(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ReferralView,
    step: Step,
    data: schemas.Act,
) -> Move:
    """The receiving agency takes the referral on: it now sees the case through
    ``referral:<type>``. An adult in intermediate or safe custody whose home verification is
    accepted moves to ``home_verification`` (DOMAIN.md section 2; ITPA s.17(2))."""
    referral = view.referral
    if Stage(view.case_stage) in NOT_OPEN:
        raise _conflict(f"The case is {view.case_stage}.", principal, view, besides="accept")
    moves = (
        referral.type == ReferralType.HOME_VERIFICATION.value
        and view.case_track == Track.ADULT.value
        and Stage(view.case_stage) in HOME_VERIFIABLE
    )
    action = ACTIONS["accept"]
    occurred = _occurred(data, runtime.now())
    values = {"stage_before": view.case_stage} if moves else None
    move = _move(runtime, principal, view, action, occurred, {}, values)
    if moves:
        case = await _case_of(session, referral)
        move.changes += await _move_case(
            session, runtime, principal, view, case, Stage.HOME_VERIFICATION
        )
    await _apply(session, principal, move, action.event)
    return move


async def _end_with_reason(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ReferralView,
    step: Step,
    data: schemas.Act,
) -> Move:
    """Decline (the receiving side) or withdraw (the referring side), with a reason. A withdrawn
    home verification that had moved her case to ``home_verification`` moves it back to the
    stage it held, if nothing moved it since."""
    body = cast(schemas.ReasonBody, data)
    referral = view.referral
    action = ACTIONS["decline" if step.target is Status.DECLINED else "withdraw"]
    back_to = referral.stage_before if view.status is Status.ACCEPTED else None
    occurred = _occurred(body, runtime.now())
    move = _move(runtime, principal, view, action, occurred, {"reason": body.reason})
    if back_to is not None and view.case_stage == Stage.HOME_VERIFICATION.value:
        case = await _case_of(session, referral)
        if case.stage == Stage.HOME_VERIFICATION.value:
            move.changes += await _move_case(session, runtime, principal, view, case, Stage(back_to))
    await _apply(session, principal, move, action.event)
    return move


async def _complete(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ReferralView,
    step: Step,
    data: schemas.Act,
) -> Move:
    """The service is done, with its result (for a home verification, its report: a document of
    the case uploaded by the receiving agency). The receiving agency's view of the case ends."""
    body = cast(schemas.CompleteBody, data)
    referral = view.referral
    kind = ReferralType(referral.type)
    if body.document_id is None and kind in RESULT_DOCUMENT_REQUIRED:
        raise invalid_field(
            "document_id", "missing", f"A {kind.value} is completed with its report, a document."
        )
    values: dict[str, Any] = {}
    if body.document_id is not None:
        await _check_result_document(session, referral, kind, body.document_id)
        values["result_document_id"] = body.document_id
    action = ACTIONS["complete"]
    occurred = _occurred(body, runtime.now())
    move = _move(
        runtime, principal, view, action, occurred,
        {"result": body.result, "document_id": _plain(body.document_id)}, values,
    )  # fmt: skip
    extra = [ObjectRef("document", body.document_id)] if body.document_id is not None else []
    await _apply(session, principal, move, action.event, *extra)
    return move


async def _check_result_document(
    session: AsyncSession, referral: ReferralRow, kind: ReferralType, document_id: uuid.UUID
) -> None:
    """A result is a document of the referral's case, uploaded by the receiving agency, of a
    kind that reports this service, in a class the service reads (its relation's classes)."""
    document = (
        await session.execute(
            select(Document).where(Document.id == document_id, Document.case_id == referral.case_id)
        )
    ).scalar_one_or_none()
    classes = {c.value for c in DOCUMENT_CLASSES[referral_relation(kind)]}
    kinds = {k.value for k in RESULT_KINDS[kind]}
    if (
        document is None
        or document.uploaded_by_agency_id != referral.receiving_agency_id
        or document.kind not in kinds
        or document.sensitivity not in classes
    ):
        wanted = " or ".join(sorted(kinds)) or "no document"
        raise invalid_field(
            "document_id",
            "wrong_document",
            f"A {kind.value} result is a document of the case uploaded by the receiving agency: "
            f"{wanted}, of a class the service reads.",
        )


_HANDLERS = {
    "accept": _accept,
    "decline": _end_with_reason,
    "complete": _complete,
    "withdraw": _end_with_reason,
}
assert set(_HANDLERS) == set(ACTIONS)
