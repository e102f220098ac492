"""RFC 9457 problem details everywhere, in the order of checks of DOMAIN.md section 5, and error
bodies that never echo what was sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from app.auth.guard import _is_json
from app.auth.permissions import AgencyType, Role
from app.main import create_app
from tests.conftest import make_settings
from tests.harness import Harness

PROBLEM = "application/problem+json"


@pytest.fixture
def sysadmin(h: Harness) -> dict[str, str]:
    return h.auth(h.user(h.agency(AgencyType.PLATFORM), Role.SYSTEM_ADMIN))


def _is_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)


def test_validation_errors_name_fields_not_values(h: Harness, sysadmin: dict[str, str]) -> None:
    secret_name = "Sunita Kumari Devi"
    response = h.client.post(
        "/v1/agencies",
        json={"name": secret_name, "type": "cwc", "state": "IN-MH", "victim_name": secret_name},
        headers=sysadmin,
    )
    _is_problem(response, 422)
    assert secret_name not in response.text
    assert ["body", "victim_name"] in [e["loc"] for e in response.json()["errors"]]
    bad_id = h.client.get("/v1/agencies/Sunita-Kumari", headers=sysadmin)
    _is_problem(bad_id, 422)
    assert "Sunita" not in bad_id.text
    pattern = h.client.post(
        f"/v1/agencies/{uuid.uuid4()}/admins",
        json={"username": "Sunita Kumari!", "display_name": "x"},
        headers=sysadmin,
    )
    _is_problem(pattern, 422)
    assert "Sunita" not in pattern.text


def test_malformed_json_is_422(h: Harness, sysadmin: dict[str, str]) -> None:
    response = h.client.post(
        "/v1/agencies",
        content=b'{"name": "Sunita',
        headers={**sysadmin, "content-type": "application/json"},
    )
    _is_problem(response, 422)
    assert "Sunita" not in response.text


def test_bodies_over_a_mebibyte_are_413_declared_or_chunked(
    h: Harness, sysadmin: dict[str, str]
) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    declared = h.client.post(
        "/v1/agencies", content=big, headers={**sysadmin, "content-type": "application/json"}
    )
    _is_problem(declared, 413)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    chunked = h.client.post(
        "/v1/agencies", content=chunks(), headers={**sysadmin, "content-type": "application/json"}
    )
    _is_problem(chunked, 413)
    assert h.sql("SELECT count(*) FROM agencies WHERE type = 'cwc'")[0][0] == 0


def test_order_of_checks_401_403_before_request_errors(h: Harness) -> None:
    big = b"x" * (2 * 1024 * 1024)
    # Anonymous: 401 even with an oversized body of the wrong type.
    _is_problem(h.client.post("/v1/agencies", content=big), 401)
    # Signed in without the permission: 403, not 413, 415 or 422.
    _, caseworker = h.person(AgencyType.NGO, Role.CASEWORKER)
    _is_problem(h.client.post("/v1/agencies", content=big, headers=caseworker), 403)
    _is_problem(h.client.post("/v1/agencies", json={"bogus": 1}, headers=caseworker), 403)
    _is_problem(h.client.get("/v1/users/not-a-uuid", headers=caseworker), 403)


@pytest.mark.parametrize(
    "sent", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "text/json"]
)
def test_415_for_a_json_route_sent_something_else(
    h: Harness, sysadmin: dict[str, str], sent: str
) -> None:
    response = h.client.post(
        "/v1/agencies", content=b"name=x", headers={**sysadmin, "content-type": sent}
    )
    _is_problem(response, 415)
    assert "application/json" in response.json()["detail"]


def test_405_names_the_allowed_methods(h: Harness) -> None:
    response = h.client.delete("/v1/me")
    _is_problem(response, 405)
    assert response.headers["allow"] == "GET"


def test_unknown_paths_are_problem_404(h: Harness) -> None:
    _is_problem(h.client.get("/v1/no-such-thing"), 404)


def test_a_500_reveals_nothing(tmp_path: Path) -> None:
    # An app of its own (its own runtime and database), so its shutdown touches nothing shared.
    app = create_app(make_settings(tmp_path))
    boom = APIRouter()

    @boom.get("/boom")
    async def explode() -> None:
        raise RuntimeError("SELECT secret FROM /srv/homecoming/app.py line 42")

    app.router.routes.extend(boom.routes)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    _is_problem(response, 500)
    for leak in ("SELECT", "/srv", "Traceback", "RuntimeError", ".py"):
        assert leak not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_request_ids_are_echoed_or_made(h: Harness) -> None:
    given = h.client.get("/health/live", headers={"X-Request-ID": "abcdef123456"})
    assert given.headers["x-request-id"] == "abcdef123456"
    unsafe = h.client.get("/health/live", headers={"X-Request-ID": "<script>"})
    assert unsafe.headers["x-request-id"] != "<script>"
    assert len(unsafe.headers["x-request-id"]) == 32


def test_denied_attempts_are_written_to_the_access_log(h: Harness) -> None:
    _, caseworker = h.person(AgencyType.NGO, Role.CASEWORKER)
    missing = uuid.uuid4()
    h.client.get("/v1/users", headers={"Authorization": "Bearer nonsense"})
    h.client.get("/v1/users", headers=caseworker)
    h.client.get(f"/v1/agencies/{missing}", headers=caseworker)
    rows = h.sql(
        "SELECT status, route, object_id, principal_id, outcome FROM access_log ORDER BY occurred_at"
    )
    assert [(r[0], r[1]) for r in rows] == [
        (401, "/v1/users"),
        (403, "/v1/users"),
        (404, "/v1/agencies/{agency_id}"),
    ]
    assert rows[0][3] is None
    assert rows[2][2] == str(missing)
    assert {r[4] for r in rows} == {"denied"}


def test_forged_cursors_are_422(h: Harness) -> None:
    import base64
    import json

    _, headers = h.person(AgencyType.NGO, Role.AGENCY_ADMIN)
    forged = base64.urlsafe_b64encode(json.dumps([{"a": 1}, str(uuid.uuid4())]).encode()).decode()
    for url in ("/v1/agencies", "/v1/users"):
        response = h.client.get(f"{url}?cursor={forged}", headers=headers)
        _is_problem(response, 422)
    bad_id = base64.urlsafe_b64encode(json.dumps(["name", "not-a-uuid"]).encode()).decode()
    _is_problem(h.client.get(f"/v1/agencies?cursor={bad_id}", headers=headers), 422)


def test_denials_are_written_by_the_background_task_within_a_second(h: Harness) -> None:
    import time

    for _ in range(20):
        h.client.get("/v1/users", headers={"Authorization": "Bearer nonsense"})
    deadline = time.monotonic() + 3
    count = 0
    while time.monotonic() < deadline:
        count = h.sql("SELECT count(*) FROM access_log", flush=False)[0][0]
        if count == 20:
            break
        time.sleep(0.1)
    assert count == 20


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        (" application/json ;charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("application/jsonx", False),
        ("application/json/x", False),
        ("application/x/+json", False),
        ("application/json, text/plain", False),
        ("text/json", False),
        ("json", False),
        ("", False),
        (None, False),
    ],
)
def test_what_counts_as_a_json_body(content_type: str | None, is_json: bool) -> None:
    assert _is_json(content_type) is is_json
