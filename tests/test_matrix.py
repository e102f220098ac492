"""The role x endpoint matrix, driven by the permission table: for every route, every role (a user
of an agency type where the role is valid) and a machine client for each grantable scope, a valid
request on an object the principal may act on gets neither 401 nor 403 when the table grants the
route's permission, and 403 when it does not; without credentials, 401."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from app.auth.permissions import (
    CASE_CREATING_AGENCY_TYPES,
    ROLE_PERMISSIONS,
    ROLES_BY_AGENCY_TYPE,
    AgencyType,
    Permission,
    Role,
    machine_grantable,
)
from tests.harness import PASSWORD, Harness
from tests.matrix_aftercare import AFTERCARE_BUILDERS
from tests.matrix_compensation import COMPENSATION_BUILDERS
from tests.matrix_documents import DOCUMENT_BUILDERS, DOCUMENT_PREFERRED_TYPES
from tests.matrix_ledger import LEDGER_BUILDERS
from tests.matrix_orders import ORDER_BUILDERS
from tests.matrix_referrals import REFERRAL_BUILDERS, REFERRAL_PREFERRED_TYPES, through_legal_aid
from tests.matrix_transfers import TRANSFER_BUILDERS, TRANSFER_PREFERRED_TYPES
from tests.routes import PUBLIC, api_routes


@dataclass
class Caller:
    agency: Any
    headers: dict[str, str]
    permissions: frozenset[Permission]
    user: Any = None


def _staff_role(agency_type: AgencyType) -> Role:
    """A role valid in this agency type other than agency_admin (for grant and revoke targets)."""
    return sorted(r for r in ROLES_BY_AGENCY_TYPE[agency_type] if r is not Role.AGENCY_ADMIN)[0]


def _target_ngo(h: Harness) -> Any:
    return h.agency(AgencyType.NGO, "IN-WB")


def _colleague(h: Harness, caller: Caller, *roles: Role) -> Any:
    agency_type = AgencyType(caller.agency.type)
    valid = [r for r in roles if r in ROLES_BY_AGENCY_TYPE[agency_type]]
    return h.user(caller.agency, *(valid or [_staff_role(agency_type)]))


def _own_client(h: Harness, caller: Caller) -> Any:
    client, _ = h.machine_client(caller.agency, ["agencies:read"])
    return client


def _visible_case(h: Harness, caller: Caller) -> Any:
    """A case the caller may act on: owned by its agency (and assigned to it), seized by it, or
    in its state for a commission or audit office."""
    kind = AgencyType(caller.agency.type)
    if kind in (AgencyType.CWC, AgencyType.MAGISTRATE):
        return h.case(h.agency(AgencyType.NGO), authority=caller.agency)
    if kind in CASE_CREATING_AGENCY_TYPES:
        return h.case(caller.agency, assign=[caller.user] if caller.user else [])
    return h.case(h.agency(AgencyType.NGO))


def _party_event(h: Harness, caller: Caller) -> Any:
    """A rescue event the caller's agency took part in."""
    return h.case(h.agency(AgencyType.POLICE), parties=[caller.agency]).rescue_event_id


def _production(h: Harness, caller: Caller) -> Request:
    case = _visible_case(h, caller)
    cwc = h.agency(AgencyType.CWC, "IN-MH")
    body = {
        "occurred_at": datetime.now(UTC).isoformat(),
        "authority_id": str(cwc.id),
        "journey_hours": 3,
    }
    return f"/v1/cases/{case.id}/production-report", {"json": body}


VICTIM = {"track": "adult", "exploitation_types": ["labour"], "identity": {"names": ["Rekha"]}}

