"""Rescue events and cases: recording a rescue with its victims, adding a case to it, and reading
cases through the one visibility predicate, each shaped to the caller's field set."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Uuid,
    bindparam,
    cast,
    exists,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_params
from app.access.cases import (
    ASSIGNED_TO_CALLER,
    CREATED_BY_CALLER,
    FIELD_SETS,
    PARTY_TO_EVENT,
    FieldSet,
    Shape,
    field_set,
    public_relations,
    relations_of,
    shape_of,
    visible_cases,
    visible_of,
)
from app.access.deadlines import HAS_OVERDUE_DEADLINE
from app.agencies.models import Agency
from app.audit.access_log import access_entry, write_access_now
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.current import (
    all_checked,
    first_checked,
    first_entity_row_checked,
    first_row_checked,
    rows_checked,
    session_now,
)
from app.auth.permissions import CASE_CREATING_AGENCY_TYPES
from app.auth.principal import Principal
from app.cases import identity as vault
from app.cases.models import (
    Case,
    CaseAssignee,
    CaseCodeSequence,
    CaseExploitation,
    RescueEvent,
    RescueEventAgency,
)
from app.cases.schemas import CaseCreate, RescueEventCreate, RescueEventRead, VictimInput
from app.cases.vocab import RescueType, Stage, Track
from app.db import AnySelect, UTCDateTime, dialect_name
from app.deadlines import service as deadlines
from app.errors import Problem, not_found
from app.pagination import decode_cursor, split_page
from app.runtime import Runtime

# ---- creating ---------------------------------------------------------------------------------


def _may_create(principal: Principal) -> None:
    if principal.agency_type not in CASE_CREATING_AGENCY_TYPES:
        raise Problem(403, "Rescues are recorded by police, AHTU, SJPU and NGO agencies.")


def _not_future(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now:
        raise Problem(
            422,
            "A rescue cannot have happened in the future.",
            errors=[{"loc": ["body", "occurred_at"], "type": "in_future", "msg": "In the future"}],
        )


async def _next_code(session: AsyncSession, state: str, year: int) -> str:
    """``MH-2026-000123``: the rescue state, the year and a counter, nothing about the person."""
    prefix = f"{state.removeprefix('IN-')}-{year}"
    upsert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    await session.execute(
        upsert(CaseCodeSequence)
        .values(prefix=prefix, last=0)
        .on_conflict_do_nothing(index_elements=["prefix"])
    )
    number = (
        await session.execute(
            update(CaseCodeSequence)
            .where(CaseCodeSequence.prefix == prefix)
            .values(last=CaseCodeSequence.last + 1)
            .returning(CaseCodeSequence.last)
        )
    ).scalar_one()
    return f"{prefix}-{number:06d}"


async def _open_case(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    event: RescueEvent,
    victim: VictimInput,
) -> Case:
    now = runtime.now()
    case_id = uuid.uuid4()
    case = Case(
        id=case_id,
        code=await _next_code(session, event.state, event.occurred_at.year),
        rescue_event_id=event.id,
        track=victim.track.value,
        stage=Stage.RESCUED.value,
        owner_agency_id=principal.agency_id,
        rescue_state=event.state,
        current_state=event.state,
        current_district=event.district,
        home_state=victim.home_state,
        home_district=victim.home_district,
        home_country=victim.home_country,
        village_tracing=victim.village_tracing.value,
        flag_trafficker_contact=victim.flags.trafficker_contact,
        flag_family_complicity=victim.flags.family_complicity,
        flag_possible_repeat=False,
        references=victim.references.model_dump(exclude_none=True),
        sex=victim.sex.value,
        age_claimed=victim.age_claimed,
        nationality=victim.nationality,
        languages=victim.languages,
        disability=victim.disability,
        interpreter_needed=victim.interpreter_needed,
        trafficking_context=victim.trafficking_context.model_dump(mode="json"),
        placement=(
            runtime.cipher.encrypt(
                victim.placement, runtime.cipher.context("cases", case_id, "placement")
            )
            if victim.placement
            else None
        ),
        opened_at=event.occurred_at,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    types = sorted({t.value for t in victim.exploitation_types})
    await session.execute(insert(CaseExploitation), [{"case_id": case_id, "type": t} for t in types])
    await vault.store_identity(session, runtime.cipher, runtime.blind_index, case_id, victim.identity)
    if victim.track is Track.CHILD:
        # JJ s.31: a child is produced before the CWC within 24 hours of the rescue.
        await deadlines.start(
            session, runtime.settings, case_id, "JJ31_PRODUCTION", event.occurred_at,
            principal.agency_id, ("case", case_id),
        )  # fmt: skip
    repeat = await vault.flag_possible_repeats(session, runtime.blind_index, case, victim.identity)
    kinds = sorted({kind for kind, _ in vault.search_terms(victim.identity)})
    if kinds:
        # The repeat check compares identity across every agency: it is logged like a search.
        entry = access_entry(
            principal,
            "POST",
            "(repeat check)",
            outcome="repeat_check",
            object_type="identity",
            object_ids=[case_id],
            fields=kinds,
        )
        await write_access_now(session, entry)
    ref = ObjectRef("case", case_id)
    changes = [
        Change(ref, "code", case.code),
        Change(ref, "track", case.track),
        Change(ref, "stage", case.stage),
        Change(ref, "exploitation_types", types),
        Change(ref, "home_state", case.home_state),
        Change(ref, "flags.possible_repeat", repeat),
    ]
    await record_event(
        session,
        Actor.of(principal),
        "case.created",
        [ref, ObjectRef("rescue_event", event.id)],
        changes,
        case_id=case_id,
    )
    return case


async def _existing_agencies(session: AsyncSession, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    rows = await session.execute(select(Agency.id).where(Agency.id.in_(ids), Agency.active.is_(True)))
    return set(rows.scalars())


async def create_rescue_event(
    session: AsyncSession, runtime: Runtime, principal: Principal, data: RescueEventCreate
) -> tuple[RescueEvent, list[Case]]:
    """Record a rescue and open one case per victim, all in the request's one transaction."""
    _may_create(principal)
    _not_future(data.occurred_at, runtime.now())
    named = {data.lead_agency_id, *data.participating_agency_ids}
    missing = named - await _existing_agencies(session, named)
    if missing:
        raise Problem(
            422,
            "Every agency of the rescue must be an active agency.",
            errors=[
                {"loc": ["body", "participating_agency_ids"], "type": "unknown_agency", "msg": "Unknown"}
            ],
        )
    event = RescueEvent(
        occurred_at=data.occurred_at,
        recorded_at=runtime.now(),
        state=data.state,
        district=data.district,
        police_station=data.police_station,
        rescue_type=data.rescue_type.value,
        legal_basis=data.legal_basis,
        fir_number=data.fir_number,
        gd_reference=data.gd_reference,
        lead_agency_id=data.lead_agency_id,
        created_by_agency_id=principal.agency_id,
    )
    session.add(event)
    await session.flush()
    roles = {
        agency_id: "participant" for agency_id in {*data.participating_agency_ids, principal.agency_id}
    }
    roles[data.lead_agency_id] = "lead"
    await session.execute(
        insert(RescueEventAgency),
        [{"rescue_event_id": event.id, "agency_id": a, "role": r} for a, r in sorted(roles.items())],
    )
    cases = [await _open_case(session, runtime, principal, event, victim) for victim in data.victims]
    return event, cases


