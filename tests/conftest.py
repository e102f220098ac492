"""Fixtures: a database per test worker built by running the migrations (SQLite by default,
PostgreSQL when TEST_DATABASE_URL names the schema owner), the app as the API's own database role,
and a clean database after every test."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.cli import alembic_config
from app.config import Settings
from app.db import create_engine
from app.ledger import protection
from app.main import create_app
from app.models import Base
from app.runtime import build_runtime
from app.vault.crypto import new_key_spec
from tests.harness import Clock, Harness

OWNER_URL = os.environ.get("TEST_DATABASE_URL")
API_URL = os.environ.get("TEST_API_DATABASE_URL")
ON_POSTGRES = bool(OWNER_URL)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests written for the other database."""
    other = "sqlite" if ON_POSTGRES else "postgres"
    deselected = [item for item in items if other in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if other not in item.keywords]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def _recreate_postgres_database(owner_url: str, name: str) -> None:
    admin = make_url(owner_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def _database_urls(tmp: Path) -> tuple[str, str]:
    """(schema owner's URL, API's URL) for this worker's database."""
    if not OWNER_URL:
        url = f"sqlite+aiosqlite:///{tmp / 'test.db'}"
        return url, url
    name = f"homecoming_test_{_worker()}"
    asyncio.run(_recreate_postgres_database(OWNER_URL, name))
    owner = make_url(OWNER_URL).set(database=name).render_as_string(hide_password=False)
    if not API_URL:
        raise RuntimeError("TEST_API_DATABASE_URL must name the API's login role")
    api = make_url(API_URL).set(database=name).render_as_string(hide_password=False)
    return owner, api


def make_settings(tmp: Path) -> Settings:
    return Settings(
        env="development",
        data_dir=tmp,
        token_signing_key=secrets.token_urlsafe(48),
        event_hash_key=secrets.token_urlsafe(48),
        throttle_key=secrets.token_urlsafe(48),
        log_signing_key=secrets.token_urlsafe(48),
        # Tests sequence the log themselves (tests/ledger), at the moments they choose.
        sequencer_interval_seconds=0,
        vault_keys=new_key_spec("k1"),
        blind_index_keys=new_key_spec("b1"),
        # OWASP's minimum for argon2id: keeps the suite fast, still the real algorithm.
        argon2_time_cost=2,
        argon2_memory_kib=19456,
        argon2_parallelism=1,
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    owner, api = _database_urls(tmp_path_factory.mktemp("db"))
    command.upgrade(alembic_config(owner), "head")
    return owner, api


@pytest.fixture(scope="session")
def harness_session(
    tmp_path_factory: pytest.TempPathFactory, database_urls: tuple[str, str]
) -> Iterator[Harness]:
    owner, api = database_urls
    settings = make_settings(tmp_path_factory.mktemp("data"))
    runtime = build_runtime(settings, database_url=api)
    clock = Clock()
    runtime.clock = clock
    app = create_app(settings, runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        owner_engine = create_engine(owner)
        password_hash = client.portal.call(runtime.passwords.hash, "correct horse battery staple")  # type: ignore[union-attr]
        yield Harness(client, runtime, owner_engine, password_hash, clock)
        client.portal.call(owner_engine.dispose)  # type: ignore[union-attr]


TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]


@pytest.fixture
def h(harness_session: Harness) -> Iterator[Harness]:
    yield harness_session
    harness_session.clock.frozen = None
    harness_session.client.cookies.clear()

    async def clean() -> None:
        # Rows still buffered belong to this test: write them now, or they would land in the next.
        await harness_session.runtime.access_log.flush()
        # The app's housekeeping (every minute) deletes from several tables in one transaction; a
        # TRUNCATE of all of them at that moment can deadlock with it. PostgreSQL breaks the cycle
        # by failing one side: if it is the TRUNCATE, do it again.
        for attempt in range(3):
            try:
                async with harness_session.owner_engine.begin() as conn:
                    # The logs are append-only: the owner lifts that for this transaction.
                    lift, restore = protection.suspended(conn.dialect.name)
                    for statement in lift:
                        await conn.execute(text(statement))
                    if conn.dialect.name == "postgresql":
                        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
                    else:
                        for table in TABLES:
                            await conn.execute(text(f"DELETE FROM {table}"))
                    for statement in restore:
                        await conn.execute(text(statement))
                return
            except DBAPIError as exc:
                if attempt == 2 or "deadlock" not in str(exc.orig).lower():
                    raise

    harness_session.run(clean)
