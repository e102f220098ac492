"""Reading the sequenced log: a case's history for whoever sees the case, and an audit office's
search of the events in its scope. Only sequenced events are served (they have a position, and
their place in the tree is fixed); pages follow the position, so nothing is skipped or repeated
while the log grows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, bindparam, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_params
from app.access.events import (
    OBJECT_VISIBILITY,
    EventReader,
    audit_scope,
    hidden_by,
    may_read_access_log,
    objects_to_check,
    reader_for,
    redacted,
    withheld_actor_types,
    withholds_actor,
)
from app.agencies.models import Agency
from app.audit.access_log import access_entry
from app.audit.models import AccessLogCase, AccessLogEntry, AuditEvent
from app.auth.current import rows_checked, session_now
from app.auth.principal import Principal
from app.cases.service import get_case_view
from app.db import AnySelect
from app.documents.models import Document
from app.errors import Problem
from app.ledger.leaf import FIELDS, event_document
from app.ledger.models import LogLeaf
from app.pagination import decode_cursor, split_page
from app.runtime import Runtime

_EVENT_COLUMNS = [getattr(AuditEvent, name) for name in FIELDS]


def sequenced_events() -> AnySelect:
    """Events with their positions and the acting agency's type, in log order."""
    return (
        select(LogLeaf.position, *_EVENT_COLUMNS, Agency.type.label("actor_agency_type"))
        .join(AuditEvent, AuditEvent.id == LogLeaf.event_id)
        .outerjoin(Agency, Agency.id == AuditEvent.agency_id)
        .order_by(LogLeaf.position)
    )


def as_item(row: dict[str, Any]) -> dict[str, Any]:
    return {"seq": int(row["position"]), **event_document(row)}


async def invisible_objects(
    session: AsyncSession, principal: Principal, wanted: dict[str, set[uuid.UUID]]
) -> set[tuple[str, str]]:
    """Of the referrals, transfers and claims ``wanted``, those the caller may not see, as
    (type, id): one query per kind, with the one visibility predicate of each."""
    invisible: set[tuple[str, str]] = set()
    params = caller_params(principal, session_now(session))
    for kind, ids in wanted.items():
        model, visible = OBJECT_VISIBILITY[kind]
        found = await session.execute(
            select(model.id).where(model.id.in_(ids), visible(principal)), params
        )
        invisible |= {(kind, str(i)) for i in ids - set(found.scalars())}
    return invisible


async def shown(
    session: AsyncSession,
    principal: Principal,
    rows: list[dict[str, Any]],
    reader_of: Callable[[dict[str, Any]], EventReader | None],
) -> list[dict[str, Any]]:
    """The events of ``rows`` as the caller may see them: those about a referral, transfer or
    claim it may not see left out (one query per kind of object on the page, with the one
    visibility predicate of each), the others redacted (``reader_of``: the reader for a row)."""
    items = [as_item(row) for row in rows]
    invisible = await invisible_objects(session, principal, objects_to_check(items))
    return [
        redacted(item, reader_of(row), row["actor_agency_type"])
        for row, item in zip(rows, items, strict=True)
        if not hidden_by(item, invisible)
    ]


def _after(cursor: str | None) -> int:
    return -1 if cursor is None else int(decode_cursor(cursor, int)[0])


def _page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    return split_page(rows, limit, lambda last: [int(last["position"])])