async def add_case(
    session: AsyncSession, runtime: Runtime, principal: Principal, data: CaseCreate
) -> Case:
    """A victim found later: a case added to a rescue event the caller's agency took part in."""
    _may_create(principal)
    event = (
        await session.execute(
            select(RescueEvent).where(RescueEvent.id == data.rescue_event_id, PARTY_TO_EVENT),
            caller_params(principal, runtime.now()),
        )
    ).scalar_one_or_none()
    if event is None:
        raise not_found("rescue event")
    return await _open_case(session, runtime, principal, event, data)


async def get_rescue_event(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID
) -> RescueEventRead:
    """A rescue event, for its own agencies; with the ids of its cases the caller may see."""
    event = await first_checked(
        session, principal, select(RescueEvent).where(RescueEvent.id == event_id, PARTY_TO_EVENT)
    )
    if event is None:
        raise not_found("rescue event")
    agencies = await session.execute(
        select(RescueEventAgency.agency_id).where(RescueEventAgency.rescue_event_id == event.id)
    )
    cases = await session.execute(
        select(Case.id)
        .where(Case.rescue_event_id == event.id, visible_cases(principal))
        .order_by(Case.code),
        caller_params(principal, session_now(session)),
    )
    return RescueEventRead(
        id=event.id,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        state=event.state,
        district=event.district,
        police_station=event.police_station,
        rescue_type=RescueType(event.rescue_type),
        legal_basis=event.legal_basis,
        fir_number=event.fir_number,
        gd_reference=event.gd_reference,
        lead_agency_id=event.lead_agency_id,
        agency_ids=sorted(agencies.scalars()),
        case_ids=list(cases.scalars()),
    )


