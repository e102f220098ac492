"""The API process's background work: flushing the access-log buffer, and housekeeping (expired
throttle counters, idempotency keys and sign-in sessions). Every process runs it; the deletes are
idempotent, so several processes do not disturb each other."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete

from app.auth import throttle
from app.auth.models import AuthSession
from app.idempotency.models import IdempotencyRecord
from app.idempotency.service import RETENTION
from app.runtime import Runtime

log = logging.getLogger("homecoming.background")
HOUSEKEEPING_SECONDS = 60.0
# Ended sessions are kept a day, so that a late refresh still meets "revoked", not "unknown".
SESSION_AFTERLIFE = timedelta(days=1)


async def housekeeping(runtime: Runtime) -> None:
    now = runtime.now()
    async with runtime.db.transaction() as session:
        await throttle.prune(session, now, throttle.ThrottlePolicy.from_settings(runtime.settings))
        await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - RETENTION)
        )
        await session.execute(
            delete(AuthSession).where(AuthSession.expires_at < now - SESSION_AFTERLIFE)
        )


async def run_background(runtime: Runtime) -> None:
    """Until cancelled: flush the access log often, tidy up now and then."""
    since_housekeeping = 0.0
    interval = runtime.access_log.FLUSH_SECONDS
    while True:
        await asyncio.sleep(interval)
        since_housekeeping += interval
        try:
            await runtime.access_log.flush()
            if since_housekeeping >= HOUSEKEEPING_SECONDS:
                since_housekeeping = 0.0
                await housekeeping(runtime)
        except Exception:
            log.exception("background work failed; retrying")
