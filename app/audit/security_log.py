"""The security log: token issue, refresh, revocation and failed sign-ins (not case history)."""

from __future__ import annotations

import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import SecurityLogEntry
from app.context import request_id_var
from app.db import utcnow


async def record_security(
    session: AsyncSession,
    kind: str,
    *,
    user_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    subject_hash: str | None = None,
    client_address: str | None = None,
) -> None:
    await session.execute(
        insert(SecurityLogEntry).values(
            occurred_at=utcnow(),
            kind=kind,
            user_id=user_id,
            client_id=client_id,
            session_id=session_id,
            subject_hash=subject_hash,
            client_address=client_address,
            request_id=request_id_var.get(),
        )
    )
