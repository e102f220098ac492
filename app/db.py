"""Engine, sessions and the declarative base shared by every model.

Both databases behave the same to the code above this module: foreign keys on, timezone-aware
timestamps, and on SQLite every write transaction starts with ``BEGIN IMMEDIATE`` under a busy timeout,
so that two writers queue instead of one failing half-way with "database is locked".
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, Select, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from app.driver import DRIVER, Driver

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
_IMMEDIATE = "sqlite_begin_immediate"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
# A SELECT of any number of columns of any types.
AnySelect = Select[*tuple[Any, ...]]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDocument}


def utcnow() -> datetime:
    return datetime.now(UTC)


# The range of a BIGINT column (PostgreSQL; SQLite's INTEGER holds the same): a value from a
# request compared with one must lie within it, or the query fails instead of finding nothing.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def time_ordered_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562 section 5.7): the Unix time in milliseconds, then 74 random bits. For
    rows written in time order and never looked up by age from the id alone (audit events, acts):
    their primary-key index grows at its right edge instead of on random pages of a large index,
    as millions of rows accumulate. (Not for cases and people: an id should not date them.)"""
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | (random_bits & ((1 << 80) - 1))
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # the RFC's variant
    return uuid.UUID(int=value)


def dialect_name(session: AsyncSession) -> str:
    return session.sync_session.get_bind().dialect.name


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _configure_sqlite(engine: AsyncEngine, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself, so writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str, *, sqlite_foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """``sqlite_foreign_keys=False`` is for migrations only: SQLite's batch mode rebuilds a table
    by copying it, which foreign-key enforcement would refuse while other tables refer to it."""
    # Bound parameters can hold identity: keep them out of exception messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine, sqlite_foreign_keys)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=False, **kwargs)


class Database:
    """The engine and the two session factories: one for reads, one whose transactions write."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        # Reads run outside an explicit transaction on PostgreSQL, on a pool of their own whose
        # connections are set to autocommit once: each statement sees what was committed before it
        # began, as under READ COMMITTED, without BEGIN and COMMIT round trips. (SQLite keeps its
        # transaction: a read there costs no round trip, and its snapshot keeps a read consistent
        # while another connection writes.)
        self.read_engine = (
            self.engine if is_sqlite(url) else create_engine(url, isolation_level="AUTOCOMMIT")
        )
        # The hot statements of a request skip SQLAlchemy's execution layer (app.driver).
        self.driver = None if is_sqlite(url) else Driver(url)
        self._read = async_sessionmaker(
            self.read_engine, expire_on_commit=False, info={DRIVER: self.driver}
        )
        self._write = async_sessionmaker(
            self.engine.execution_options(**{_IMMEDIATE: True}),
            expire_on_commit=False,
            info={DRIVER: self.driver},
        )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    def session(self, *, write: bool) -> AsyncSession:
        return (self._write if write else self._read)()

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """One short transaction of its own, committed on success (throttles, security log)."""
        async with self.session(write=write) as session, session.begin():
            yield session

    async def start(self) -> None:
        """Open what the app needs beyond the engines' lazy pools (the driver's pool)."""
        if self.driver is not None:
            await self.driver.start()

    async def dispose(self) -> None:
        if self.driver is not None:
            await self.driver.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
