from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    # Stored lower-cased: usernames are compared case-insensitively.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Null until the user redeems an activation code and sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on every role change or deactivation: access tokens carry it, so older ones stop working.
    authz_version: Mapped[int] = mapped_column(Integer, default=1)
    # A one-time code (activation or password reset), stored as a SHA-256 digest.
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_purpose: Mapped[str | None] = mapped_column(String(20))
    code_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
