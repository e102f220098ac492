"""The change feed: the sequenced events of the cases a principal sees now, in log order, each
carrying only what the principal may read of its case now (``app.access.events``).

The cursor is a log position. Positions are given by one sequencer at a time, contiguous, in
batches that commit whole and in order, so once a position is visible every position before it
is too: a reader that learns the log's size first and then reads up to it skips nothing and,
following the cursor, repeats nothing, however writers and the sequencer interleave. A request
looks at a bounded window of positions (an agency with few cases does not make one request
scan the whole log); ``caught_up`` says whether the feed reached the end of the log.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import ASSIGNED_TO_CALLER, Shape, relations_of, shape_of, visible_of
from app.access.events import EventReader, reader_for
from app.agencies.models import Agency
from app.audit.access_log import access_entry
from app.audit.models import AuditEvent
from app.auth.current import rows_checked
from app.auth.principal import Principal
from app.cases.models import Case
from app.db import AnySelect
from app.history.service import shown
from app.ledger.leaf import FIELDS
from app.ledger.models import LogLeaf
from app.ledger.sequencer import tree_size
from app.runtime import Runtime

# Positions looked at by one request, at most.
WINDOW = 10_000


@functools.cache
def _feed_select(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    """Events in (after, until] of cases visible to the shape, with the caller's relations to
    each case (labelled columns): one statement decides both what is shown and what of it.
    Built once per principal shape; run with the caller's bind parameters."""
    relations = relations_of(shape)
    statement: AnySelect = (
        select(
            LogLeaf.position,
            *[getattr(AuditEvent, name) for name in FIELDS],
            Agency.type.label("actor_agency_type"),
            Case.flag_family_complicity,
            ASSIGNED_TO_CALLER.label("assigned"),
            *[clause.label(f"rel_{name}") for name, clause in relations.items()],
        )
        .join(AuditEvent, AuditEvent.id == LogLeaf.event_id)
        .join(Case, Case.id == AuditEvent.case_id)
        .outerjoin(Agency, Agency.id == AuditEvent.agency_id)
        .where(
            visible_of(shape),
            LogLeaf.position > bindparam("feed_after", type_=Integer()),
            LogLeaf.position <= bindparam("feed_until", type_=Integer()),
        )
        .order_by(LogLeaf.position)
        .limit(bindparam("feed_limit", type_=Integer()))
    )
    return statement, tuple(relations)


async def read_changes(
    session: AsyncSession, runtime: Runtime, principal: Principal, after: int, limit: int
) -> dict[str, Any]:
    """Up to ``limit`` visible events after position ``after``, and the position to read after
    next (``next_after``)."""
    # The log's end first: everything up to it is committed, so reading up to it misses nothing.
    last = await tree_size(session) - 1
    until = min(after + WINDOW, last)
    if until <= after:
        return {"items": [], "next_after": after, "caught_up": True}
    statement, names = _feed_select(shape_of(principal))
    params = {"feed_after": after, "feed_until": until, "feed_limit": limit + 1}
    rows = await rows_checked(session, principal, statement, params)
    if len(rows) > limit:
        rows = rows[:limit]
        next_after, caught_up = int(rows[-1]["position"]), False
    else:
        next_after, caught_up = until, until == last
    readers: dict[tuple[frozenset[str], bool, bool], EventReader] = {}

    def reader_of(row: dict[str, Any]) -> EventReader:
        relations = frozenset(name for name in names if row[f"rel_{name}"])
        key = (relations, bool(row["assigned"]), bool(row["flag_family_complicity"]))
        if key not in readers:
            readers[key] = reader_for(
                principal, set(relations), assigned=key[1], family_complicity=key[2]
            )
        return readers[key]

    items = await shown(session, principal, rows, reader_of)
    if items:
        runtime.access_log.add(
            access_entry(
                principal,
                "GET",
                "/v1/changes",
                outcome="read",
                object_type="changes",
                object_ids=sorted({uuid.UUID(item["case_id"]) for item in items}),
            )
        )
    return {"items": items, "next_after": next_after, "caught_up": caught_up}
