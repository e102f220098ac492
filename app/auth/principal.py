from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from app.auth.permissions import AgencyType, Permission, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the access token says. Built without a database lookup; whether the token is
    still current (session, user, client and agency active, roles unchanged) is checked in SQL."""

    kind: Literal["user", "client"]
    id: uuid.UUID
    agency_id: uuid.UUID
    agency_type: AgencyType
    agency_state: str | None
    roles: frozenset[Role]
    permissions: frozenset[Permission]
    session_id: uuid.UUID
    authz_version: int

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.kind == "user" else None

    @property
    def client_id(self) -> uuid.UUID | None:
        return self.id if self.kind == "client" else None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
