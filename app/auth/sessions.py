"""Ending sign-in sessions: the one way every path (sign-out, reuse detection, a new password,
deactivation) marks sessions revoked, so that tokens of those sessions answer 401 next time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import AuthSession


async def end_sessions(
    session: AsyncSession, now: datetime, reason: str, *which: ColumnElement[bool]
) -> None:
    """Revoke the still-open sessions matching ``which`` (e.g. ``AuthSession.user_id == id``)."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.revoked_at.is_(None), *which)
        .values(revoked_at=now, revoked_reason=reason)
    )
