"""Idempotency-Key for POST requests (not /v1/auth/*).

* A first request claims its key in a short transaction of its own (so a concurrent twin sees it),
  then records its status and resource in the request's own transaction, with the change itself.
* A failed first request (any error) releases the key once its transaction has rolled back: it
  changed nothing, so the client may retry with the same key.
* A repeat with the same method, path and body replays the first status and re-reads the resource;
  another body under the same key is 422; a repeat while the first still runs is 409.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.db import Database, dialect_name
from app.errors import Problem
from app.idempotency.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
HEADER = "idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


@dataclass(frozen=True)
class Claim:
    principal: Principal
    key: str


@dataclass(frozen=True)
class Replay:
    status: int
    resource_type: str | None
    resource_id: str | None


def valid_key(raw: str) -> str:
    if not _KEY.match(raw):
        raise Problem(
            422,
            "Idempotency-Key must be 1 to 200 visible ASCII characters.",
            errors=[{"loc": ["header", "Idempotency-Key"], "type": "key_format", "msg": "Invalid"}],
        )
    return raw


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _owner(principal: Principal) -> tuple[str, uuid.UUID]:
    return principal.kind, principal.id


async def claim(
    db: Database, principal: Principal, key: str, print_: str, now: datetime
) -> Claim | Replay:
    """Claim ``key`` for a first request, or say how to answer a repeat."""
    kind, owner = _owner(principal)
    async with db.transaction() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.principal_kind == kind,
                IdempotencyRecord.principal_id == owner,
                IdempotencyRecord.key == key,
                IdempotencyRecord.created_at < now - RETENTION,
            )
        )
        insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
        inserted = await session.execute(
            insert(IdempotencyRecord)
            .values(
                id=uuid.uuid4(),
                principal_kind=kind,
                principal_id=owner,
                key=key,
                fingerprint=print_,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["principal_kind", "principal_id", "key"])
        )
        if cast(CursorResult[Any], inserted).rowcount == 1:
            return Claim(principal, key)
        first = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.principal_kind == kind,
                    IdempotencyRecord.principal_id == owner,
                    IdempotencyRecord.key == key,
                )
            )
        ).scalar_one()
    if first.fingerprint != print_:
        raise Problem(422, "This Idempotency-Key was used with another request.")
    if first.status is None:
        raise Problem(409, "A request with this Idempotency-Key is still being processed.")
    return Replay(first.status, first.resource_type, first.resource_id)


async def complete(
    session: AsyncSession,
    claimed: Claim,
    status: int,
    resource_type: str | None,
    resource_id: str | None,
    now: datetime,
) -> None:
    """Record the outcome in the request's own transaction, so it commits with the change."""
    kind, owner = _owner(claimed.principal)
    await session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.principal_kind == kind,
            IdempotencyRecord.principal_id == owner,
            IdempotencyRecord.key == claimed.key,
        )
        .values(
            status=status,
            resource_type=resource_type,
            resource_id=resource_id,
            completed_at=now,
        )
    )


async def release(db: Database, claimed: Claim) -> None:
    """Forget a claim whose request failed (after its transaction rolled back)."""
    kind, owner = _owner(claimed.principal)
    async with db.transaction() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.principal_kind == kind,
                IdempotencyRecord.principal_id == owner,
                IdempotencyRecord.key == claimed.key,
                IdempotencyRecord.status.is_(None),
            )
        )
