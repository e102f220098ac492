"""Idempotency-Key on POST: a repeat replays the first status and re-reads what it made (never a
one-time secret); another body under the same key is 422; a repeat while the first runs is 409;
a failed first request leaves the key free."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi.routing import APIRoute

from app.auth.permissions import AgencyType, Role
from tests.harness import PASSWORD, Harness
from tests.routes import _app


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


@pytest.fixture
def admin(h: Harness):  # type: ignore[no-untyped-def]
    agency = h.agency(AgencyType.NGO)
    return agency, h.auth(h.user(agency, Role.AGENCY_ADMIN))


def test_every_post_outside_auth_declares_what_a_replay_rereads() -> None:
    for route in _app().routes:
        if isinstance(route, APIRoute) and "POST" in (route.methods or ()):
            if route.path.startswith("/v1/auth/"):
                continue
            assert "x-idempotency" in (route.openapi_extra or {}), route.path


def test_a_repeat_replays_without_the_one_time_code(h: Harness, admin) -> None:  # type: ignore[no-untyped-def]
    _, headers = admin
    headers = {**headers, **_key()}
    body = {"username": "repeat.me", "display_name": "R", "roles": ["caseworker"]}
    first = h.client.post("/v1/users", json=body, headers=headers)
    second = h.client.post("/v1/users", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert "activation" in first.json()
    assert "activation" not in second.json()
    assert first.json()["activation"]["code"] not in second.text
    assert h.sql("SELECT count(*) FROM users WHERE username = 'repeat.me'")[0][0] == 1
    assert (
        h.sql("SELECT count(*) FROM audit_events WHERE action = 'user.created'")[0][0] == 2
    )  # admin + one


def test_replaying_a_secret_issuing_post_never_shows_the_secret(h: Harness, admin) -> None:  # type: ignore[no-untyped-def]
    agency, headers = admin
    created = h.client.post(
        f"/v1/agencies/{agency.id}/clients",
        json={"name": "State system", "scopes": ["agencies:read"]},
        headers={**headers, **_key()},
    ).json()
    key = _key()
    url = f"/v1/agencies/{agency.id}/clients/{created['id']}/rotate-secret"
    first = h.client.post(url, headers={**headers, **key})
    again = h.client.post(url, headers={**headers, **key})
    assert first.status_code == again.status_code == 200
    assert "client_secret" in first.json()
    assert "client_secret" not in again.json()
    assert first.json()["client_secret"] not in again.text
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'client.secret_rotated'")[0][0] == 1
    worker = h.user(agency, Role.CASEWORKER)
    key = _key()
    code = h.client.post(f"/v1/users/{worker.id}/reset-code", headers={**headers, **key})
    replay = h.client.post(f"/v1/users/{worker.id}/reset-code", headers={**headers, **key})
    assert code.json()["code"] not in replay.text
    assert replay.json()["id"] == str(worker.id)


def test_the_same_key_with_another_body_is_422(h: Harness, admin) -> None:  # type: ignore[no-untyped-def]
    _, headers = admin
    headers = {**headers, **_key()}
    ok = h.client.post(
        "/v1/users",
        json={"username": "one.body", "display_name": "A", "roles": ["caseworker"]},
        headers=headers,
    )
    assert ok.status_code == 201
    other = h.client.post(
        "/v1/users",
        json={"username": "two.body", "display_name": "B", "roles": ["caseworker"]},
        headers=headers,
    )
    assert other.status_code == 422
    assert h.sql("SELECT count(*) FROM users WHERE username = 'two.body'")[0][0] == 0


def test_keys_belong_to_their_principal(h: Harness, admin) -> None:  # type: ignore[no-untyped-def]
    agency, headers = admin
    other_admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    key = _key()
    body = {"username": "mine.only", "display_name": "A", "roles": ["caseworker"]}
    assert h.client.post("/v1/users", json=body, headers={**headers, **key}).status_code == 201
    theirs = h.client.post("/v1/users", json=body, headers={**other_admin, **key})
    assert theirs.status_code == 409  # their own first attempt: the username is taken
    assert "idempotent-replayed" not in theirs.headers


def test_a_failed_first_request_frees_the_key(h: Harness, admin) -> None:  # type: ignore[no-untyped-def]
    _, headers = admin
    headers = {**headers, **_key()}
    body = {"username": "taken.name", "display_name": "A", "roles": ["caseworker"]}
    h.user(h.agency(AgencyType.NGO), Role.CASEWORKER, username="taken.name")
    assert h.client.post("/v1/users", json=body, headers=headers).status_code == 409
    assert h.sql("SELECT count(*) FROM idempotency_keys")[0][0] == 0
    body["username"] = "free.name"
    # The key was released, and the new body is a first request, not "another body".
    assert h.client.post("/v1/users", json=body, headers=headers).status_code == 201


def test_keys_expire_after_24_hours(h: Harness) -> None:
    h.clock.freeze()
    agency = h.agency(AgencyType.NGO)
    user = h.user(agency, Role.AGENCY_ADMIN)
    key = _key()
    url = f"/v1/agencies/{agency.id}/clients"
    body = {"name": "one", "scopes": ["agencies:read"]}
    assert h.client.post(url, json=body, headers={**h.auth(user), **key}).status_code == 201
    h.clock.advance(hours=24, seconds=1)
    body["name"] = "two"  # another body: within 24 hours this would be a 422
    later = h.client.post(url, json=body, headers={**h.auth(user), **key})
    assert later.status_code == 201
    assert "idempotent-replayed" not in later.headers


def test_a_malformed_key_is_422(h: Harness, admin) -> None:  # type: ignore[no-untyped-def]
    _, headers = admin
    response = h.client.post(
        "/v1/users",
        json={"username": "bad.key", "display_name": "A", "roles": ["caseworker"]},
        headers={**headers, "Idempotency-Key": "x" * 201},
    )
    assert response.status_code == 422


def test_two_concurrent_posts_with_one_key_make_one_thing(h: Harness, admin) -> None:  # type: ignore[no-untyped-def]
    agency, headers = admin
    headers = {**headers, **_key()}

    async def twins() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"name": "Concurrent", "scopes": ["agencies:read"]}
            return list(
                await asyncio.gather(
                    *[
                        client.post(f"/v1/agencies/{agency.id}/clients", json=body, headers=headers)
                        for _ in range(2)
                    ]
                )
            )

    answers = h.run(twins)
    statuses = sorted(r.status_code for r in answers)
    assert statuses in ([201, 201], [201, 409])
    assert h.sql("SELECT count(*) FROM machine_clients")[0][0] == 1
    secrets_shown = [r.json().get("client_secret") for r in answers if r.status_code == 201]
    assert sum(1 for s in secrets_shown if s) == 1


def test_auth_routes_ignore_the_header(h: Harness) -> None:
    user = h.user(h.agency(AgencyType.NGO), Role.CASEWORKER)
    key = _key()
    for _ in range(2):
        response = h.client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": user.username, "password": PASSWORD},
            headers=key,
        )
        assert response.status_code == 200
        assert "idempotent-replayed" not in response.headers
    assert h.sql("SELECT count(*) FROM idempotency_keys")[0][0] == 0
