"""``homecoming db bootstrap``: create PostgreSQL roles and the database, once, as a superuser.

Roles: the schema owner (user of HOMECOMING_MIGRATION_DATABASE_URL), the API's login role (user of
HOMECOMING_DATABASE_URL, which owns nothing) and the group role HOMECOMING_API_DB_ROLE that the
migrations grant to. Running it again changes nothing but the two login passwords.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

from app.config import ConfigurationError, Settings
from app.dbroles import quoted


def _plain_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _role_exists(conn: Any, name: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name))


async def _literal(conn: Any, value: str) -> str:
    return str(await conn.fetchval("SELECT quote_literal($1)", value))


async def _login_role(conn: Any, url: URL, extra: str = "") -> None:
    name = url.username or ""
    password = await _literal(conn, url.password or "") if url.password else None
    auth = f" PASSWORD {password}" if password else ""
    verb = "ALTER" if await _role_exists(conn, name) else "CREATE"
    await conn.execute(f"{verb} ROLE {quoted(name)} LOGIN{auth}{extra if verb == 'CREATE' else ''}")


async def bootstrap_postgres(settings: Settings, admin_url: str) -> dict[str, Any]:
    api = make_url(settings.effective_database_url)
    owner = make_url(settings.effective_migration_database_url)
    if not (api.drivername.startswith("postgresql") and owner.drivername.startswith("postgresql")):
        raise ConfigurationError("bootstrap is for PostgreSQL database URLs")
    if not api.username or not owner.username or api.username == owner.username:
        raise ConfigurationError(
            "HOMECOMING_DATABASE_URL and HOMECOMING_MIGRATION_DATABASE_URL must name two "
            "different users: the API logs in as a role that owns nothing"
        )
    if api.database != owner.database or not api.database:
        raise ConfigurationError("both URLs must name the same database")
    group = settings.api_db_role
    database = api.database
    conn = await asyncpg.connect(_plain_dsn(make_url(admin_url)))
    try:
        if not await _role_exists(conn, group):
            await conn.execute(f"CREATE ROLE {quoted(group)} NOLOGIN")
        await _login_role(conn, owner)
        await _login_role(conn, api)
        await conn.execute(f"GRANT {quoted(group)} TO {quoted(api.username)}")
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f"CREATE DATABASE {quoted(database)} OWNER {quoted(owner.username)}")
        await conn.execute(f"GRANT CONNECT ON DATABASE {quoted(database)} TO {quoted(group)}")
    finally:
        await conn.close()
    conn = await asyncpg.connect(_plain_dsn(make_url(admin_url).set(database=database)))
    try:
        await conn.execute(f"GRANT USAGE ON SCHEMA public TO {quoted(group)}")
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await conn.execute(f"GRANT CREATE ON SCHEMA public TO {quoted(owner.username)}")
    finally:
        await conn.close()
    return {
        "database": database,
        "owner": owner.username,
        "api_login": api.username,
        "api_group": group,
    }
