from __future__ import annotations

import uuid

from app.auth.permissions import AgencyType, Role
from tests.harness import PASSWORD, Harness

NEW_PASSWORD = "a brand new long passphrase"


def _activate(h: Harness, code: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return h.client.post("/v1/auth/activate", json={"code": code, "password": password})


def _login(h: Harness, username: str, password: str):  # type: ignore[no-untyped-def]
    return h.client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )


def test_sysadmin_creates_an_agency_admin_who_activates_and_adds_staff(h: Harness) -> None:
    sysadmin = h.auth(h.user(h.agency(AgencyType.PLATFORM), Role.SYSTEM_ADMIN))
    cwc = h.agency(AgencyType.CWC, "IN-WB")
    created = h.client.post(
        f"/v1/agencies/{cwc.id}/admins",
        json={"username": "WB.CWC.Admin", "display_name": "Admin"},
        headers=sysadmin,
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    assert body["username"] == "wb.cwc.admin"
    assert body["roles"] == ["agency_admin"]
    assert body["activated"] is False
    code = body["activation"]["code"]
    # The system administrator never chose a password; the code sets one, once.
    assert _activate(h, code).status_code == 200
    assert _activate(h, code).status_code == 400
    token = _login(h, "wb.cwc.admin", NEW_PASSWORD).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    member = h.client.post(
        "/v1/users",
        json={"username": "member1", "display_name": "Member", "roles": ["cwc_member"]},
        headers=admin,
    )
    assert member.status_code == 201, member.text
    assert member.json()["agency_id"] == str(cwc.id)
    # A role not valid for a CWC is refused.
    wrong = h.client.post(
        "/v1/users",
        json={"username": "member2", "display_name": "Member", "roles": ["caseworker"]},
        headers=admin,
    )
    assert wrong.status_code == 422
    assert (
        h.client.post(
            "/v1/users",
            json={"username": "MEMBER1", "display_name": "Again", "roles": ["cwc_member"]},
            headers=admin,
        ).status_code
        == 409
    )


def test_activation_refuses_weak_passwords_and_is_throttled(h: Harness) -> None:
    h.clock.freeze()
    agency = h.agency(AgencyType.NGO)
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    created = h.client.post(
        "/v1/users",
        json={"username": "newbie", "display_name": "N", "roles": ["caseworker"]},
        headers=admin,
    ).json()
    assert _activate(h, created["activation"]["code"], "short").status_code == 422
    assert _activate(h, created["activation"]["code"], "newbie").status_code == 422
    for _ in range(5):
        assert _activate(h, "x" * 32).status_code == 400
    assert _activate(h, created["activation"]["code"]).status_code == 429
    h.clock.advance(minutes=16)
    assert _activate(h, created["activation"]["code"]).status_code == 200


def test_a_reset_code_replaces_the_password_and_ends_sessions(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    worker = h.user(agency, Role.CASEWORKER)
    old_session = h.auth(worker)
    code = h.client.post(f"/v1/users/{worker.id}/reset-code", headers=admin).json()
    assert code["purpose"] == "reset"
    assert _activate(h, code["code"]).status_code == 200
    assert h.client.get("/v1/me", headers=old_session).status_code == 401
    assert _login(h, worker.username, PASSWORD).status_code == 400
    assert _login(h, worker.username, NEW_PASSWORD).status_code == 200
    assert (
        h.sql(
            "SELECT code_hash FROM users WHERE id = :i",
            i=worker.id.hex if h.runtime.db.is_sqlite else worker.id,
        )[0][0]
        is None
    )


def test_codes_expire(h: Harness) -> None:
    start = h.clock.freeze()
    agency = h.agency(AgencyType.NGO)
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    created = h.client.post(
        "/v1/users",
        json={"username": "late", "display_name": "L", "roles": ["caseworker"]},
        headers=admin,
    ).json()
    h.clock.freeze(start.replace() + (h.runtime.tokens.access_lifetime * 0))
    h.clock.advance(hours=h.runtime.settings.activation_code_hours, seconds=1)
    assert _activate(h, created["activation"]["code"]).status_code == 400


def test_change_own_password(h: Harness) -> None:
    worker = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    this_session = h.auth(worker)
    other_session = h.auth(worker)
    wrong = h.client.put(
        "/v1/me/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=this_session,
    )
    assert wrong.status_code == 400
    weak = h.client.put(
        "/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=this_session,
    )
    assert weak.status_code == 422
    assert "short" not in weak.text.replace("shorter", "")
    done = h.client.put(
        "/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=this_session,
    )
    assert done.status_code == 204
    assert h.client.get("/v1/me", headers=this_session).status_code == 200
    assert h.client.get("/v1/me", headers=other_session).status_code == 401
    assert _login(h, worker.username, NEW_PASSWORD).status_code == 200


def test_the_last_admin_cannot_be_removed(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    only = h.user(agency, Role.AGENCY_ADMIN, Role.SUPERVISOR)
    headers = h.auth(only)
    assert h.client.delete(f"/v1/users/{only.id}/roles/agency_admin", headers=headers).status_code == 409
    assert h.client.post(f"/v1/users/{only.id}/deactivate", headers=headers).status_code == 409
    second = h.user(agency, Role.AGENCY_ADMIN)
    assert h.client.delete(f"/v1/users/{only.id}/roles/agency_admin", headers=headers).status_code == 200
    # ``only`` has lost the role: its token now answers 401 until refreshed.
    assert h.client.get("/v1/users", headers=headers).status_code == 401
    second_headers = h.auth(second)
    assert h.client.post(f"/v1/users/{second.id}/deactivate", headers=second_headers).status_code == 409


def test_admins_see_only_their_own_agency(h: Harness) -> None:
    mine = h.agency(AgencyType.NGO)
    theirs = h.agency(AgencyType.NGO)
    admin = h.auth(h.user(mine, Role.AGENCY_ADMIN))
    colleague = h.user(mine, Role.CASEWORKER)
    stranger = h.user(theirs, Role.CASEWORKER)
    listed = h.client.get("/v1/users", headers=admin).json()["items"]
    assert str(stranger.id) not in {u["id"] for u in listed}
    assert str(colleague.id) in {u["id"] for u in listed}
    for method, url, body in (
        ("GET", f"/v1/users/{stranger.id}", None),
        ("POST", f"/v1/users/{stranger.id}/roles", {"role": "supervisor"}),
        ("DELETE", f"/v1/users/{stranger.id}/roles/caseworker", None),
        ("POST", f"/v1/users/{stranger.id}/deactivate", None),
        ("POST", f"/v1/users/{stranger.id}/reset-code", None),
        ("GET", f"/v1/users/{uuid.uuid4()}", None),
    ):
        response = h.client.request(method, url, json=body, headers=admin)
        assert response.status_code == 404, (method, url)
    roles = h.sql(
        "SELECT role FROM user_roles WHERE user_id = :i",
        i=stranger.id.hex if h.runtime.db.is_sqlite else stranger.id,
    )
    assert [r[0] for r in roles] == ["caseworker"]


def test_sysadmin_sees_agency_admins_only(h: Harness) -> None:
    sysadmin = h.auth(h.user(h.agency(AgencyType.PLATFORM), Role.SYSTEM_ADMIN))
    agency = h.agency(AgencyType.NGO)
    admin = h.user(agency, Role.AGENCY_ADMIN)
    worker = h.user(agency, Role.CASEWORKER)
    listed = h.client.get(f"/v1/agencies/{agency.id}/admins", headers=sysadmin).json()["items"]
    assert [u["id"] for u in listed] == [str(admin.id)]
    reset = h.client.post(f"/v1/agencies/{agency.id}/admins/{worker.id}/reset-code", headers=sysadmin)
    assert reset.status_code == 404
    other = h.agency(AgencyType.NGO)
    wrong_agency = h.client.post(
        f"/v1/agencies/{other.id}/admins/{admin.id}/reset-code", headers=sysadmin
    )
    assert wrong_agency.status_code == 404
    ok = h.client.post(f"/v1/agencies/{agency.id}/admins/{admin.id}/reset-code", headers=sysadmin)
    assert ok.status_code == 200
    platform_admins = h.client.post(
        f"/v1/agencies/{h.agency(AgencyType.PLATFORM).id}/admins",
        json={"username": "nobody", "display_name": "N"},
        headers=sysadmin,
    )
    assert platform_admins.status_code == 409


def test_grant_and_revoke_validate_roles(h: Harness) -> None:
    agency = h.agency(AgencyType.POLICE)
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    officer = h.user(agency, Role.POLICE_OFFICER)
    assert (
        h.client.post(
            f"/v1/users/{officer.id}/roles", json={"role": "caseworker"}, headers=admin
        ).status_code
        == 422
    )
    assert (
        h.client.post(
            f"/v1/users/{officer.id}/roles", json={"role": "police_officer"}, headers=admin
        ).status_code
        == 409
    )
    assert (
        h.client.post(
            f"/v1/users/{officer.id}/roles", json={"role": "supervisor"}, headers=admin
        ).status_code
        == 200
    )
    assert h.client.delete(f"/v1/users/{officer.id}/roles/magistrate", headers=admin).status_code == 404
    assert h.client.delete(f"/v1/users/{officer.id}/roles/nonsense", headers=admin).status_code == 422
