"""The log tables' protection exists after the migrations, on both databases: the triggers that
refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), and on PostgreSQL grants of SELECT and
INSERT alone to the API's group role, which can neither disable a trigger nor drop one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.cli import alembic_config
from app.db import create_engine
from app.dbroles import api_role
from app.ledger.protection import APPEND_ONLY
from tests.conftest import _recreate_postgres_database
from tests.harness import Harness

_TRIGGERS_PG = (
    "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE NOT t.tgisinternal AND t.tgenabled = 'O'"
)
_TRIGGERS_SQLITE = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
_GRANTS_PG = (
    "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
    " WHERE grantee = :role AND table_name = ANY(:tables)"
)


def _expected_triggers(dialect: str) -> set[tuple[str, str]]:
    if dialect == "postgresql":
        kinds = ("append_only", "no_truncate")
        expected = {(t, f"{t}_{kind}") for t in APPEND_ONLY for kind in kinds}
    else:
        expected = {(t, f"{t}_no_{verb}") for t in APPEND_ONLY for verb in ("update", "delete")}
    return expected


def test_the_triggers_exist(h: Harness) -> None:
    dialect = h.owner_engine.dialect.name
    rows = h.sql(_TRIGGERS_PG if dialect == "postgresql" else _TRIGGERS_SQLITE)
    found = {(r[0], r[1]) for r in rows}
    assert _expected_triggers(dialect) | {("audit_events", "audit_events_queue")} <= found


def test_the_protection_holds_after_every_migration_of_the_log(
    tmp_path: Path, database_urls: tuple[str, str]
) -> None:
    """From the revision that made the logs append-only to the head, one step at a time, on a
    scratch database of the suite's backend: the triggers are there after each step (and on
    PostgreSQL the API's role may only read and append the log tables)."""
    owner, _ = database_urls
    if make_url(owner).get_backend_name() == "postgresql":
        name = f"{make_url(owner).database}_steps"
        asyncio.run(_recreate_postgres_database(owner, name))
        url = make_url(owner).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'steps.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0014")
    steps = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions("0015", "head")]
    assert steps[-1] == "0015"
    for revision in reversed(steps):
        command.upgrade(config, revision)
        triggers, grants = asyncio.run(_protection(url))
        dialect = "postgresql" if "postgresql" in url else "sqlite"
        assert _expected_triggers(dialect) <= triggers, revision
        if dialect == "postgresql":
            assert grants == {t: {"SELECT", "INSERT"} for t in APPEND_ONLY}, revision


async def _protection(url: str) -> tuple[set[tuple[str, str]], dict[str, set[str]]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            postgres = conn.dialect.name == "postgresql"
            rows = await conn.execute(text(_TRIGGERS_PG if postgres else _TRIGGERS_SQLITE))
            triggers = {(r[0], r[1]) for r in rows}
            granted: dict[str, set[str]] = {}
            if postgres:
                found = await conn.execute(
                    text(_GRANTS_PG), {"role": api_role(), "tables": list(APPEND_ONLY)}
                )
                for table, privilege in found:
                    granted.setdefault(table, set()).add(privilege)
            return triggers, granted
    finally:
        await engine.dispose()


@pytest.mark.postgres
def test_the_api_role_may_only_read_and_append_the_logs(h: Harness) -> None:
    rows = h.sql(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = :role AND table_name = ANY(:tables)",
        role=api_role(),
        tables=list(APPEND_ONLY),
    )
    granted: dict[str, set[str]] = {}
    for table, privilege in rows:
        granted.setdefault(table, set()).add(privilege)
    assert granted == {t: {"SELECT", "INSERT"} for t in APPEND_ONLY}

    async def attempt(statement: str) -> str:
        async with h.runtime.db.engine.connect() as conn:
            try:
                await conn.execute(text(statement))
            except Exception as exc:
                await conn.rollback()
                return str(exc)
            await conn.rollback()
            return "allowed"

    for table in APPEND_ONLY:
        for statement in (
            f"ALTER TABLE {table} DISABLE TRIGGER USER",
            f"DROP TRIGGER {table}_append_only ON {table}",
            f"TRUNCATE {table}",
        ):
            outcome = h.run(lambda s=statement: attempt(s))
            assert "must be owner" in outcome or "permission denied" in outcome, (statement, outcome)


def test_the_owner_itself_is_refused_while_the_protection_is_on(h: Harness) -> None:
    """Protection is not only grants: the triggers stop the owner too, until it lifts them."""
    h.sql('INSERT INTO log_nodes (level, "index", hash) VALUES (40, 1, :hash)', hash=b"x" * 32)
    with pytest.raises(Exception, match="append-only"):
        h.sql("DELETE FROM log_nodes WHERE level = 40")
    with pytest.raises(Exception, match="append-only"):
        h.sql("UPDATE log_nodes SET hash = :hash WHERE level = 40", hash=b"y" * 32)
