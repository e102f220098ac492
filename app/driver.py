"""Single statements run straight on the PostgreSQL driver, in autocommit.

SQLAlchemy's async execution layer (a greenlet hop, connection, transaction and execution-context
objects, result processing) costs several times the SELECT it runs. Measured on the benchmark's
machine (bench/README.md), a FastAPI route reading one case by id serves about 0.6x of a bare
Starlette + asyncpg app when it calls asyncpg, 0.2x through SQLAlchemy Core and 0.15x through an
ORM session. So the reads that requests make most (``app.auth.current.first_row_checked`` and
``rows_checked``: a case by id, a page of cases; and an identity read together with its
access-log row, ``app.audit.access_log.read_logged``) run on an asyncpg pool of their own.

The SQL is the same object either way: the statement is built and compiled by SQLAlchemy (once
per statement object), and its bind and result processors are applied here, so the driver returns
what the session would. The rule for when: a request's session sends a statement to the driver
only while it has not begun a transaction of its own. Until then the session has written nothing,
so a statement on another connection sees exactly what the session would (PostgreSQL runs the
request at READ COMMITTED: every statement sees what was committed before it began); once it
has begun, everything goes through the session, so its reads see its own writes. On SQLite there
is no driver.
"""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Insert, Table, insert
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select

# The key under which a session carries the driver (``AsyncSession.info``).
DRIVER = "driver"
# Set on a request's session when everything it writes must commit together with something the
# request writes last (an Idempotency-Key's outcome): no statement of it goes to the driver.
ONE_TRANSACTION = "one_transaction"

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # The bind parameters in positional order: name, value if none is given (a literal written in
    # the statement), whether a value must be given, and SQLAlchemy's processor for its type.
    binds: tuple[tuple[str, Any, bool, Processor | None], ...]
    # Result columns that need converting, by name (most need nothing on asyncpg).
    results: tuple[tuple[str, Processor], ...]


class Driver:
    """A small asyncpg pool for single statements in autocommit, started with the app."""

    def __init__(self, url: str, max_size: int = 10) -> None:
        parsed = make_url(url)
        self._dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._max_size = max_size
        self._dialect = asyncpg_dialect(  # type: ignore[no-untyped-call]
            json_serializer=json.dumps, json_deserializer=json.loads
        )
        self._pool: asyncpg.Pool | None = None
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled | None] = weakref.WeakKeyDictionary()

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def start(self) -> None:
        # min_size=0: connections open on first use, so the app starts (and /health/ready tells)
        # while the database is still coming up, as with the engines' lazy pools.
        self._pool = await asyncpg.create_pool(
            self._dsn, min_size=0, max_size=self._max_size, init=_set_codecs, reset=_keep
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def fetch(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> list[dict[str, Any]] | None:
        """Every row of ``statement`` as a dict of column name to value; None when the statement
        is not one for the driver (parameters rendered per execution, such as an expanding IN):
        the caller runs it through its session."""
        if self._pool is None:
            return None
        compiled = self._compile(statement)
        if compiled is None:
            return None
        records = await self._pool.fetch(compiled.sql, *_args(compiled, params))
        rows = [dict(record) for record in records]
        for name, process in compiled.results:
            for row in rows:
                row[name] = process(row[name])
        return rows

    async def records(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> list[asyncpg.Record] | None:
        """The rows of ``statement`` as asyncpg returns them (read by name, like a dict), for a
        caller reading many: None unless every column arrives as the session would give it (no
        result processor) and the statement is one for the driver."""
        if self._pool is None:
            return None
        compiled = self._compile(statement)
        if compiled is None or compiled.results:
            return None
        return list(await self._pool.fetch(compiled.sql, *_args(compiled, params)))

    async def insert_many(self, batches: Sequence[tuple[Table, list[dict[str, Any]]]]) -> bool:
        """INSERT each batch's rows (each with every column of its table), in order and in one
        transaction; False when the driver is not started (the caller inserts through a
        session)."""
        if self._pool is None:
            return False
        async with self._pool.acquire() as connection, connection.transaction():
            for table, rows in batches:
                if not rows:
                    continue
                compiled = self._compile(_insert_of(table))
                assert compiled is not None
                await connection.executemany(
                    compiled.sql,
                    [
                        [
                            row[name] if process is None else process(row[name])
                            for name, _, _, process in compiled.binds
                        ]
                        for row in rows
                    ],
                )
        return True

    def _compile(self, statement: Any) -> _Compiled | None:
        if statement in self._compiled:
            return self._compiled[statement]
        found = self._compiled[statement] = self._build(statement)
        return found

    def _build(self, statement: Any) -> _Compiled | None:
        compiled = statement.compile(dialect=self._dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            return None
        processors: Mapping[str, Any] = compiled._bind_processors
        binds = tuple(
            (
                name,
                compiled.binds[name].effective_value,
                compiled.binds[name].required,
                processors.get(name),
            )
            for name in compiled.positiontup or ()
        )
        results = []
        for column in compiled._result_columns:
            process = column.type._cached_result_processor(self._dialect, None)
            if process is not None:
                results.append((column.keyname, process))
        return _Compiled(str(compiled), binds, tuple(results))


def _args(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    """The positional arguments of ``compiled`` from ``params``, through its bind processors."""
    args = []
    for name, default, required, process in compiled.binds:
        if name in params:
            value = params[name]
        elif required:
            # As SQLAlchemy would: a missing value must not become NULL (LIMIT NULL is no limit).
            raise KeyError(f"no value for the bind parameter {name!r}")
        else:
            value = default
        args.append(value if process is None else process(value))
    return args


@functools.cache
def _insert_of(table: Table) -> Insert:
    """An INSERT of every column, one statement object per table (so it is compiled once)."""
    return insert(table)


async def _keep(connection: asyncpg.Connection) -> None:
    """No reset query on release (a round trip each time): these connections only ever run single
    statements in autocommit (reads, an identity read with its log row, log inserts), so they
    hold no session state to clear."""


async def _set_codecs(connection: asyncpg.Connection) -> None:
    # As SQLAlchemy's asyncpg dialect does: JSON arrives decoded, and goes out as the text its
    # bind processor has already serialised (encoding it again would store a JSON string).
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(kind, encoder=_as_text, decoder=json.loads, schema="pg_catalog")


def _as_text(value: str) -> str:
    return value


def driver_of(session: Any) -> Driver | None:
    """The driver, if ``session`` may send a statement to it now: it has begun no transaction of
    its own (so nothing it wrote is unseen there) and is not bound to one (``ONE_TRANSACTION``).
    A write sent to the driver is one statement, committed when it returns."""
    driver: Driver | None = session.info.get(DRIVER)
    if driver is None or session.in_transaction() or session.info.get(ONE_TRANSACTION):
        return None
    return driver


async def fetch_rows(
    session: Any, statement: Select[Any], params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rows of a SELECT of columns as dicts: on the driver when ``driver_of`` allows, else on
    the session's connection (it sees what the session wrote)."""
    driver = driver_of(session)
    if driver is not None:
        rows = await driver.fetch(statement, params)
        if rows is not None:
            return rows
    await session.flush()
    connection = await session.connection()
    return [dict(row._mapping) for row in await connection.execute(statement, params)]
