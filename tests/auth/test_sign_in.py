"""The token endpoint: password sign-in, throttling, refresh rotation and reuse, machine clients,
and RFC 6749 error answers inside problem details."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.auth import service
from app.auth.permissions import AgencyType, Role
from app.errors import Problem
from tests.harness import PASSWORD, Harness


def _password(h: Harness, username: str, password: str, **extra: str) -> Any:
    return h.client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password, **extra},
    )


def _refresh(h: Harness, token: str) -> Any:
    return h.client.post("/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": token})


def _body_without_request_id(response: Any) -> dict[str, Any]:
    body = dict(response.json())
    body.pop("request_id", None)
    return body


def test_unknown_user_and_wrong_password_look_the_same_and_both_hash(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    real = h.runtime.passwords._hasher
    calls: list[str] = []

    class CountingHasher:
        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return bool(real.verify(hash_, password))

    monkeypatch.setattr(h.runtime.passwords, "_hasher", CountingHasher())
    wrong = _password(h, user.username, "not the password at all")
    unknown = _password(h, "nobody-by-this-name", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    assert _body_without_request_id(wrong) == _body_without_request_id(unknown)
    assert wrong.json()["error"] == "invalid_grant"
    assert len(calls) == 2, "both paths must run the password hash"


def test_unknown_parameters_are_ignored_and_tokens_are_not_cached(h: Harness) -> None:
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    response = _password(h, user.username.upper(), PASSWORD, surprise="ignored")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "invalid_request"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "no-such-token"}, 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, 401, "invalid_client"),
    ],
)
def test_rfc6749_errors(h: Harness, data: dict[str, str], status: int, error: str) -> None:
    response = h.client.post("/v1/auth/token", data=data)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["error"] == error
    assert body["status"] == status


def test_five_failures_lock_the_username_at_that_address_even_for_the_right_password(
    h: Harness,
) -> None:
    start = h.clock.freeze()
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    other = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    for _ in range(5):
        assert _password(h, user.username, "wrong guess number x").status_code == 400
    locked = _password(h, user.username, PASSWORD)
    assert locked.status_code == 429
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    # Another username from the same address is unaffected.
    assert _password(h, other.username, PASSWORD).status_code == 200
    # The same username from another address is unaffected.
    grant = h.run(service.password_grant, h.runtime, user.username, PASSWORD, "203.0.113.9")
    assert grant.access_token
    # Fifteen minutes on, the right password works again.
    h.clock.freeze(start + timedelta(minutes=15, seconds=1))
    assert _password(h, user.username, PASSWORD).status_code == 200


def test_unknown_usernames_are_throttled_too_and_stored_only_hashed(h: Harness) -> None:
    h.clock.freeze()
    for _ in range(5):
        _password(h, "Ghost.User", "whatever it might be")
    assert _password(h, "ghost.user", "whatever it might be").status_code == 429
    dump = repr(h.sql("SELECT * FROM auth_throttles")) + repr(h.sql("SELECT * FROM security_log"))
    assert "ghost" not in dump.lower()


def test_refresh_rotates_and_a_retry_within_30_seconds_gets_a_pair(h: Harness) -> None:
    start = h.clock.freeze()
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    first = _password(h, user.username, PASSWORD).json()
    second = _refresh(h, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    h.clock.freeze(start + timedelta(seconds=25))
    retry = _refresh(h, first["refresh_token"])
    assert retry.status_code == 200, "a retry on a bad network must not log the user out"
    both = [second.json()["access_token"], retry.json()["access_token"]]
    for token in both:
        assert h.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_reuse_after_the_grace_window_revokes_the_whole_family(h: Harness) -> None:
    h.clock.freeze()
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    first = _password(h, user.username, PASSWORD).json()
    second = _refresh(h, first["refresh_token"]).json()
    h.clock.advance(seconds=31)
    reuse = _refresh(h, first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    # The family is gone: the newest refresh token and its access token fail too.
    assert _refresh(h, second["refresh_token"]).status_code == 400
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert h.client.get("/v1/me", headers=headers).status_code == 401
    kinds = {row[0] for row in h.sql("SELECT kind FROM security_log")}
    assert "refresh_reuse" in kinds


def test_refresh_tokens_expire_when_idle_and_at_the_session_maximum(h: Harness) -> None:
    start = h.clock.freeze()
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    tokens = _password(h, user.username, PASSWORD).json()
    h.clock.advance(hours=h.runtime.settings.refresh_idle_hours, seconds=1)
    assert _refresh(h, tokens["refresh_token"]).status_code == 400
    # Kept alive by regular refreshes, a session still ends at its absolute maximum.
    h.clock.freeze(start)
    tokens = _password(h, user.username, PASSWORD).json()
    refresh = tokens["refresh_token"]
    for _ in range(h.runtime.settings.refresh_max_days * 24 // 11 + 2):
        h.clock.advance(hours=11)
        answer = _refresh(h, refresh)
        if answer.status_code != 200:
            break
        refresh = answer.json()["refresh_token"]
    assert answer.status_code == 400
    maximum = timedelta(days=h.runtime.settings.refresh_max_days)
    assert maximum <= h.clock() - start < maximum + timedelta(hours=11)


def test_machine_client_credentials(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    client, secret = h.machine_client(agency, ["agencies:read", "profile:read"])
    ok = h.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "scope": "agencies:read"},
        auth=(str(client.id), secret),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["scope"] == "agencies:read"
    assert "refresh_token" not in ok.json()
    headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert h.client.get("/v1/agencies", headers=headers).status_code == 200
    assert h.client.get("/v1/me", headers=headers).status_code == 403  # scope not requested
    wrong = h.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": str(client.id), "client_secret": "x"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    too_much = h.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "scope": "users:manage"},
        auth=(str(client.id), secret),
    )
    assert too_much.status_code == 400
    assert too_much.json()["error"] == "invalid_scope"


def test_a_client_cannot_be_given_administration_scopes(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    admin = h.user(agency, Role.AGENCY_ADMIN)
    for scope in ("users:manage", "clients:manage", "agencies:manage", "no-such-scope"):
        response = h.client.post(
            f"/v1/agencies/{agency.id}/clients",
            json={"name": "integration", "scopes": [scope]},
            headers=h.auth(admin),
        )
        assert response.status_code == 422, scope
    assert h.sql("SELECT count(*) FROM machine_clients")[0][0] == 0


def test_rotating_a_client_secret_ends_its_tokens(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO)
    admin = h.user(agency, Role.AGENCY_ADMIN)
    client, secret = h.machine_client(agency, ["agencies:read"])
    old = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    rotated = h.client.post(
        f"/v1/agencies/{agency.id}/clients/{client.id}/rotate-secret", headers=h.auth(admin)
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert new_secret != secret
    assert h.client.get("/v1/agencies", headers=old).status_code == 401
    assert h.client.get(f"/v1/agencies/{agency.id}/clients/{client.id}", headers=h.auth(admin)).json()[
        "active"
    ]
    h.client_token(client, new_secret)
    with pytest.raises(AssertionError):
        h.client_token(client, secret)
    stored = h.sql("SELECT secret_hash FROM machine_clients")[0][0]
    assert new_secret not in stored


def test_service_raises_problem_for_bad_client_id(h: Harness) -> None:
    with pytest.raises(Problem) as caught:
        h.run(service.client_credentials_grant, h.runtime, "not-a-uuid", "x", None, "127.0.0.1")
    assert caught.value.status_code == 401


def test_a_grace_retry_after_the_successor_was_used_revokes_the_family(h: Harness) -> None:
    """A stolen token replayed within the window cannot fork the session once the owner moved on."""
    start = h.clock.freeze()
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    first = _password(h, user.username, PASSWORD).json()
    second = _refresh(h, first["refresh_token"]).json()
    h.clock.freeze(start + timedelta(seconds=5))
    third = _refresh(h, second["refresh_token"])  # the owner uses the successor
    assert third.status_code == 200
    h.clock.freeze(start + timedelta(seconds=10))
    stolen = _refresh(h, first["refresh_token"])  # within 30 s, but the successor was used
    assert stolen.status_code == 400
    assert _refresh(h, third.json()["refresh_token"]).status_code == 400


def test_a_superseded_successor_is_reuse(h: Harness) -> None:
    """Each grace retry replaces the unused successor: only one branch lives."""
    start = h.clock.freeze()
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    first = _password(h, user.username, PASSWORD).json()
    lost = _refresh(h, first["refresh_token"]).json()  # the answer that never arrived
    h.clock.freeze(start + timedelta(seconds=3))
    retry = _refresh(h, first["refresh_token"]).json()
    h.clock.freeze(start + timedelta(seconds=6))
    assert _refresh(h, retry["refresh_token"]).status_code == 200
    h.clock.freeze(start + timedelta(seconds=9))
    # Presenting the superseded token (an attacker holding the lost answer) ends the family.
    assert _refresh(h, lost["refresh_token"]).status_code == 400
    kinds = [row[0] for row in h.sql("SELECT kind FROM security_log")]
    assert "refresh_reuse" in kinds


def test_failed_refreshes_and_client_logins_are_in_the_security_log(h: Harness) -> None:
    _refresh(h, "no-such-token")
    client, _ = h.machine_client(h.agency(AgencyType.NGO), ["agencies:read"])
    h.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": str(client.id), "client_secret": "x"},
    )
    kinds = sorted(row[0] for row in h.sql("SELECT kind FROM security_log"))
    assert kinds == ["client_auth_failed", "refresh_failed"]


def test_a_concurrent_burst_cannot_outrun_the_throttle(h: Harness) -> None:
    """Attempts are counted before the hash runs: of a burst, at most five are even tried."""
    import asyncio

    import httpx

    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            guesses = [f"wrong guess number {i}" for i in range(16)]
            answers = await asyncio.gather(
                *[
                    client.post(
                        "/v1/auth/token",
                        data={"grant_type": "password", "username": user.username, "password": g},
                    )
                    for g in guesses
                ]
            )
            # Afterwards the pair is locked, the right password included.
            right = await client.post(
                "/v1/auth/token",
                data={"grant_type": "password", "username": user.username, "password": PASSWORD},
            )
            return [a.status_code for a in answers] + [right.status_code]

    *statuses, right = h.run(burst)
    assert statuses.count(429) >= len(statuses) - 5
    assert sum(1 for s in statuses if s != 429) <= 5
    assert right == 429


def test_guessing_the_current_password_is_throttled_and_ends_the_session(h: Harness) -> None:
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    headers = h.auth(user)
    body = {"new_password": "a fresh long passphrase"}
    for i in range(5):
        wrong = h.client.put(
            "/v1/me/password", json={**body, "current_password": f"guess {i} guess"}, headers=headers
        )
        assert wrong.status_code == 400
    locked = h.client.put(
        "/v1/me/password", json={**body, "current_password": PASSWORD}, headers=headers
    )
    assert locked.status_code == 429
    assert "retry-after" in locked.headers
    assert h.client.get("/v1/me", headers=headers).status_code == 401