async def case_history(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The case's sequenced events in log order, each redacted to what the caller may read of
    the case now; 404 when the case is not visible to it (after a malformed cursor's 422)."""
    after = _after(cursor)
    view = await get_case_view(session, principal, case_id)
    reader = reader_for(
        principal, view.relations, assigned=view.assigned, family_complicity=view.family_complicity
    )
    statement = (
        sequenced_events()
        .where(AuditEvent.case_id == case_id, LogLeaf.position > after)
        .limit(limit + 1)
    )
    found = await session.execute(statement)
    rows, next_cursor = _page([dict(r._mapping) for r in found], limit)
    runtime.access_log.add(
        access_entry(
            principal,
            "GET",
            "/v1/cases/{case_id}/history",
            outcome="read",
            object_type="history",
            object_id=str(case_id),
        )
    )
    return await shown(session, principal, rows, lambda row: reader), next_cursor


# The audit office's search: each filter compares against a bind parameter of its own name.
_EQUAL = {
    "agency_id": AuditEvent.agency_id,
    "actor_id": AuditEvent.actor_id,
    "action": AuditEvent.action,
    "case_id": AuditEvent.case_id,
}


async def search_events(
    session: AsyncSession,
    principal: Principal,
    filters: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Sequenced events in the audit office's scope (``audit_scope``), in log order, filtered by
    acting agency, actor, action, case and a time range [from, to) of ``occurred_at``. Events of
    a case are redacted to the office's field set; events of no case are shown as recorded."""
    # An audit office holds one relation to every case it sees: one reader serves the page.
    of_case = reader_for(principal, {"auditor"}, assigned=False, family_complicity=True)
    statement = sequenced_events().where(audit_scope(principal))
    params: dict[str, Any] = {}
    for name, column in _EQUAL.items():
        if filters.get(name) is not None:
            statement = statement.where(column == bindparam(f"f_{name}"))
            params[f"f_{name}"] = filters[name]
    unattributed = withheld_actor_types(of_case)
    if unattributed and (filters.get("agency_id") is not None or filters.get("actor_id") is not None):
        # Searching by who acted finds no act the page would show unattributed: otherwise
        # asking for a shelter's acts on a case would tell which shelter holds her.
        statement = statement.where(
            or_(
                AuditEvent.case_id.is_(None),
                Agency.type.is_(None),
                and_(*[Agency.type != kind for kind in sorted(unattributed)]),
            )
        )
    if filters.get("occurred_from") is not None:
        statement = statement.where(AuditEvent.occurred_at >= bindparam("f_from"))
        params["f_from"] = filters["occurred_from"]
    if filters.get("occurred_to") is not None:
        statement = statement.where(AuditEvent.occurred_at < bindparam("f_to"))
        params["f_to"] = filters["occurred_to"]
    statement = statement.where(LogLeaf.position > bindparam("f_after", type_=BigInteger())).limit(
        bindparam("f_limit", type_=Integer())
    )
    params |= {"f_after": _after(cursor), "f_limit": limit + 1}
    rows, next_cursor = _page(await rows_checked(session, principal, statement, params), limit)
    items = await shown(
        session, principal, rows, lambda row: of_case if row["case_id"] is not None else None
    )
    return items, next_cursor


# What a case's access log shows of each row: who, when, how, what and why; never the other
# objects a list page held (those are other cases, perhaps not the reader's to know of).
_ACCESS_COLUMNS = (
    "id", "occurred_at", "principal_type", "principal_id", "agency_id", "method", "route",
    "status", "outcome", "object_type", "object_id", "purpose", "fields", "request_id",
)  # fmt: skip


# What names the reader of an access-log row.
_ACCESS_ACTOR = ("principal_id", "agency_id", "request_id")


async def case_access_log(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Every access-log row about the case, oldest first: reads and denials of the case and of
    its documents, and the list pages, searches and feed pages that held it. For the owning
    agency's supervisors and audit offices (404 for those who do not see the case, 403 for
    other relations)."""
    after = None if cursor is None else decode_cursor(cursor, datetime, uuid.UUID)
    # Rows still buffered (the last tenth of a second) belong in the answer: written before the
    # request's first read, whose snapshot (on SQLite) the rest of its reads share.
    await runtime.access_log.flush()
    view = await get_case_view(session, principal, case_id)
    if not may_read_access_log(principal, view.relations):
        raise Problem(403, "A case's access log is for its owning agency's supervisors and auditors.")
    documents = await session.execute(select(Document.id).where(Document.case_id == case_id))
    named = [str(case_id), *(str(d) for d in documents.scalars())]
    statement = (
        select(
            *[getattr(AccessLogEntry, c) for c in _ACCESS_COLUMNS],
            Agency.type.label("agency_type"),
        )
        .outerjoin(Agency, Agency.id == AccessLogEntry.agency_id)
        .where(
            or_(
                AccessLogEntry.object_id.in_(named),
                AccessLogEntry.id.in_(
                    select(AccessLogCase.access_id).where(AccessLogCase.case_id == case_id)
                ),
            )
        )
    )
    if after is not None:
        statement = statement.where(
            tuple_(AccessLogEntry.occurred_at, AccessLogEntry.id) > tuple_(*after)
        )
    statement = statement.order_by(AccessLogEntry.occurred_at, AccessLogEntry.id).limit(limit + 1)
    found = [dict(r._mapping) for r in await session.execute(statement)]
    rows, next_cursor = split_page(
        found, limit, lambda last: [last["occurred_at"].isoformat(), str(last["id"])]
    )
    # Who read the case is withheld as an event's actor is: her shelter's reads do not tell a
    # reader that may not know where she is which shelter holds her.
    reader = reader_for(
        principal, view.relations, assigned=view.assigned, family_complicity=view.family_complicity
    )
    for row in rows:
        if withholds_actor(reader, row.pop("agency_type")):
            row.update(dict.fromkeys(_ACCESS_ACTOR), actor_withheld=True)
    runtime.access_log.add(
        access_entry(
            principal,
            "GET",
            "/v1/cases/{case_id}/access-log",
            outcome="read",
            object_type="access_log",
            object_id=str(case_id),
        )
    )
    return rows, next_cursor
