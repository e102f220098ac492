"""The access log: denied attempts (401/403/404) on every route, and reads of case data.

Denials are buffered and flushed within a second by the background task, each batch in a
transaction of its own, so they survive the failed request that caused them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from app.audit.models import AccessLogCase, AccessLogEntry
from app.auth.principal import Principal
from app.context import request_id_var
from app.db import AnySelect, Database, utcnow
from app.driver import DRIVER, Driver
from app.ops.metrics import ACCESS_LOG_DROPPED
from app.ops.middleware import route_template

log = logging.getLogger("homecoming.access")
S = TypeVar("S", bound=AnySelect)


def _object_id(path_params: dict[str, Any]) -> str | None:
    # The innermost id in the path is the object acted on (ids are UUIDs, never identity).
    for name in reversed(list(path_params)):
        if name.endswith("_id"):
            return str(path_params[name])[:64]
    return None


def access_entry(
    principal: Principal | None,
    method: str,
    route: str,
    *,
    outcome: str,
    status: int = 200,
    object_type: str | None = None,
    object_ids: Sequence[uuid.UUID] | None = None,
    object_id: str | None = None,
    purpose: str | None = None,
    fields: Sequence[str] | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """One access-log row, however it is written (buffered, or now in the caller's transaction).
    Without ``object_id``, a single object's id stands there; a list records all of them."""
    if object_id is None and object_ids is not None and len(object_ids) == 1:
        object_id = str(object_ids[0])
    return {
        "id": uuid.uuid4(),
        "occurred_at": occurred_at or utcnow(),
        "principal_type": principal.kind if principal else None,
        "principal_id": principal.id if principal else None,
        "agency_id": principal.agency_id if principal else None,
        "method": method,
        "route": route,
        "status": status,
        "outcome": outcome,
        "object_type": object_type,
        "object_id": object_id,
        "purpose": purpose,
        "fields": sorted(fields) if fields is not None else None,
        "object_ids": [str(i) for i in object_ids] if object_ids is not None else None,
        "request_id": request_id_var.get(),
    }


# Entries whose ``object_ids`` are case ids (others list notes or documents of one case, named
# in ``object_id``).
_CASE_LISTS = frozenset({"case", "identity", "changes"})


def case_links(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``access_log_cases`` rows for the entries that read several cases at once."""
    return [
        {"case_id": uuid.UUID(case_id), "access_id": entry["id"]}
        for entry in entries
        if entry["object_type"] in _CASE_LISTS and len(entry["object_ids"] or ()) > 1
        for case_id in entry["object_ids"]
    ]


async def write_access_now(session: AsyncSession, entry: dict[str, Any]) -> None:
    """Unbuffered, in the caller's transaction: for identity reads and searches, which must be
    logged before the answer leaves."""
    await session.execute(insert(AccessLogEntry).values(**entry))
    links = case_links([entry])
    if links:
        await session.execute(insert(AccessLogCase), links)


_TABLE: Table = AccessLogEntry.__table__  # type: ignore[assignment]
_LINKS: Table = AccessLogCase.__table__  # type: ignore[assignment]

# The access-log row as a data-modifying CTE, riding in the statement that reads what it logs.
_LOGGED = (
    insert(AccessLogEntry)
    .values({column.name: bindparam(f"log_{column.name}") for column in AccessLogEntry.__table__.c})
    .cte("access_logged")
)


def with_access_log(statement: S) -> S:
    """``statement`` carrying the INSERT of its access-log row (``read_logged`` runs it). Build it
    once, at import: a statement object is compiled once per object."""
    return statement.add_cte(_LOGGED)


async def read_logged(
    session: AsyncSession,
    statement: AnySelect,
    logged: AnySelect,
    params: dict[str, Any],
    entry: dict[str, Any],
) -> list[dict[str, Any]]:
    """Read ``statement`` and write ``entry`` so that the log row is committed before the answer
    exists. On PostgreSQL, while the session has begun no transaction, that is one statement on
    the driver (``logged``: the same SELECT with the INSERT as a data-modifying CTE, both or
    neither, durable when it returns); otherwise the INSERT and the SELECT run in the session's
    transaction, which the route commits before the response is sent. Either way the row says
    what was asked for, before anything is decrypted."""
    driver: Driver | None = session.info.get(DRIVER)
    if driver is not None and not session.in_transaction():
        rows = await driver.fetch(logged, params | {f"log_{k}": v for k, v in entry.items()})
        if rows is not None:
            return rows
    await write_access_now(session, entry)
    return [dict(row._mapping) for row in await session.execute(statement, params)]


class AccessLogBuffer:
    """Access-log rows collected in memory and written in batches, in transactions of their own,
    by the background task at least every ``FLUSH_SECONDS``: a flood of denied requests costs one
    insert per batch, not a write transaction each. A crash may lose the last second of rows
    (documented). Identity reads are never buffered: they are written before the response."""

    # Small batches often: a flush is work on the event loop, and spread thin it does not show in
    # the latency of the requests around it (bench/README.md, the fixed-rate run).
    FLUSH_SECONDS = 0.1
    MAX_PENDING = 50_000

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[dict[str, Any]] = []
        # One flush at a time: a flush that returns has written everything added before it,
        # including rows a concurrent flush had taken but not yet committed.
        self._flushing = asyncio.Lock()

    def add(self, values: dict[str, Any]) -> None:
        if len(self._pending) >= self.MAX_PENDING:
            ACCESS_LOG_DROPPED.inc()
            log.warning("access log buffer full; a row was dropped")
            return
        self._pending.append(values)

    async def flush(self) -> int:
        async with self._flushing:
            return await self._write_pending()

    async def _write_pending(self) -> int:
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            # On PostgreSQL straight on the driver: a few hundred rows cost the event loop well
            # under a millisecond that way, against tens through the ORM's bulk insert.
            driver = self._db.driver
            links = case_links(batch)
            if driver is None or not await driver.insert_many([(_TABLE, batch), (_LINKS, links)]):
                async with self._db.transaction() as session:
                    await session.execute(insert(_TABLE), batch)
                    if links:
                        await session.execute(insert(_LINKS), links)
        except Exception:
            # Keep the rows for the next flush rather than lose them to a passing fault.
            self._pending = batch[: self.MAX_PENDING - len(self._pending)] + self._pending
            raise
        return len(batch)


async def record_denied(request: Request, status: int) -> None:
    if "route" not in request.scope:
        return  # no such route at all: nothing was attempted on an object
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    runtime.access_log.add(
        access_entry(
            principal,
            request.method,
            route_template(request.scope),
            outcome="denied",
            status=status,
            object_id=_object_id(request.path_params),
        )
    )
