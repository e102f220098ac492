"""Compensation claims: filing one, its decision (an order of the forum, made through
``app.orders.service``, which calls ``claim_to_decide`` and ``decide`` here), recording what
the forum pays, withdrawing it, and reading claims through the one visibility predicate
(``app.access.compensation``).

Every move of a claim is one conditional UPDATE on the status and version it was read at, so of
two principals acting at once exactly one applies and the other is told 409 with what it may do
now. The BNSS s.396 deadline starts with the application, is met by the decision and waived by a
withdrawal, in the same transaction as the act. Nothing is half-applied: any failure rolls back
the whole request.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, Uuid, bindparam, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.access.binds import caller_params
from app.access.cases import Shape, shape_of
from app.access.compensation import sides_of, visible_of
from app.agencies.models import Agency
from app.audit.events import Actor as EventActor
from app.audit.events import Change, ObjectRef, record_event
from app.auth.current import first_entity_row_checked, rows_checked, session_now
from app.auth.permissions import AgencyType
from app.auth.principal import Principal
from app.cases.models import Case
from app.cases.service import get_case_row
from app.cases.vocab import Stage
from app.compensation import schemas
from app.compensation.models import CompensationClaim, CompensationClaimAct
from app.compensation.policy import (
    ACTIONS,
    AUTHORITY_ROLES,
    CASE_STAFF,
    DECISION,
    ENDED,
    FORUM_ROLES,
    LEGAL_AID,
    NAMED_SCHEMES,
    NOT_FILED,
    Action,
    Actor,
    Scheme,
    Side,
    Status,
    actors_of,
    allowed_actions,
    step_for,
)
from app.db import AnySelect, UTCDateTime
from app.deadlines import service as deadlines
from app.errors import Problem, invalid_field, not_found
from app.pagination import decode_cursor, split_page
from app.runtime import Runtime

RULE = "BNSS396_COMPENSATION"
# The deadline's source, and the audit events' object type.
SOURCE = "compensation"
OBJECT = "compensation_claim"

# ---- reading ----------------------------------------------------------------------------------


@dataclass
class ClaimView:
    claim: CompensationClaim
    case_code: str
    case_track: str
    sides: set[Side]
    actors: frozenset[Actor]

    @property
    def status(self) -> Status:
        return Status(self.claim.status)


# The case's code and track ride along with the claim. (An alias, so that the visibility's own
# subqueries on ``cases`` stay subqueries of their own rather than correlating with this join.)
_CASE = aliased(Case, name="claimed_case")


@functools.cache
def _with_sides(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    """SELECT visible claims with each side the caller can stand on (labelled columns)."""
    sides = sides_of(shape)
    statement: AnySelect = (
        select(
            CompensationClaim,
            _CASE.code,
            _CASE.track,
            *[clause.label(f"side_{name}") for name, clause in sides.items()],
        )
        .join(_CASE, _CASE.id == CompensationClaim.case_id)
        .where(visible_of(shape))
    )
    return statement, tuple(sides)


@functools.cache
def _by_id(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    statement, names = _with_sides(shape)
    return statement.where(CompensationClaim.id == bindparam("claim_id", type_=Uuid())), names


@functools.cache
def _by_id_of_case(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    statement, names = _by_id(shape)
    return statement.where(CompensationClaim.case_id == bindparam("case_id", type_=Uuid())), names


@functools.cache
def _by_ids(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    statement, names = _with_sides(shape)
    return statement.where(CompensationClaim.id.in_(bindparam("claim_ids", expanding=True))), names


def _view(principal: Principal, row: Any, names: tuple[str, ...]) -> ClaimView:
    claim, code, track, *held = tuple(row)
    sides = {Side(name) for name, holds in zip(names, held, strict=True) if holds}
    return ClaimView(claim, code, track, sides, actors_of(principal, sides))


async def get_claim_view(session: AsyncSession, principal: Principal, claim_id: uuid.UUID) -> ClaimView:
    """A claim the caller may see, with the sides it stands on (one statement, in the request's
    transaction, the token check riding along); else 404."""
    statement, names = _by_id(shape_of(principal))
    row = await first_entity_row_checked(session, principal, statement, {"claim_id": claim_id})
    if row is None:
        raise not_found("compensation claim")
    return _view(principal, row, names)


async def read_claim(
    session: AsyncSession, principal: Principal, claim_id: uuid.UUID
) -> schemas.ClaimRead:
    view = await get_claim_view(session, principal, claim_id)
    return (await _reads(session, principal, [view]))[0]


async def _reads(
    session: AsyncSession, principal: Principal, views: list[ClaimView]
) -> list[schemas.ClaimRead]:
    """Claims as read, with their acts: two statements for any number."""
    ids = [v.claim.id for v in views]
    acts: dict[uuid.UUID, list[CompensationClaimAct]] = {i: [] for i in ids}
    for act in (
        await session.execute(
            select(CompensationClaimAct)
            .where(CompensationClaimAct.claim_id.in_(ids))
            .order_by(CompensationClaimAct.recorded_at, CompensationClaimAct.id)
        )
    ).scalars():
        acts[act.claim_id].append(act)
    return [_shape(principal, v, acts[v.claim.id]) for v in views]


# What an oversight reader sees of what an act carried: the money and the order, never what
# was written (reasons, references).
_COURSE_KEYS = frozenset({"amount_claimed_paise", "amount_awarded_paise", "amount_paise", "order_id"})


def _shape(principal: Principal, view: ClaimView, acts: list[CompensationClaimAct]) -> schemas.ClaimRead:
    claim = view.claim
    # What the parties wrote is for the parties and the case's holders; a commission or audit
    # office reading as oversight sees the claim's course: amounts, states and dates.
    party = bool(view.sides)
    return schemas.ClaimRead(
        id=claim.id,
        case_id=claim.case_id,
        case_code=view.case_code,
        case_track=view.case_track,
        scheme=Scheme(claim.scheme),
        scheme_name=claim.scheme_name or None,
        status=claim.status,
        filed_by_agency_id=claim.filed_by_agency_id,
        forum_agency_id=claim.forum_agency_id,
        application_reference=claim.application_reference if party else None,
        notes=claim.notes if party else None,
        amount_claimed_paise=claim.amount_claimed_paise,
        amount_awarded_paise=claim.amount_awarded_paise,
        amount_disbursed_paise=claim.amount_disbursed_paise,
        decision_order_id=claim.decision_order_id,
        applied_at=claim.applied_at,
        decided_at=claim.decided_at,
        disbursed_at=claim.disbursed_at,
        ended_at=claim.ended_at,
        sides=sorted(s.value for s in view.sides),
        allowed_actions=allowed_actions(principal, view.actors, view.status),
        acts=[
            schemas.ClaimActRead(
                action=a.action,
                from_status=a.from_status,
                to_status=a.to_status,
                actor_id=a.actor_id,
                actor_agency_id=a.actor_agency_id,
                data=a.data if party else {k: v for k, v in a.data.items() if k in _COURSE_KEYS},
                occurred_at=a.occurred_at,
                recorded_at=a.recorded_at,
            )
            for a in acts
        ],
        version=claim.version,
        created_at=claim.created_at,
        updated_at=claim.updated_at,
    )


_DIRECTIONS = {"incoming": Side.FORUM, "outgoing": Side.FILER}


# Bounded: the key follows the query string.
@functools.lru_cache(maxsize=256)
def _page_select(shape: Shape, filters: frozenset[str], direction: str | None, after: bool) -> AnySelect:
    statement: AnySelect = select(CompensationClaim.id, CompensationClaim.updated_at).where(
        visible_of(shape)
    )
    if direction is not None:
        side = sides_of(shape).get(_DIRECTIONS[direction])
        statement = statement.where(side if side is not None else CompensationClaim.id.is_(None))
    for name in ("status", "scheme"):
        if name in filters:
            statement = statement.where(getattr(CompensationClaim, name) == bindparam(name))
    if "case_id" in filters:
        statement = statement.where(CompensationClaim.case_id == bindparam("case_id", type_=Uuid()))
    if after:
        statement = statement.where(
            tuple_(CompensationClaim.updated_at, CompensationClaim.id)
            < tuple_(
                bindparam("after_updated", type_=UTCDateTime()),
                bindparam("after_id", type_=Uuid()),
            )
        )
    return statement.order_by(CompensationClaim.updated_at.desc(), CompensationClaim.id.desc()).limit(
        bindparam("page_size", type_=Integer())
    )


async def list_claims(
    session: AsyncSession,
    principal: Principal,
    filters: Mapping[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[schemas.ClaimRead], str | None]:
    """Claims the caller may see, most recently changed first: a forum's docket
    (``direction=incoming``: claims before it) and a filer's (``outgoing``: claims it filed)."""
    values = {
        name: value
        for name, value in filters.items()
        if name in ("status", "scheme", "case_id") and value is not None
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
    by_ids, names = _by_ids(shape)
    found = await session.execute(
        by_ids,
        {**caller_params(principal, session_now(session)), "claim_ids": [r["id"] for r in rows]},
    )
    views = {v.claim.id: v for v in (_view(principal, r, names) for r in found)}
    # In the page's order; a claim that left the caller's view in between is left out.
    ordered = [views[r["id"]] for r in rows if r["id"] in views]
    return await _reads(session, principal, ordered), next_cursor


# ---- filing -----------------------------------------------------------------------------------


def not_in_future(data: schemas.Act, now: datetime) -> None:
    """A request error that needs no object (checked before the claim is looked up)."""
    if data.occurred_at is not None and data.occurred_at > now:
        raise invalid_field("occurred_at", "in_future", "An act cannot have happened in the future.")


def check_create(data: schemas.ClaimCreate, now: datetime) -> None:
    """The filing's own errors, answered before the case is looked up (DOMAIN.md section 5)."""
    not_in_future(data, now)
    if data.scheme in NAMED_SCHEMES and data.scheme_name is None:
        raise invalid_field("scheme_name", "missing", f"A {data.scheme.value} claim names its scheme.")


def _may_file(principal: Principal, relations: set[str]) -> bool:
    """The owning agency's case staff (or its machine client), a member of the CWC or the
    Magistrate's court seized of the case, or a legal aid officer of a legal services authority
    giving her legal aid (an accepted legal_aid referral: it helps her apply)."""
    client = principal.kind == "client"
    if "owner" in relations and (client or principal.roles & CASE_STAFF):
        return True
    if "competent_authority" in relations and principal.roles & AUTHORITY_ROLES:
        return True
    return LEGAL_AID in relations and bool(client or principal.roles & FORUM_ROLES)


async def _forum(session: AsyncSession, agency_id: uuid.UUID) -> Agency | None:
    return (
        await session.execute(
            select(Agency).where(
                Agency.id == agency_id,
                Agency.active.is_(True),
                Agency.type == AgencyType.LEGAL_SERVICES.value,
            )
        )
    ).scalar_one_or_none()


async def create_claim(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    data: schemas.ClaimCreate,
) -> CompensationClaim:
    """A claim on a case that is not closed, before an active legal services authority, filed
    by the owner's staff, the authority seized, or a legal services authority giving her legal
    aid (404 for a case not visible, 403 for any other relation, 422 for a forum that is not a
    legal services authority, 409 for a closed case). At most one claim under a scheme is open
    before a forum for a case at a time. Starts the BNSS s.396 deadline, owed by the forum."""
    case, relations, _ = await get_case_row(session, principal, case_id)
    if not _may_file(principal, relations):
        raise Problem(
            403,
            "Compensation claims are filed by the owning agency's staff, the authority seized of "
            "the case, or the legal services authority giving her legal aid.",
        )
    forum = await _forum(session, data.forum_agency_id)
    if forum is None:
        raise invalid_field(
            "forum_agency_id",
            "wrong_agency",
            "A claim is decided by an active legal services authority (a DLSA or an SLSA).",
        )
    if Stage(case.stage) in NOT_FILED:
        raise Problem(409, f"The case is {case.stage}: no claim is filed on it.", allowed_actions=[])
    now = runtime.now()
    occurred = data.occurred_at or now
    if occurred < case.opened_at:
        raise invalid_field("occurred_at", "before_rescue", "A claim is filed after the rescue.")
    claim = CompensationClaim(
        id=uuid.uuid4(),
        case_id=case.id,
        scheme=data.scheme.value,
        scheme_name=data.scheme_name or "",
        status=Status.APPLIED.value,
        filed_by_agency_id=principal.agency_id,
        forum_agency_id=forum.id,
        application_reference=data.application_reference,
        notes=data.notes,
        amount_claimed_paise=data.amount_claimed_paise,
        amount_disbursed_paise=0,
        applied_at=occurred,
        version=1,
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(claim)
            await session.flush()
    except IntegrityError as exc:
        raise Problem(
            409,
            "The case has an open claim under this scheme before this authority already.",
            allowed_actions=[],
        ) from exc
    session.add(
        CompensationClaimAct(
            claim_id=claim.id,
            action="apply",
            from_status=None,
            to_status=Status.APPLIED.value,
            actor_id=principal.id,
            actor_agency_id=principal.agency_id,
            data={"amount_claimed_paise": data.amount_claimed_paise},
            occurred_at=occurred,
            recorded_at=now,
        )
    )
    # BNSS 2023 s.396(4): the authority decides within two months of the application.
    await deadlines.start(
        session, runtime.settings, case.id, RULE, occurred, forum.id, (SOURCE, claim.id)
    )
    ref = ObjectRef(OBJECT, claim.id)
    await _event(
        session,
        principal,
        "applied",
        claim,
        [
            Change(ref, "status", Status.APPLIED.value),
            Change(ref, "scheme", data.scheme.value),
            Change(ref, "forum_agency_id", str(forum.id)),
            Change(ref, "amount_claimed_paise", data.amount_claimed_paise),
            Change(ref, "applied_at", occurred),
        ],
        ObjectRef("agency", forum.id),
    )
    return claim


# ---- acting -----------------------------------------------------------------------------------


def _conflict(detail: str, principal: Principal, view: ClaimView) -> Problem:
    return Problem(409, detail, allowed_actions=allowed_actions(principal, view.actors, view.status))


def decide_step(principal: Principal, action: Action, view: ClaimView, expected: int | None) -> None:
    """DOMAIN.md section 5, steps 5 and 6, for a visible claim."""
    if action.step.actor not in view.actors:
        raise Problem(403, f"Your side of this claim does not {_verb(action)} it.")
    if expected is not None and expected != view.claim.version:
        raise Problem(412, "The claim changed since you read it; read it again and retry.")
    if step_for(action, view.actors, view.status) is None:
        detail = f"The claim is {view.claim.status}; you cannot {_verb(action)} it now."
        raise _conflict(detail, principal, view)


def _verb(action: Action) -> str:
    return "decide" if action.name == DECISION else action.name


async def act(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    claim_id: uuid.UUID,
    action_name: str,
    data: schemas.Act,
    expected: int | None,
) -> uuid.UUID:
    """Take ``action_name`` (disburse, withdraw) on a claim; returns its id. Checks in the order
    of DOMAIN.md section 5 (the request's own errors were answered before this): 404 not
    visible, 403 not this side's action, 412 stale If-Match, 409 not from this state (with what
    it may do now), then what the action carries against the claim."""
    action = ACTIONS[action_name]
    view = await get_claim_view(session, principal, claim_id)
    decide_step(principal, action, view, expected)
    await _HANDLERS[action_name](session, runtime, principal, view, data)
    return view.claim.id


async def _last_occurred(session: AsyncSession, claim_id: uuid.UUID) -> datetime | None:
    found = await session.execute(
        select(CompensationClaimAct.occurred_at)
        .where(CompensationClaimAct.claim_id == claim_id)
        .order_by(CompensationClaimAct.occurred_at.desc())
        .limit(1)
    )
    return found.scalar()


async def _not_before_last(session: AsyncSession, claim_id: uuid.UUID, occurred_at: datetime) -> None:
    _in_order(await _last_occurred(session, claim_id), occurred_at)


def _in_order(previous: datetime | None, occurred_at: datetime) -> None:
    if previous is not None and occurred_at < previous:
        raise invalid_field("occurred_at", "out_of_order", "An act cannot precede the one before it.")


async def _move(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ClaimView,
    action: str,
    target: Status,
    occurred_at: datetime,
    data: dict[str, Any],
    values: dict[str, Any],
) -> list[Change]:
    """Move the claim to ``target`` if it is still as it was read; record the act. A principal
    that lost the race is told 409 with what it may do now."""
    claim = view.claim
    # Read before the UPDATE: the session brings the loaded row up to date when it runs.
    before_status, before_version = claim.status, claim.version
    previous = await _last_occurred(session, claim.id)
    now = runtime.now()
    changed = {**values, "status": target.value, "version": before_version + 1, "updated_at": now}
    if target in ENDED:
        changed["ended_at"] = occurred_at
    result = await session.execute(
        update(CompensationClaim)
        .where(
            CompensationClaim.id == claim.id,
            CompensationClaim.status == before_status,
            CompensationClaim.version == before_version,
        )
        .values(**changed)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        await session.refresh(claim)
        raise _conflict("Someone acted on the claim at the same moment.", principal, view)
    # Judged only once the UPDATE hit: an act a concurrent winner had just recorded would make the
    # loser's act look out of order (422) when it is late (409). Had anyone acted since the read,
    # the UPDATE would have missed, so ``previous`` is still the last act. A 422 here rolls the
    # UPDATE back with the request.
    _in_order(previous, occurred_at)
    session.add(
        CompensationClaimAct(
            claim_id=claim.id,
            action=action,
            from_status=before_status,
            to_status=target.value,
            actor_id=principal.id,
            actor_agency_id=principal.agency_id,
            data=data,
            occurred_at=occurred_at,
            recorded_at=now,
        )
    )
    ref = ObjectRef(OBJECT, claim.id)
    found = [Change(ref, "status", target.value, before_status)] if target.value != before_status else []
    return found + [Change(ref, name, _plain(value)) for name, value in values.items()]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def _event(
    session: AsyncSession,
    principal: Principal,
    name: str,
    claim: CompensationClaim,
    changes: list[Change],
    *extra: ObjectRef,
) -> None:
    await record_event(
        session,
        EventActor.of(principal),
        f"compensation.{name}",
        [ObjectRef(OBJECT, claim.id), ObjectRef("case", claim.case_id), *extra],
        changes,
        case_id=claim.case_id,
    )


async def _disburse(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ClaimView,
    data: schemas.Act,
) -> None:
    """The forum records a payment of the award: the claim stays decided until the award is paid
    in full, then ends (and with it the forum's view of the case)."""
    body = cast(schemas.DisburseBody, data)
    claim = view.claim
    awarded = claim.amount_awarded_paise or 0
    total = claim.amount_disbursed_paise + body.amount_paise
    if total > awarded:
        raise invalid_field(
            "amount_paise",
            "over_award",
            "The payments would exceed the award (what remains of it is on the claim).",
        )
    occurred = body.occurred_at or runtime.now()
    target = Status.DISBURSED if total == awarded else Status.DECIDED
    carried: dict[str, Any] = {"amount_paise": body.amount_paise}
    if body.reference is not None:
        carried["reference"] = body.reference
    changes = await _move(
        session, runtime, principal, view, "disburse", target, occurred, carried,
        {"amount_disbursed_paise": total, "disbursed_at": occurred},
    )  # fmt: skip
    await _event(session, principal, "disbursed", claim, changes)


async def _withdraw(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ClaimView,
    data: schemas.Act,
) -> None:
    """The filing side withdraws the claim before it is decided, with a reason: its deadline is
    waived and the forum's view of the case ends."""
    body = cast(schemas.WithdrawBody, data)
    claim = view.claim
    occurred = body.occurred_at or runtime.now()
    changes = await _move(
        session, runtime, principal, view, "withdraw", Status.WITHDRAWN, occurred,
        {"reason": body.reason}, {},
    )  # fmt: skip
    await deadlines.waive(session, claim.case_id, "the claim was withdrawn", source_id=claim.id)
    await _event(session, principal, "withdrawn", claim, changes)


_HANDLERS = {"disburse": _disburse, "withdraw": _withdraw}
assert set(_HANDLERS) == {name for name, a in ACTIONS.items() if a.route}


# ---- the decision (an order of the forum) -----------------------------------------------------


async def claim_to_decide(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    claim_id: uuid.UUID,
    occurred_at: datetime,
) -> ClaimView:
    """The claim a compensation decision names, checked for its issuer on a case it sees: 403
    for an agency that is not a legal services authority; 422 when ``claim_id`` is not a claim of
    this case that the caller sees; 403 when its authority is not the claim's forum; 409 (with
    what it may do now) when the claim is no longer waiting for a decision; 422 for a decision
    dated before the claim's last act."""
    if principal.agency_type is not AgencyType.LEGAL_SERVICES:
        raise Problem(
            403, "A compensation decision is made by the legal services authority it is before."
        )
    statement, names = _by_id_of_case(shape_of(principal))
    row = await first_entity_row_checked(
        session, principal, statement, {"claim_id": claim_id, "case_id": case_id}
    )
    if row is None:
        raise invalid_field(
            "claim_id", "not_of_case", "The claim is not a compensation claim of this case."
        )
    view = _view(principal, row, names)
    decide_step(principal, ACTIONS[DECISION], view, None)
    await _not_before_last(session, view.claim.id, occurred_at)
    return view


async def decide(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    view: ClaimView,
    order_id: uuid.UUID,
    data: Any,
) -> None:
    """Apply the forum's decision (the order ``order_id``, made in this transaction) to its
    claim: decided with the award, or rejected when it awards nothing (the claim ends). The
    BNSS s.396 deadline is met at the order's ``occurred_at`` (late, if past its due date)."""
    claim = view.claim
    awarded = int(data.amount_awarded_paise)
    target = Status.DECIDED if awarded > 0 else Status.REJECTED
    carried: dict[str, Any] = {"order_id": str(order_id), "amount_awarded_paise": awarded}
    if data.refusal_reason is not None:
        carried["refusal_reason"] = data.refusal_reason
    changes = await _move(
        session, runtime, principal, view, "decide", target, data.occurred_at, carried,
        {"amount_awarded_paise": awarded, "decided_at": data.occurred_at,
         "decision_order_id": order_id},
    )  # fmt: skip
    await deadlines.meet(session, claim.case_id, [RULE], data.occurred_at, source_id=claim.id)
    await _event(session, principal, target.value, claim, changes, ObjectRef("order", order_id))
