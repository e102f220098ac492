"""Every mutating route writes exactly the audit events the foundation names, in the request's
transaction, with the actor and request id, and never a credential; sign-in traffic goes to the
security log instead."""

from __future__ import annotations

import json

import pytest

from app.auth.permissions import ROLE_PERMISSIONS, AgencyType, Permission, Role
from tests.harness import PASSWORD, Harness
from tests.routes import api_routes
from tests.test_matrix import (
    BUILDERS,
    Caller,
    _agency_type_for,
    _caller,
    _role_principals,
    _scope_principals,
)

EXPECTED: dict[tuple[str, str], list[str]] = {
    ("POST", "/v1/agencies"): ["agency.created"],
    ("PATCH", "/v1/agencies/{agency_id}"): ["agency.updated"],
    ("POST", "/v1/agencies/{agency_id}/deactivate"): ["agency.deactivated"],
    ("POST", "/v1/users"): ["user.created"],
    ("POST", "/v1/users/{user_id}/roles"): ["user.role_granted"],
    ("DELETE", "/v1/users/{user_id}/roles/{role}"): ["user.role_revoked"],
    ("POST", "/v1/users/{user_id}/deactivate"): ["user.deactivated"],
    ("POST", "/v1/users/{user_id}/reset-code"): ["user.reset_code_issued"],
    ("POST", "/v1/agencies/{agency_id}/admins"): ["user.created"],
    ("POST", "/v1/agencies/{agency_id}/admins/{user_id}/reset-code"): ["user.reset_code_issued"],
    ("POST", "/v1/agencies/{agency_id}/clients"): ["client.created"],
    ("POST", "/v1/agencies/{agency_id}/clients/{client_id}/rotate-secret"): ["client.secret_rotated"],
    ("POST", "/v1/agencies/{agency_id}/clients/{client_id}/deactivate"): ["client.deactivated"],
    ("PUT", "/v1/me/password"): ["user.password_changed"],
    ("POST", "/v1/rescue-events"): ["case.created"],
    ("POST", "/v1/cases"): ["case.created"],
    ("POST", "/v1/cases/search"): [],
    ("PATCH", "/v1/cases/{case_id}"): ["case.updated"],
    ("POST", "/v1/cases/{case_id}/notes"): ["case.note_added"],
    ("PATCH", "/v1/cases/{case_id}/identity"): ["case.identity_updated"],
    ("PUT", "/v1/cases/{case_id}/assignees"): ["case.assignees_set"],
    ("POST", "/v1/cases/{case_id}/production-report"): ["case.produced"],
    ("POST", "/v1/agencies/{agency_id}/successor"): ["agency.successor_named"],
    ("POST", "/v1/cases/{case_id}/documents"): ["document.uploaded"],
    ("POST", "/v1/cases/{case_id}/transfers"): ["transfer.created"],
    ("POST", "/v1/transfers/{transfer_id}/request-consultation"): ["transfer.consultation_requested"],
    ("POST", "/v1/transfers/{transfer_id}/answer-consultation"): ["transfer.consultation_answered"],
    ("POST", "/v1/transfers/{transfer_id}/order"): ["transfer.ordered"],
    ("POST", "/v1/transfers/{transfer_id}/assign-escort"): ["transfer.escort_assigned"],
    ("POST", "/v1/transfers/{transfer_id}/depart"): ["transfer.departed"],
    ("POST", "/v1/transfers/{transfer_id}/hand-over"): ["transfer.handed_over"],
    ("POST", "/v1/transfers/{transfer_id}/accept"): ["transfer.accepted"],
    ("POST", "/v1/transfers/{transfer_id}/decline"): ["transfer.declined"],
    ("POST", "/v1/transfers/{transfer_id}/cancel"): ["transfer.cancelled"],
    ("POST", "/v1/transfers/{transfer_id}/report-absconded"): ["transfer.absconded_in_transit"],
    ("POST", "/v1/transfers/{transfer_id}/border-handover"): ["transfer.repatriated_abroad"],
    ("POST", "/v1/transfers/{transfer_id}/escalate"): ["transfer.escalated"],
    ("POST", "/v1/cases/{case_id}/referrals"): ["referral.created"],
    ("POST", "/v1/referrals/{referral_id}/accept"): ["referral.accepted"],
    ("POST", "/v1/referrals/{referral_id}/decline"): ["referral.declined"],
    ("POST", "/v1/referrals/{referral_id}/complete"): ["referral.completed"],
    ("POST", "/v1/referrals/{referral_id}/withdraw"): ["referral.withdrawn"],
    ("POST", "/v1/cases/{case_id}/compensation-claims"): ["compensation.applied"],
    ("POST", "/v1/compensation-claims/{claim_id}/disburse"): ["compensation.disbursed"],
    ("POST", "/v1/compensation-claims/{claim_id}/withdraw"): ["compensation.withdrawn"],
    ("POST", "/v1/cases/{case_id}/orders"): ["order.issued"],
    ("POST", "/v1/cases/{case_id}/absconded-report"): ["case.absconded"],
    ("POST", "/v1/cases/{case_id}/return-report"): ["case.returned"],
    ("POST", "/v1/cases/{case_id}/death-report"): ["case.deceased"],
    ("POST", "/v1/cases/{case_id}/follow-up-visits"): ["case.follow_up_visit"],
    ("POST", "/v1/cases/{case_id}/rehabilitation-services"): ["case.service_started"],
    # The builder starts the service first (its event is not the route's).
    ("POST", "/v1/cases/{case_id}/rehabilitation-services/{service_id}/end"): ["case.service_ended"],
    ("POST", "/v1/cases/{case_id}/consents"): ["case.consent_recorded"],
    ("POST", "/v1/cases/{case_id}/consents/{consent_id}/withdraw"): ["case.consent_withdrawn"],
    # Token traffic is security-log material, not case history.
    ("POST", "/v1/auth/revoke"): [],
}

