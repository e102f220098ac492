"""PostgreSQL roles: the schema owner runs migrations; the API logs in as a role that owns nothing and
belongs to a group role (``HOMECOMING_API_DB_ROLE``) that the migrations grant to, table by table.
Log tables get SELECT and INSERT only, so the API cannot rewrite history."""

from __future__ import annotations

import re

from alembic import op

from app.config import get_settings

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def quoted(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a plain SQL identifier: {identifier!r}")
    return f'"{identifier}"'


def api_role() -> str:
    return get_settings().api_db_role


def grant_api(table: str, *, append_only: bool = False) -> None:
    """Grant the API's group role what it needs on ``table`` (PostgreSQL only; SQLite has no roles)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    privileges = "SELECT, INSERT" if append_only else "SELECT, INSERT, UPDATE, DELETE"
    op.execute(f"GRANT {privileges} ON TABLE {quoted(table)} TO {quoted(api_role())}")
