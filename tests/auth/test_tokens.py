"""Access tokens: forgery, expiry, and revocation taking effect on the next request."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from app.auth.permissions import AgencyType, Role
from tests.harness import PASSWORD, Harness


def _login(h: Harness, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = h.client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _claims(h: Harness, token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def caseworker(h: Harness):  # type: ignore[no-untyped-def]
    return h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)


def test_a_signed_in_user_reads_me(h: Harness, caseworker) -> None:  # type: ignore[no-untyped-def]
    tokens = _login(h, caseworker.username)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    me = h.client.get("/v1/me", headers=_bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(caseworker.id)


def _forge(h: Harness, token: str, **changes: object) -> str:
    claims = _claims(h, token)
    key = changes.pop("key", h.runtime.secrets.token_signing_key)
    claims.update(changes)
    return jwt.encode(claims, key, algorithm="HS256")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "forgery",
    ["alg_none", "wrong_key", "wrong_issuer", "wrong_audience", "expired", "garbage", "stale_version"],
)
def test_forged_or_expired_tokens_are_refused(h: Harness, caseworker, forgery: str) -> None:  # type: ignore[no-untyped-def]
    genuine = h.token(caseworker)
    if forgery == "alg_none":
        claims = _claims(h, genuine)
        token = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    elif forgery == "wrong_key":
        token = _forge(h, genuine, key=b"an attacker's key that is long enough to sign")
    elif forgery == "wrong_issuer":
        token = _forge(h, genuine, iss="someone-else")
    elif forgery == "wrong_audience":
        token = _forge(h, genuine, aud="another-api")
    elif forgery == "expired":
        token = _forge(h, genuine, exp=int(time.time()) - 5)
    elif forgery == "garbage":
        token = "not.a.token"
    else:
        # Correctly signed, but for an authorisation version the user no longer has.
        token = _forge(h, genuine, ver=99)
    response = h.client.get("/v1/me", headers=_bearer(token))
    assert response.status_code == 401
    assert "Bearer" in response.headers["www-authenticate"]


def test_a_token_for_a_session_that_never_existed_is_refused(h: Harness, caseworker) -> None:  # type: ignore[no-untyped-def]
    token = _forge(h, h.token(caseworker), sid=str(uuid.uuid4()))
    assert h.client.get("/v1/me", headers=_bearer(token)).status_code == 401


def test_revoking_a_refresh_token_ends_its_session(h: Harness, caseworker) -> None:  # type: ignore[no-untyped-def]
    tokens = _login(h, caseworker.username)
    headers = _bearer(tokens["access_token"])
    response = h.client.post("/v1/auth/revoke", data={"token": tokens["refresh_token"]}, headers=headers)
    assert response.status_code == 200
    assert h.client.get("/v1/me", headers=headers).status_code == 401
    refreshed = h.client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    kinds = [row[0] for row in h.sql("SELECT kind FROM security_log ORDER BY occurred_at")]
    assert kinds == ["token_issued", "token_revoked", "refresh_failed"]


def test_revoking_another_users_token_changes_nothing(h: Harness, caseworker) -> None:  # type: ignore[no-untyped-def]
    victim = _login(h, caseworker.username)
    other = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    response = h.client.post(
        "/v1/auth/revoke", data={"token": victim["refresh_token"]}, headers=h.auth(other)
    )
    assert response.status_code == 200  # RFC 7009: the answer reveals nothing
    assert h.client.get("/v1/me", headers=_bearer(victim["access_token"])).status_code == 200


def test_role_revocation_answers_401_until_refreshed(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    admin = h.user(agency, Role.AGENCY_ADMIN)
    worker = h.user(agency, Role.CASEWORKER, Role.SUPERVISOR)
    tokens = _login(h, worker.username)
    headers = _bearer(tokens["access_token"])
    assert h.client.get("/v1/me", headers=headers).json()["roles"] == ["caseworker", "supervisor"]
    revoked = h.client.delete(f"/v1/users/{worker.id}/roles/supervisor", headers=h.auth(admin))
    assert revoked.status_code == 200, revoked.text
    assert h.client.get("/v1/me", headers=headers).status_code == 401
    refreshed = h.client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    me = h.client.get("/v1/me", headers=_bearer(refreshed.json()["access_token"]))
    assert me.json()["roles"] == ["caseworker"]


def test_user_deactivation_cuts_off_tokens_and_refresh(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    admin = h.user(agency, Role.AGENCY_ADMIN)
    worker = h.user(agency, Role.CASEWORKER)
    tokens = _login(h, worker.username)
    assert h.client.post(f"/v1/users/{worker.id}/deactivate", headers=h.auth(admin)).status_code == 200
    assert h.client.get("/v1/me", headers=_bearer(tokens["access_token"])).status_code == 401
    refreshed = h.client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 400
    login = h.client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": worker.username, "password": PASSWORD},
    )
    assert login.status_code == 400


def test_agency_deactivation_cuts_off_its_users_and_clients(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    worker = h.user(agency, Role.CASEWORKER)
    client, secret = h.machine_client(agency, ["agencies:read"])
    user_headers = h.auth(worker)
    client_headers = _bearer(h.client_token(client, secret))
    sysadmin = h.user(h.agency(AgencyType.PLATFORM), Role.SYSTEM_ADMIN)
    done = h.client.post(f"/v1/agencies/{agency.id}/deactivate", headers=h.auth(sysadmin))
    assert done.status_code == 200
    assert h.client.get("/v1/me", headers=user_headers).status_code == 401
    assert h.client.get("/v1/agencies", headers=client_headers).status_code == 401
    again = h.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": str(client.id), "client_secret": secret},
    )
    assert again.status_code == 401
    assert again.json()["error"] == "invalid_client"


def test_a_stale_token_gets_401_not_404(h: Harness) -> None:
    """The order of checks: a revoked principal learns nothing about objects, not even absence."""
    agency = h.agency(AgencyType.NGO)
    worker = h.user(agency, Role.CASEWORKER)
    tokens = _login(h, worker.username)
    headers = _bearer(tokens["access_token"])
    h.client.post("/v1/auth/revoke", headers=headers)
    missing = h.client.get(f"/v1/agencies/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 401


def test_the_currency_check_rides_along_with_the_read(h: Harness) -> None:
    """Reading one agency is one SELECT: the token check is part of it, not an extra lookup."""
    _, headers = h.person(AgencyType.NGO, Role.CASEWORKER)
    target = h.agency(AgencyType.CWC)
    with h.statements() as sent:
        response = h.client.get(f"/v1/agencies/{target.id}", headers=headers)
    statements = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert response.status_code == 200
    assert len(statements) == 1, statements
    assert "auth_sessions" in statements[0]


def test_a_stale_token_gets_401_before_403_415_and_key_errors(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    worker = h.user(agency, Role.CASEWORKER)
    headers = h.auth(worker)
    assert h.client.post("/v1/auth/revoke", headers=headers).status_code == 200
    assert h.client.get("/v1/users", headers=headers).status_code == 401  # lacks users:read
    assert (
        h.client.put(
            "/v1/me/password", content=b"x", headers={**headers, "content-type": "text/plain"}
        ).status_code
        == 401
    )
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    assert h.client.post("/v1/auth/revoke", headers=admin).status_code == 200
    bad_key = h.client.post(
        "/v1/users",
        json={"username": "someone", "display_name": "S", "roles": ["caseworker"]},
        headers={**admin, "Idempotency-Key": "x" * 300},
    )
    assert bad_key.status_code == 401