async def event_case_ids(session: AsyncSession, event_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(select(Case.id).where(Case.rescue_event_id == event_id))
    return list(rows.scalars())


def created_view(case: Case) -> dict[str, Any]:
    """What a creator is shown of a case it has just recorded (it owns it; no identity)."""
    return {
        "id": str(case.id),
        "code": case.code,
        "track": case.track,
        "stage": case.stage,
        "owner_agency_id": str(case.owner_agency_id),
        "rescue_event_id": str(case.rescue_event_id),
        "version": case.version,
        "flags": {"possible_repeat": case.flag_possible_repeat},
        "relations": ["owner"],
    }


async def created_cases(
    session: AsyncSession, principal: Principal, ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """The creator's view of cases its agency recorded (for answers and Idempotency-Key replays)."""
    found = await all_checked(
        session, principal, select(Case).where(Case.id.in_(ids), CREATED_BY_CALLER).order_by(Case.code)
    )
    return [created_view(case) for case in found]


# ---- reading ----------------------------------------------------------------------------------

# A case's exploitation types and assignees, folded into the read as comma-joined strings (one
# statement per read instead of three; both are short lists, and neither value holds a comma).
# The separator is written into the SQL: given as a string, SQLAlchemy would render it anew on
# every execution.
_COMMA: Any = literal_column("','")
_EXPLOITATION = (
    select(func.aggregate_strings(CaseExploitation.type, _COMMA))
    .where(CaseExploitation.case_id == Case.id)
    .scalar_subquery()
    .label("exploitation_csv")
)
_ASSIGNEES = (
    select(func.aggregate_strings(cast(CaseAssignee.user_id, String), _COMMA))
    .where(CaseAssignee.case_id == Case.id)
    .scalar_subquery()
    .label("assignees_csv")
)

# The filters of the case list, each compared against a bind parameter of its own name.
_EQUAL_FILTERS = ("stage", "track", "home_state", "current_state", "owner_agency_id", "code")
_FROM_FILTERS = (("opened_from", Case.opened_at), ("updated_from", Case.updated_at))
_TO_FILTERS = (("opened_to", Case.opened_at), ("updated_to", Case.updated_at))


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as one read returns it: its columns, and the caller's relations to it."""

    columns: Mapping[str, Any]
    relations: set[str]
    assigned: bool

    @property
    def id(self) -> uuid.UUID:
        case_id: uuid.UUID = self.columns["id"]
        return case_id

    @property
    def family_complicity(self) -> bool:
        return bool(self.columns["flag_family_complicity"])


@functools.cache
def _view_select(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    """SELECT visible cases with their details, whether each is assigned to the caller, and each
    relation the caller can hold to it (labelled columns): one statement gives the rows and their
    field sets. Built once per principal shape; executed with the caller's bind parameters."""
    relations = relations_of(shape)
    statement: AnySelect = select(
        *Case.__table__.c,
        _EXPLOITATION,
        _ASSIGNEES,
        ASSIGNED_TO_CALLER.label("assigned"),
        *[clause.label(f"rel_{name}") for name, clause in relations.items()],
    ).where(visible_of(shape))
    return statement, tuple(relations)


@functools.cache
def _by_id(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    statement, names = _view_select(shape)
    return statement.where(Case.id == bindparam("case_id", type_=Uuid())), names


# Bounded: the key follows the query string, and a caller must not grow it without end.
@functools.lru_cache(maxsize=512)
def _page_select(
    shape: Shape, filters: frozenset[str], flags: tuple[str, ...], after: bool
) -> tuple[AnySelect, tuple[str, ...]]:
    """The case list for one combination of filters (their values are bind parameters)."""
    statement, names = _view_select(shape)
    for column in _EQUAL_FILTERS:
        if column in filters:
            statement = statement.where(getattr(Case, column) == bindparam(column))
    if "exploitation_type" in filters:
        statement = statement.where(
            exists(
                select(CaseExploitation.case_id).where(
                    CaseExploitation.case_id == Case.id,
                    CaseExploitation.type == bindparam("exploitation_type"),
                )
            )
        )
    if "assigned_to_me" in filters:
        statement = statement.where(ASSIGNED_TO_CALLER)
    if "overdue" in filters:
        # As with flags: only through relations whose field set holds the deadlines.
        holders = [
            c for name, c in relations_of(shape).items() if "deadlines" in FIELD_SETS[name].case_fields
        ]
        statement = statement.where(or_(*holders) if holders else false(), HAS_OVERDUE_DEADLINE)
    if flags:
        # A filter answers for the field it filters on: only through relations whose field set
        # holds the flags (an escort or an overseeing WCD must not learn of family complicity by
        # counting the cases a filter leaves).
        holders = [
            c for name, c in relations_of(shape).items() if "flags" in FIELD_SETS[name].case_fields
        ]
        statement = statement.where(or_(*holders) if holders else false())
    for flag in flags:
        statement = statement.where(getattr(Case, f"flag_{flag}").is_(True))
    for name, attribute in _FROM_FILTERS:
        if name in filters:
            statement = statement.where(attribute >= bindparam(name, type_=UTCDateTime()))
    for name, attribute in _TO_FILTERS:
        if name in filters:
            statement = statement.where(attribute < bindparam(name, type_=UTCDateTime()))
    if after:
        after_updated = bindparam("after_updated", type_=UTCDateTime())
        after_id = bindparam("after_id", type_=Uuid())
        statement = statement.where(tuple_(Case.updated_at, Case.id) < tuple_(after_updated, after_id))
    statement = statement.order_by(Case.updated_at.desc(), Case.id.desc()).limit(
        bindparam("page_size", type_=Integer())
    )
    return statement, names


def _view(columns: Mapping[str, Any], names: tuple[str, ...]) -> CaseView:
    relations = {name for name in names if columns[f"rel_{name}"]}
    return CaseView(columns, relations, bool(columns["assigned"]))


async def get_case_view(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> CaseView:
    """A case the caller may see, as one read (the token check riding along); else 404."""
    statement, names = _by_id(shape_of(principal))
    row = await first_row_checked(session, principal, statement, {"case_id": case_id})
    if row is None:
        raise not_found("case")
    return _view(row, names)


@functools.cache
def _entity_by_id(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    """As ``_by_id``, loading the case as an entity to change."""
    relations = relations_of(shape)
    statement: AnySelect = select(
        Case,
        ASSIGNED_TO_CALLER.label("assigned"),
        *[clause.label(f"rel_{name}") for name, clause in relations.items()],
    ).where(visible_of(shape), Case.id == bindparam("case_id", type_=Uuid()))
    return statement, tuple(relations)


async def get_case_row(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID
) -> tuple[Case, set[str], bool]:
    """A case the caller may see, loaded as an entity to change, with its relations to it and
    whether it is assigned; else 404. One statement in the session's transaction, so the relations
    that allow the change and the version the change is checked against are the same row's."""
    statement, names = _entity_by_id(shape_of(principal))
    row = await first_entity_row_checked(session, principal, statement, {"case_id": case_id})
    if row is None:
        raise not_found("case")
    case, assigned, *held = tuple(row)
    return case, {name for name, holds in zip(names, held, strict=True) if holds}, bool(assigned)


def _ids(csv: str | None) -> list[str]:
    """Assignee ids as one form on both databases (SQLite keeps a UUID as 32 hex digits)."""
    return sorted(str(uuid.UUID(value)) for value in csv.split(",")) if csv else []


def shape(
    runtime: Runtime, principal: Principal, view: CaseView, allowed: FieldSet | None = None
) -> dict[str, Any]:
    """The case as the caller may see it: only the fields of its field set; never identity.
    (``allowed``: that field set, when the caller has it already.)"""
    case = view.columns
    if allowed is None:
        allowed = field_set(
            principal,
            view.relations,
            assigned=view.assigned,
            family_complicity=view.family_complicity,
        )
    fields = allowed.case_fields
    shaped: dict[str, Any] = {"id": case["id"], "code": case["code"]}
    for column in _PLAIN_FIELDS:
        if column in fields:
            shaped[column] = case[column]
    if "exploitation_types" in fields:
        csv = case["exploitation_csv"]
        shaped["exploitation_types"] = sorted(csv.split(",")) if csv else []
    if "assignees" in fields:
        shaped["assignees"] = _ids(case["assignees_csv"])
    if "flags" in fields:
        shaped["flags"] = {
            "trafficker_contact": case["flag_trafficker_contact"],
            "family_complicity": case["flag_family_complicity"],
            "possible_repeat": case["flag_possible_repeat"],
        }
    if "placement" in fields:
        ciphertext = case["placement"]
        shaped["placement"] = (
            None
            if ciphertext is None
            else runtime.cipher.decrypt(
                ciphertext, runtime.cipher.context("cases", case["id"], "placement")
            )
        )
    shaped["relations"] = public_relations(view.relations)
    shaped["identity_fields"] = sorted(f.value for f in allowed.identity_fields)
    return shaped


# Fields read straight from the case's columns (the others are assembled in ``shape``).
_PLAIN_FIELDS = (
    "track", "stage", "rescue_event_id", "owner_agency_id", "competent_authority_id",
    "opened_at", "closed_at", "closure_reason", "version", "created_at", "updated_at",
    "rescue_state", "current_state", "current_district", "home_state", "home_district",
    "home_country", "village_tracing", "sex", "age_claimed", "age_determined", "age_basis",
    "nationality", "languages", "disability", "interpreter_needed", "trafficking_context",
    "references", "produced_at", "producing_agency_id", "journey_hours", "placement_agency_id",
)  # fmt: skip


async def read_case(
    session: AsyncSession, runtime: Runtime, principal: Principal, case_id: uuid.UUID
) -> dict[str, Any]:
    """One case as the caller may see it, in one statement (the token check rides along)."""
    view = await get_case_view(session, principal, case_id)
    runtime.access_log.add(_read_entry(principal, "/v1/cases/{case_id}", [view.id]))
    return shape(runtime, principal, view)


def _read_entry(principal: Principal, route: str, ids: list[uuid.UUID]) -> dict[str, Any]:
    """An access-log row for a read of case data (buffered; flushed within a second)."""
    return access_entry(principal, "GET", route, outcome="read", object_type="case", object_ids=ids)


async def list_cases(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    filters: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Cases the caller may see, newest change first (keyset on updated_at, id; no OFFSET)."""
    values = {
        name: value
        for name, value in filters.items()
        if name not in ("flags", "assigned_to_me", "overdue") and value is not None
    }
    for name in ("assigned_to_me", "overdue"):
        if filters.get(name):
            values[name] = True
    if cursor is not None:
        values["after_updated"], values["after_id"] = decode_cursor(cursor, datetime, uuid.UUID)
    statement, names = _page_select(
        shape_of(principal),
        frozenset(values),
        tuple(sorted(set(filters.get("flags") or []))),
        cursor is not None,
    )
    rows = await rows_checked(session, principal, statement, {**values, "page_size": limit + 1})
    rows, next_cursor = split_page(
        rows, limit, lambda last: [last["updated_at"].isoformat(), str(last["id"])]
    )
    views = [_view(row, names) for row in rows]
    if views:
        runtime.access_log.add(_read_entry(principal, "/v1/cases", [v.id for v in views]))
    # A page's cases mostly share one field set: decide each distinct one once.
    sets: dict[tuple[frozenset[str], bool, bool], FieldSet] = {}
    shaped = []
    for view in views:
        key = (frozenset(view.relations), view.assigned, view.family_complicity)
        if key not in sets:
            sets[key] = field_set(
                principal, view.relations, assigned=view.assigned, family_complicity=key[2]
            )
        shaped.append(shape(runtime, principal, view, sets[key]))
    return shaped, next_cursor
