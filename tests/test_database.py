"""Both databases behave alike: concurrent writers queue instead of failing, the schema matches the
models, and on PostgreSQL the API's role owns nothing and cannot rewrite the logs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from app.auth.permissions import AgencyType, Role
from app.cli import alembic_config
from app.ledger.protection import APPEND_ONLY
from tests.harness import Harness


def test_concurrent_writes_all_succeed(h: Harness) -> None:
    _, sysadmin = h.person(AgencyType.PLATFORM, Role.SYSTEM_ADMIN)

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            requests = [
                client.post(
                    "/v1/agencies",
                    json={"name": f"Concurrent CWC {i}", "type": "cwc", "state": "IN-WB"},
                    headers=sysadmin,
                )
                for i in range(12)
            ]
            return [r.status_code for r in await asyncio.gather(*requests)]

    assert h.run(burst) == [201] * 12
    assert h.sql("SELECT count(*) FROM agencies WHERE name LIKE 'Concurrent CWC %'")[0][0] == 12
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'agency.created'")[0][0] >= 12


def test_schema_matches_the_models(database_urls: tuple[str, str]) -> None:
    owner, _ = database_urls
    command.check(alembic_config(owner))


@pytest.mark.sqlite
def test_sqlite_runs_with_foreign_keys_and_wal(h: Harness) -> None:
    async def pragmas() -> tuple[int, str]:
        async with h.runtime.db.session(write=False) as session:
            fk = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
            mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
            return int(fk), str(mode)

    assert h.run(pragmas) == (1, "wal")


def test_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    command.check(config)


# A column of each log table without ``occurred_at``, for the UPDATE probe.
COLUMN_OF = {"log_leaves": "leaf_hash", "log_nodes": "hash", "log_checkpoints": "origin"}


@pytest.mark.postgres
def test_the_api_role_owns_nothing_and_cannot_rewrite_logs(h: Harness) -> None:
    async def probe() -> dict[str, object]:
        results: dict[str, object] = {}
        async with h.runtime.db.engine.connect() as conn:
            owned = await conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
            )
            results["owned"] = owned.scalar_one()
            await conn.commit()
            for table in (*APPEND_ONLY, "access_log", "security_log"):
                column = COLUMN_OF.get(table, "occurred_at")
                for statement in (
                    f"UPDATE {table} SET {column} = {column}",
                    f"DELETE FROM {table}",
                    f"TRUNCATE {table}",
                ):
                    try:
                        await conn.execute(text(statement))
                        results[statement] = "allowed"
                    except Exception as exc:
                        results[statement] = (
                            "permission denied" if "permission denied" in str(exc) else repr(exc)
                        )
                    await conn.rollback()
        return results

    results = h.run(probe)
    assert results.pop("owned") == 0
    assert results, "no statements were tried"
    assert all(outcome != "allowed" for outcome in results.values()), results
    assert set(results.values()) == {"permission denied"}
