from __future__ import annotations

import uuid

import pytest

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness


@pytest.fixture
def sysadmin(h: Harness) -> dict[str, str]:
    return h.auth(h.user(h.agency(AgencyType.PLATFORM), Role.SYSTEM_ADMIN))


def test_old_state_codes_are_accepted_and_stored_new(h: Harness, sysadmin: dict[str, str]) -> None:
    for old, new in (("IN-OR", "IN-OD"), ("in-ct", "IN-CG"), ("IN-TG", "IN-TS"), ("IN-UT", "IN-UK")):
        response = h.client.post(
            "/v1/agencies", json={"name": f"CWC {old}", "type": "cwc", "state": old}, headers=sysadmin
        )
        assert response.status_code == 201, response.text
        assert response.json()["state"] == new


@pytest.mark.parametrize(
    "body",
    [
        {"name": "CWC", "type": "cwc", "state": "IN-XX"},
        {"name": "CWC", "type": "cwc"},  # a CWC belongs to a state
        {"name": "Operator", "type": "platform", "state": "IN-MH"},  # national
        {"name": "CWC", "type": "no-such-type", "state": "IN-MH"},
        {"name": "CWC", "type": "cwc", "state": "IN-MH", "address": "12 Shelter Road"},
        {"name": "CWC", "type": "cwc", "state": "IN-MH", "id": str(uuid.uuid4())},
        {"name": "CWC", "type": "cwc", "state": "IN-MH", "lgd_code": "abc"},
    ],
)
def test_invalid_agencies_are_422(h: Harness, sysadmin: dict[str, str], body: dict[str, str]) -> None:
    response = h.client.post("/v1/agencies", json=body, headers=sysadmin)
    assert response.status_code == 422
    assert h.sql("SELECT count(*) FROM agencies WHERE name = 'CWC'")[0][0] == 0


def test_national_bodies_have_no_state(h: Harness, sysadmin: dict[str, str]) -> None:
    response = h.client.post(
        "/v1/agencies", json={"name": "NCPCR", "type": "commission"}, headers=sysadmin
    )
    assert response.status_code == 201
    assert response.json()["state"] is None


def test_type_and_state_never_change(h: Harness, sysadmin: dict[str, str]) -> None:
    agency = h.agency(AgencyType.NGO, "IN-MH")
    match = {**sysadmin, "If-Match": '"1"'}
    for body in ({"type": "cwc"}, {"state": "IN-WB"}, {"active": False}):
        response = h.client.patch(f"/v1/agencies/{agency.id}", json=body, headers=match)
        assert response.status_code == 422
    renamed = h.client.patch(
        f"/v1/agencies/{agency.id}", json={"name": "New name", "district": "Pune"}, headers=match
    )
    assert renamed.status_code == 200
    assert renamed.json()["type"] == "ngo"
    assert renamed.json()["state"] == "IN-MH"
    assert renamed.json()["district"] == "Pune"


def test_everyone_lists_the_directory_with_filters_and_keyset_pages(h: Harness) -> None:
    for i in range(5):
        h.agency(AgencyType.CWC, "IN-WB", name=f"CWC {i}", district="South 24 Parganas")
    h.agency(AgencyType.CWC, "IN-MH", name="CWC Mumbai", district="Mumbai City")
    _, headers = h.person(AgencyType.NGO, Role.CASEWORKER)
    seen: list[str] = []
    url = "/v1/agencies?state=IN-WB&district=south%2024%20PARGANAS&limit=2"
    while url:
        response = h.client.get(url, headers=headers)
        assert response.status_code == 200
        seen += [a["name"] for a in response.json()["items"]]
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else ""
    assert seen == [f"CWC {i}" for i in range(5)]


def test_agency_reads_carry_no_address(h: Harness) -> None:
    shelter = h.agency(AgencyType.SHELTER)
    _, headers = h.person(AgencyType.NGO, Role.CASEWORKER)
    body = h.client.get(f"/v1/agencies/{shelter.id}", headers=headers).json()
    assert set(body) == {
        "id",
        "name",
        "type",
        "state",
        "district",
        "lgd_code",
        "active",
        "successor_id",
        "created_at",
        "updated_at",
    }


def test_unknown_agency_is_404_and_bad_cursor_422(h: Harness) -> None:
    _, headers = h.person(AgencyType.NGO, Role.CASEWORKER)
    assert h.client.get(f"/v1/agencies/{uuid.uuid4()}", headers=headers).status_code == 404
    assert h.client.get("/v1/agencies?cursor=%%%", headers=headers).status_code == 422
    assert h.client.get("/v1/agencies?state=IN-ZZ", headers=headers).status_code == 422
    assert h.client.get("/v1/agencies?limit=201", headers=headers).status_code == 422


def test_the_operator_cannot_deactivate_its_own_agency(h: Harness) -> None:
    platform = h.agency(AgencyType.PLATFORM)
    headers = h.auth(h.user(platform, Role.SYSTEM_ADMIN))
    response = h.client.post(f"/v1/agencies/{platform.id}/deactivate", headers=headers)
    assert response.status_code == 409


def test_changes_need_the_current_etag(h: Harness, sysadmin: dict[str, str]) -> None:
    agency = h.agency(AgencyType.NGO, "IN-MH")
    read = h.client.get(f"/v1/agencies/{agency.id}", headers=sysadmin)
    etag = read.headers["etag"]
    url = f"/v1/agencies/{agency.id}"
    missing = h.client.patch(url, json={"name": "No tag"}, headers=sysadmin)
    assert missing.status_code == 428
    first = h.client.patch(url, json={"name": "First"}, headers={**sysadmin, "If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    second = h.client.patch(url, json={"name": "Second"}, headers={**sysadmin, "If-Match": etag})
    assert second.status_code == 412
    garbage = h.client.patch(url, json={"name": "Third"}, headers={**sysadmin, "If-Match": "xyz"})
    assert garbage.status_code == 412
    assert h.client.get(url, headers=sysadmin).json()["name"] == "First"
    # 404 comes before 412: an unknown agency is not "stale".
    unknown = h.client.patch(
        f"/v1/agencies/{uuid.uuid4()}", json={"name": "Unknown"}, headers={**sysadmin, "If-Match": etag}
    )
    assert unknown.status_code == 404
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'agency.updated'")[0][0] == 1


def test_two_concurrent_changes_with_one_etag_one_wins(h: Harness, sysadmin: dict[str, str]) -> None:
    import asyncio

    import httpx

    agency = h.agency(AgencyType.NGO, "IN-MH")
    headers = {**sysadmin, "If-Match": '"1"'}

    async def both() -> list[int]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *[
                    client.patch(
                        f"/v1/agencies/{agency.id}", json={"name": f"Name {i}"}, headers=headers
                    )
                    for i in range(2)
                ]
            )
            return sorted(a.status_code for a in answers)

    assert h.run(both) == [200, 412]
    assert h.sql("SELECT version FROM agencies WHERE name LIKE 'Name %'")[0][0] == 2
