"""The write side of the three logs.

* ``audit_events``: one row per change (the case history; later sequenced into a Merkle log).
* ``access_log``: reads of case data and every denied attempt (401/403/404).
* ``security_log``: token issue, refresh, revocation, failed sign-ins.

All three are append-only for the API's database role (SELECT and INSERT only).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_case_id_occurred_at", "case_id", "occurred_at"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(10))  # user | client | system
    actor_id: Mapped[uuid.UUID | None]
    agency_id: Mapped[uuid.UUID | None]
    roles: Mapped[list[str]] = mapped_column(JSON)
    client_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[uuid.UUID | None]
    objects: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Random, never served: the log commits to each part of the event with a nonce derived from
    # it (app.ledger.leaf), so that an export can withhold a part and still prove it. Empty only
    # for events written before it existed.
    nonce: Mapped[bytes | None] = mapped_column(LargeBinary(16))


class AccessLogEntry(Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_object_id_occurred_at", "object_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    principal_type: Mapped[str | None] = mapped_column(String(10))
    principal_id: Mapped[uuid.UUID | None]
    agency_id: Mapped[uuid.UUID | None]
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # denied | read | search | write | repeat_check
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(30))
    fields: Mapped[list[str] | None] = mapped_column(JSON)
    # For a list page: the ids of the objects it returned.
    object_ids: Mapped[list[str] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))


class AccessLogCase(Base):
    """The cases of an access-log row that read several at once (a page of the case list, a
    search, a page of the change feed), so that a case's access log finds it by index. A row
    about one case names it in ``access_log.object_id`` and needs none."""

    __tablename__ = "access_log_cases"

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    access_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class SecurityLogEntry(Base):
    __tablename__ = "security_log"
    __table_args__ = (Index("ix_security_log_occurred_at", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[uuid.UUID | None]
    client_id: Mapped[uuid.UUID | None]
    session_id: Mapped[uuid.UUID | None]
    # A keyed hash of the submitted username, never its text.
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