Request = tuple[str, dict[str, Any]]
BUILDERS: dict[tuple[str, str], Callable[[Harness, Caller], Request]] = {
    ("GET", "/metrics"): lambda h, c: ("/metrics", {}),
    ("POST", "/v1/auth/revoke"): lambda h, c: ("/v1/auth/revoke", {}),
    ("GET", "/v1/me"): lambda h, c: ("/v1/me", {}),
    ("PUT", "/v1/me/password"): lambda h, c: (
        "/v1/me/password",
        {"json": {"current_password": PASSWORD, "new_password": "a different long passphrase"}},
    ),
    ("POST", "/v1/agencies"): lambda h, c: (
        "/v1/agencies",
        {"json": {"name": "Matrix CWC", "type": "cwc", "state": "IN-JH"}},
    ),
    ("GET", "/v1/agencies"): lambda h, c: ("/v1/agencies", {}),
    ("GET", "/v1/agencies/{agency_id}"): lambda h, c: (f"/v1/agencies/{c.agency.id}", {}),
    ("PATCH", "/v1/agencies/{agency_id}"): lambda h, c: (
        f"/v1/agencies/{_target_ngo(h).id}",
        {"json": {"name": "Renamed NGO"}, "headers": {"If-Match": '"1"'}},
    ),
    ("POST", "/v1/agencies/{agency_id}/successor"): lambda h, c: (
        f"/v1/agencies/{_target_ngo(h).id}/successor",
        {"json": {"successor_id": str(_target_ngo(h).id)}},
    ),
    ("POST", "/v1/agencies/{agency_id}/deactivate"): lambda h, c: (
        f"/v1/agencies/{_target_ngo(h).id}/deactivate",
        {},
    ),
    ("POST", "/v1/users"): lambda h, c: (
        "/v1/users",
        {
            "json": {
                "username": f"new{uuid.uuid4().hex[:8]}",
                "display_name": "New colleague",
                "roles": [_staff_role(AgencyType(c.agency.type)).value],
            }
        },
    ),
    ("GET", "/v1/users"): lambda h, c: ("/v1/users", {}),
    ("GET", "/v1/users/{user_id}"): lambda h, c: (f"/v1/users/{_colleague(h, c).id}", {}),
    ("POST", "/v1/users/{user_id}/roles"): lambda h, c: (
        f"/v1/users/{_colleague(h, c, Role.AGENCY_ADMIN).id}/roles",
        {"json": {"role": _staff_role(AgencyType(c.agency.type)).value}},
    ),
    ("DELETE", "/v1/users/{user_id}/roles/{role}"): lambda h, c: (
        f"/v1/users/{_colleague(h, c).id}/roles/{_staff_role(AgencyType(c.agency.type)).value}",
        {},
    ),
    ("POST", "/v1/users/{user_id}/deactivate"): lambda h, c: (
        f"/v1/users/{_colleague(h, c).id}/deactivate",
        {},
    ),
    ("POST", "/v1/users/{user_id}/reset-code"): lambda h, c: (
        f"/v1/users/{_colleague(h, c).id}/reset-code",
        {},
    ),
    ("POST", "/v1/agencies/{agency_id}/admins"): lambda h, c: (
        f"/v1/agencies/{_target_ngo(h).id}/admins",
        {"json": {"username": f"adm{uuid.uuid4().hex[:8]}", "display_name": "Admin"}},
    ),
    ("GET", "/v1/agencies/{agency_id}/admins"): lambda h, c: (
        f"/v1/agencies/{_target_ngo(h).id}/admins",
        {},
    ),
    ("POST", "/v1/agencies/{agency_id}/admins/{user_id}/reset-code"): lambda h, c: _admin_reset(h),
    ("POST", "/v1/agencies/{agency_id}/clients"): lambda h, c: (
        f"/v1/agencies/{c.agency.id}/clients",
        {"json": {"name": "State system", "scopes": ["agencies:read"]}},
    ),
    ("GET", "/v1/agencies/{agency_id}/clients"): lambda h, c: (
        f"/v1/agencies/{c.agency.id}/clients",
        {},
    ),
    ("GET", "/v1/agencies/{agency_id}/clients/{client_id}"): lambda h, c: (
        f"/v1/agencies/{c.agency.id}/clients/{_own_client(h, c).id}",
        {},
    ),
    ("POST", "/v1/agencies/{agency_id}/clients/{client_id}/rotate-secret"): lambda h, c: (
        f"/v1/agencies/{c.agency.id}/clients/{_own_client(h, c).id}/rotate-secret",
        {},
    ),
    ("POST", "/v1/agencies/{agency_id}/clients/{client_id}/deactivate"): lambda h, c: (
        f"/v1/agencies/{c.agency.id}/clients/{_own_client(h, c).id}/deactivate",
        {},
    ),
    ("POST", "/v1/rescue-events"): lambda h, c: (
        "/v1/rescue-events",
        {
            "json": {
                "occurred_at": "2026-11-01T10:00:00+05:30",
                "state": "IN-MH",
                "rescue_type": "raid",
                "lead_agency_id": str(c.agency.id),
                "victims": [VICTIM],
            }
        },
    ),
    ("GET", "/v1/rescue-events/{rescue_event_id}"): lambda h, c: (
        f"/v1/rescue-events/{_party_event(h, c)}",
        {},
    ),
    ("POST", "/v1/cases"): lambda h, c: (
        "/v1/cases",
        {"json": {**VICTIM, "rescue_event_id": str(_party_event(h, c))}},
    ),
    ("GET", "/v1/cases"): lambda h, c: ("/v1/cases", {}),
    ("GET", "/v1/cases/{case_id}"): lambda h, c: (f"/v1/cases/{_visible_case(h, c).id}", {}),
    ("GET", "/v1/cases/{case_id}/identity"): lambda h, c: (
        f"/v1/cases/{_visible_case(h, c).id}/identity?purpose=production&fields=names",
        {},
    ),
    ("PATCH", "/v1/cases/{case_id}"): lambda h, c: (
        f"/v1/cases/{_visible_case(h, c).id}",
        {
            "json": {"home_district": "Gumla"},
            "headers": {"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
        },
    ),
    ("PUT", "/v1/cases/{case_id}/assignees"): lambda h, c: (
        f"/v1/cases/{_visible_case(h, c).id}/assignees",
        {"json": {"user_ids": [str(c.user.id)] if c.user else []}},
    ),
    ("POST", "/v1/cases/{case_id}/production-report"): lambda h, c: _production(h, c),
    ("PATCH", "/v1/cases/{case_id}/identity"): lambda h, c: (
        f"/v1/cases/{_visible_case(h, c).id}/identity?purpose=family_tracing",
        {
            "json": {"aliases": ["Munni"]},
            "headers": {"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
        },
    ),
    ("POST", "/v1/cases/{case_id}/notes"): lambda h, c: (
        f"/v1/cases/{_visible_case(h, c).id}/notes",
        {"json": {"sensitivity": "general", "body": "Met the family at the CWC."}},
    ),
    ("GET", "/v1/cases/{case_id}/notes"): lambda h, c: (f"/v1/cases/{_visible_case(h, c).id}/notes", {}),
    ("POST", "/v1/cases/search"): lambda h, c: (
        "/v1/cases/search",
        {"json": {"purpose": "production", "name": "Sunita"}},
    ),
    **DOCUMENT_BUILDERS,
    **TRANSFER_BUILDERS,
    **ORDER_BUILDERS,
    **AFTERCARE_BUILDERS,
    **LEDGER_BUILDERS,
    **REFERRAL_BUILDERS,
    **COMPENSATION_BUILDERS,
}
# A legal services authority reaches a case only through an accepted legal_aid referral.
BUILDERS.update(through_legal_aid(BUILDERS))

# Routes whose actor must be of particular agency types (an escorting unit is police, a DCPU or
# a home, never an NGO): the principal is made in the first listed type where its role is valid.
PREFERRED_TYPES: dict[tuple[str, str], list[AgencyType]] = {
    **DOCUMENT_PREFERRED_TYPES,
    **TRANSFER_PREFERRED_TYPES,
    **REFERRAL_PREFERRED_TYPES,
}


def _admin_reset(h: Harness) -> Request:
    agency = _target_ngo(h)
    admin = h.user(agency, Role.AGENCY_ADMIN)
    return f"/v1/agencies/{agency.id}/admins/{admin.id}/reset-code", {}


GUARDED = [(m, p, r.permission) for m, p, r in api_routes() if r is not None]


def test_every_guarded_route_has_a_builder() -> None:
    assert {(m, p) for m, p, _ in GUARDED} == set(BUILDERS)


def _role_principals() -> list[tuple[str, AgencyType, Role]]:
    found = []
    for role in Role:
        agency_type = next(t for t, roles in ROLES_BY_AGENCY_TYPE.items() if role in roles)
        found.append((f"role:{role.value}", agency_type, role))
    return found


def _scope_principals() -> list[tuple[str, AgencyType, Permission]]:
    found = []
    for permission in Permission:
        agency_type = next((t for t in AgencyType if permission in machine_grantable(t)), None)
        if agency_type is not None:
            found.append((f"scope:{permission.value}", agency_type, permission))
    return found


PRINCIPALS = [(name, t, r) for name, t, r in _role_principals()] + [
    (name, t, p) for name, t, p in _scope_principals()
]


def _caller(h: Harness, agency_type: AgencyType, grant: Role | Permission) -> Caller:
    agency = h.agency(agency_type)
    if isinstance(grant, Role):
        user = h.user(agency, grant)
        return Caller(agency, h.auth(user), ROLE_PERMISSIONS[grant], user)
    client, secret = h.machine_client(agency, [grant.value])
    token = h.client_token(client, secret)
    return Caller(agency, {"Authorization": f"Bearer {token}"}, frozenset({grant}))


def _agency_type_for(
    method: str, path: str, default: AgencyType, grant: Role | Permission
) -> AgencyType:
    for preferred in PREFERRED_TYPES.get((method, path), []):
        if isinstance(grant, Role) and grant in ROLES_BY_AGENCY_TYPE[preferred]:
            return preferred
        if isinstance(grant, Permission) and grant in machine_grantable(preferred):
            return preferred
    return default


@pytest.mark.parametrize(("method", "path", "permission"), GUARDED, ids=lambda v: str(v))
@pytest.mark.parametrize(("name", "agency_type", "grant"), PRINCIPALS, ids=lambda v: str(v))
def test_matrix(
    h: Harness,
    method: str,
    path: str,
    permission: Permission,
    name: str,
    agency_type: AgencyType,
    grant: Role | Permission,
) -> None:
    caller = _caller(h, _agency_type_for(method, path, agency_type, grant), grant)
    url, kwargs = BUILDERS[(method, path)](h, caller)
    headers = {**caller.headers, **kwargs.pop("headers", {})}
    response = h.client.request(method, url, headers=headers, **kwargs)
    if permission in caller.permissions:
        assert response.status_code not in (401, 403), (name, response.text)
        assert response.status_code < 400, (name, response.text)
    else:
        assert response.status_code == 403, (name, response.text)


@pytest.mark.parametrize(("method", "path", "permission"), GUARDED, ids=lambda v: str(v))
def test_anonymous_gets_401(h: Harness, method: str, path: str, permission: Permission) -> None:
    url = path.format(
        agency_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        client_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        rescue_event_id=uuid.uuid4(),
        transfer_id=uuid.uuid4(),
        referral_id=uuid.uuid4(),
        claim_id=uuid.uuid4(),
        document_id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        consent_id=uuid.uuid4(),
        role="x",
    )
    response = h.client.request(method, url)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_public_routes_answer_without_credentials(h: Harness) -> None:
    for method, path in sorted(PUBLIC):
        response = h.client.request(method, path)
        assert response.status_code != 401, path
