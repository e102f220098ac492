from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class IdempotencyRecord(Base):
    """A POST's Idempotency-Key, per principal, kept 24 hours. It stores what is needed to replay
    the first outcome (its status and the resource it made), never the response body: a replay
    re-reads the resource, so a one-time secret is never shown twice."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal_kind", "principal_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    principal_kind: Mapped[str] = mapped_column(String(10))
    principal_id: Mapped[uuid.UUID]
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Null while the first request is still running.
    status: Mapped[int | None] = mapped_column(Integer)
    resource_type: Mapped[str | None] = mapped_column(String(30))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None]