MUTATING = [
    (m, p, r.permission)
    for m, p, r in api_routes()
    if r is not None and m in {"POST", "PUT", "PATCH", "DELETE"}
]


def test_every_mutating_route_has_an_expectation() -> None:
    assert {(m, p) for m, p, _ in MUTATING} == set(EXPECTED)


def _allowed_caller(h: Harness, method: str, path: str, permission: Permission) -> Caller:
    for _, agency_type, role in _role_principals():
        if permission in ROLE_PERMISSIONS[role]:
            return _caller(h, _agency_type_for(method, path, agency_type, role), role)
    raise AssertionError(f"no role holds {permission}")


def _event_ids(h: Harness) -> set[str]:
    return {str(row[0]) for row in h.sql("SELECT id FROM audit_events")}


@pytest.mark.parametrize(("method", "path", "permission"), MUTATING, ids=str)
def test_mutating_route_writes_exactly_its_events(
    h: Harness, method: str, path: str, permission: Permission
) -> None:
    caller = _allowed_caller(h, method, path, permission)
    url, kwargs = BUILDERS[(method, path)](h, caller)
    headers = {**caller.headers, **kwargs.pop("headers", {})}
    before = _event_ids(h)
    response = h.client.request(method, url, headers=headers, **kwargs)
    assert response.status_code < 400, response.text
    rows = h.sql(
        "SELECT id, action, actor_type, actor_id, request_id, objects, changes FROM audit_events"
    )
    new = [r for r in rows if str(r[0]) not in before]
    assert sorted(r[1] for r in new) == EXPECTED[(method, path)]
    for row in new:
        assert row[2] == "user"
        assert row[4] == response.headers["x-request-id"]
        text = json.dumps([row[5], row[6]], default=str)
        for secret in [*_one_time_secrets(response), PASSWORD, "argon2"]:
            assert secret not in text


def _one_time_secrets(response) -> list[str]:  # type: ignore[no-untyped-def]
    """Secrets a response hands out once: a client secret, a reset or activation code."""
    if not response.content or not response.text.startswith("{"):
        return []
    body = response.json()
    reset_code = body.get("code") if "expires_at" in body else None  # a case's code is no secret
    found = [body.get("client_secret"), reset_code, (body.get("activation") or {}).get("code")]
    return [s for s in found if s]


def test_activation_writes_one_event_and_sign_in_writes_none(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    created = h.client.post(
        "/v1/users",
        json={"username": "fresh", "display_name": "F", "roles": ["caseworker"]},
        headers=admin,
    ).json()
    before = _event_ids(h)
    new_password = "an entirely new passphrase"
    assert (
        h.client.post(
            "/v1/auth/activate", json={"code": created["activation"]["code"], "password": new_password}
        ).status_code
        == 200
    )
    token = h.client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "fresh", "password": new_password}
    )
    assert token.status_code == 200
    h.client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "fresh", "password": "wrong one!!"}
    )
    new = [r for r in h.sql("SELECT id, action, changes FROM audit_events") if str(r[0]) not in before]
    assert [r[1] for r in new] == ["user.activated"]
    assert new_password not in json.dumps(new, default=str)
    kinds = sorted(r[0] for r in h.sql("SELECT kind FROM security_log"))
    assert kinds == ["login_failed", "token_issued"]


def test_machine_clients_write_events_as_clients(h: Harness) -> None:
    """A client cannot mutate through the foundation's routes except revoking its own session,
    which writes to the security log only."""
    _, agency_type, scope = next(p for p in _scope_principals() if p[2] == Permission.SESSIONS_REVOKE)
    caller = _caller(h, agency_type, scope)
    before = _event_ids(h)
    assert h.client.post("/v1/auth/revoke", headers=caller.headers).status_code == 200
    assert _event_ids(h) == before
    assert ("token_revoked",) in [tuple(r) for r in h.sql("SELECT kind FROM security_log")]
