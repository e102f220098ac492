"""Object visibility, decided in one place and as SQL.

Each resource is visible to a principal through named relations; a relation is a function of the
principal giving a SQL condition on the resource's row (or None when it cannot apply). A resource's
predicate is the OR of its relations, and get, list and export all filter with that one predicate,
so a rule cannot be written twice and drift. Outside this package, code does not compare agency ids
to decide access: a test fails the build if it does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from app.auth.permissions import Permission, Role
from app.auth.principal import Principal
from app.clients.models import MachineClient
from app.errors import not_found
from app.users.models import User, UserRole

RelationRule = Callable[[Principal], ColumnElement[bool] | None]


@dataclass(frozen=True)
class Resource:
    name: str
    relations: dict[str, RelationRule]

    def predicate(self, principal: Principal) -> ColumnElement[bool]:
        clauses = [c for rule in self.relations.values() if (c := rule(principal)) is not None]
        if not clauses:
            return false()
        return clauses[0] if len(clauses) == 1 else or_(*clauses)


def _is_agency_admin(user_id: ColumnElement[object] | object) -> ColumnElement[bool]:
    return exists(
        select(UserRole.user_id).where(
            UserRole.user_id == user_id, UserRole.role == Role.AGENCY_ADMIN.value
        )
    )


# Agencies form a directory every signed-in principal may read (to address a transfer or referral).
AGENCIES = Resource(
    "agency",
    {"directory": lambda p: true() if p.can(Permission.AGENCIES_READ) else None},
)

USERS = Resource(
    "user",
    {
        # An agency administrator sees the users of its own agency.
        "agency_admin": lambda p: (
            (User.agency_id == p.agency_id) if p.can(Permission.USERS_READ) else None
        ),
        # The system administrator sees agency administrators (to create or reset them), no one else.
        "platform": lambda p: (
            _is_agency_admin(User.id) if p.can(Permission.AGENCY_ADMINS_MANAGE) else None
        ),
    },
)

CLIENTS = Resource(
    "client",
    {
        "agency_admin": lambda p: (
            (MachineClient.agency_id == p.agency_id) if p.can(Permission.CLIENTS_MANAGE) else None
        ),
    },
)


def visible_agencies(principal: Principal) -> ColumnElement[bool]:
    return AGENCIES.predicate(principal)


def visible_users(principal: Principal) -> ColumnElement[bool]:
    return USERS.predicate(principal)


def visible_clients(principal: Principal) -> ColumnElement[bool]:
    return CLIENTS.predicate(principal)


def colleagues(principal: Principal) -> ColumnElement[bool]:
    """Users of the caller's own agency (the members a committee or court names on its order)."""
    return User.agency_id == principal.agency_id


def require_own_agency(principal: Principal, agency_id: uuid.UUID) -> None:
    """For routes under /agencies/{agency_id} that act within the caller's own agency (machine
    clients): any other agency's path is answered as if it did not exist."""
    if agency_id != principal.agency_id:
        raise not_found("agency")


RESOURCES = {r.name: r for r in (AGENCIES, USERS, CLIENTS)}
