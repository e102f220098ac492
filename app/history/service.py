"""Reading the sequenced log: a case's history for whoever sees the case, and an audit office's
search of the events in its scope. Only sequenced events are served (they have a position, and
their place in the tree is fixed); pages follow the position, so nothing is skipped or repeated
while the log grows.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.events import EVERYTHING, audit_scope, reader_for, redacted
from app.audit.access_log import access_entry
from app.audit.models import AuditEvent
from app.auth.current import rows_checked
from app.auth.principal import Principal
from app.cases.service import get_case_view
from app.db import AnySelect
from app.ledger.leaf import FIELDS, event_document
from app.ledger.models import LogLeaf
from app.pagination import decode_cursor, split_page
from app.runtime import Runtime

_EVENT_COLUMNS = [getattr(AuditEvent, name) for name in FIELDS]


def sequenced_events() -> AnySelect:
    """Events with their positions, in log order."""
    return (
        select(LogLeaf.position, *_EVENT_COLUMNS)
        .join(AuditEvent, AuditEvent.id == LogLeaf.event_id)
        .order_by(LogLeaf.position)
    )


def as_item(row: dict[str, Any]) -> dict[str, Any]:
    return {"seq": int(row["position"]), **event_document(row)}


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
    return [redacted(as_item(row), reader) for row in rows], next_cursor


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
    statement = sequenced_events().where(audit_scope(principal))
    params: dict[str, Any] = {}
    for name, column in _EQUAL.items():
        if filters.get(name) is not None:
            statement = statement.where(column == bindparam(f"f_{name}"))
            params[f"f_{name}"] = filters[name]
    if filters.get("occurred_from") is not None:
        statement = statement.where(AuditEvent.occurred_at >= bindparam("f_from"))
        params["f_from"] = filters["occurred_from"]
    if filters.get("occurred_to") is not None:
        statement = statement.where(AuditEvent.occurred_at < bindparam("f_to"))
        params["f_to"] = filters["occurred_to"]
    statement = statement.where(LogLeaf.position > bindparam("f_after", type_=Integer())).limit(
        bindparam("f_limit", type_=Integer())
    )
    params |= {"f_after": _after(cursor), "f_limit": limit + 1}
    rows, next_cursor = _page(await rows_checked(session, principal, statement, params), limit)
    # An audit office holds one relation to every case it sees: one reader serves the page.
    of_case = reader_for(principal, {"auditor"}, assigned=False, family_complicity=True)
    return [
        redacted(as_item(row), of_case if row["case_id"] is not None else EVERYTHING) for row in rows
    ], next_cursor
