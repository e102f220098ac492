"""The log tables' protection exists after the migrations, on both databases: the triggers that
refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), and on PostgreSQL grants of SELECT and
INSERT alone to the API's group role, which can neither disable a trigger nor drop one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.dbroles import api_role
from app.ledger.protection import APPEND_ONLY
from tests.harness import Harness


def test_the_triggers_exist(h: Harness) -> None:
    if h.owner_engine.dialect.name == "postgresql":
        rows = h.sql(
            "SELECT c.relname, t.tgname, t.tgenabled::text FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        )
        found = {(r[0], r[1]) for r in rows if r[2] == "O"}
        expected = {(t, f"{t}_{kind}") for t in APPEND_ONLY for kind in ("append_only", "no_truncate")}
    else:
        rows = h.sql("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        found = {(r[0], r[1]) for r in rows}
        expected = {(t, f"{t}_no_{verb}") for t in APPEND_ONLY for verb in ("update", "delete")}
    assert expected <= found


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
