"""Failed-attempt throttling for sign-in and one-time codes, kept in the database so that every API
process shares it. Keys are keyed hashes of (kind, submitted username, client address): the raw
username is never stored, and one attacker cannot lock another address or username out.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import AuthThrottle
from app.config import Settings
from app.db import dialect_name


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        return cls(
            max_failures=settings.login_max_failures,
            window=timedelta(minutes=settings.login_window_minutes),
            lockout=timedelta(minutes=settings.login_lockout_minutes),
        )


def throttle_key(secret: bytes, kind: str, subject: str, address: str) -> str:
    message = "\x00".join((kind, subject.strip().lower(), address)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


async def reserve(session: AsyncSession, key: str, now: datetime, policy: ThrottlePolicy) -> int | None:
    """Count an attempt before it is checked, so that concurrent attempts cannot all slip in
    before the first failure is recorded. Returns the seconds to wait if ``key`` is locked (the
    attempt is refused and not counted), else None; a success then calls ``clear``.

    The row is locked while counting (``FOR UPDATE``; on SQLite the write transaction is already
    exclusive), and the count is committed with the caller's short transaction."""
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    await session.execute(
        insert(AuthThrottle)
        .values(key_hash=key, window_started_at=now, failures=0)
        .on_conflict_do_nothing(index_elements=["key_hash"])
    )
    row = (
        await session.execute(select(AuthThrottle).where(AuthThrottle.key_hash == key).with_for_update())
    ).scalar_one()
    if row.locked_until is not None and row.locked_until > now:
        return max(1, math.ceil((row.locked_until - now).total_seconds()))
    if row.window_started_at <= now - policy.window:
        row.window_started_at = now
        row.failures = 0
        row.locked_until = None
    row.failures += 1
    if row.failures >= policy.max_failures:
        # This attempt still runs; the next ones wait out the lockout.
        row.locked_until = now + policy.lockout
    await session.flush()
    return None


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(AuthThrottle).where(AuthThrottle.key_hash == key))


async def prune(session: AsyncSession, now: datetime, policy: ThrottlePolicy) -> None:
    """Forget counters whose window and lockout are both over (housekeeping)."""
    await session.execute(
        delete(AuthThrottle).where(
            AuthThrottle.window_started_at <= now - policy.window,
            (AuthThrottle.locked_until.is_(None)) | (AuthThrottle.locked_until <= now),
        )
    )
