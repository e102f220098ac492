"""Every route is either on the short public list or requires authentication and one permission;
the permission table describes exactly the permissions routes use."""

from __future__ import annotations

from starlette.routing import Route

from app.auth.permissions import (
    MACHINE_FORBIDDEN,
    ROLE_PERMISSIONS,
    ROLES_BY_AGENCY_TYPE,
    Permission,
    Role,
)
from tests.routes import DOCS_PATHS, PUBLIC, _app, api_routes


def test_every_non_public_route_requires_a_permission() -> None:
    unguarded = [
        (method, path)
        for method, path, requirement in api_routes()
        if requirement is None and (method, path) not in PUBLIC
    ]
    assert unguarded == []


def test_public_routes_are_exactly_the_listed_ones() -> None:
    public = {(m, p) for m, p, r in api_routes() if r is None}
    assert public == PUBLIC


def test_no_other_routes_than_api_and_docs() -> None:
    others = [
        r.path
        for r in _app().routes
        if isinstance(r, Route) and r.path not in DOCS_PATHS and not hasattr(r, "dependant")
    ]
    assert others == []


def test_permission_table_holds_only_permissions_of_existing_routes() -> None:
    used = {r.permission for _, _, r in api_routes() if r is not None}
    assert set(Permission) == used
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted == used, "a permission no role holds, or a role holding an unknown one"


def test_every_role_is_valid_somewhere_and_has_permissions() -> None:
    valid_somewhere = set().union(*ROLES_BY_AGENCY_TYPE.values())
    assert valid_somewhere == set(Role)
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_machine_clients_never_administer() -> None:
    for permission in (
        Permission.AGENCIES_MANAGE,
        Permission.AGENCY_ADMINS_MANAGE,
        Permission.USERS_MANAGE,
        Permission.USERS_READ,
        Permission.CLIENTS_MANAGE,
    ):
        assert permission in MACHINE_FORBIDDEN
