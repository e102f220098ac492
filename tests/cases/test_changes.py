"""Changing a case: the owner's merge patch under If-Match, assigning staff, the production report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness

MERGE = "application/merge-patch+json"


def _patch(
    h: Harness, case_id: Any, body: dict[str, Any], headers: dict[str, str], etag: str | None
) -> Any:
    extra = {"Content-Type": MERGE}
    if etag is not None:
        extra["If-Match"] = etag
    return h.client.patch(f"/v1/cases/{case_id}", json=body, headers={**headers, **extra})


def test_the_owner_patches_with_the_etag_it_read(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    headers = h.auth(h.user(ngo, Role.SUPERVISOR))
    case = h.case(ngo)
    etag = h.client.get(f"/v1/cases/{case.id}", headers=headers).headers["etag"]
    assert _patch(h, case.id, {"home_district": "Gumla"}, headers, None).status_code == 428
    done = _patch(
        h,
        case.id,
        {
            "home_district": "Gumla",
            "references": {"fir_number": "45/2026"},
            "flags": {"family_complicity": True},
        },
        headers,
        etag,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["home_district"] == "Gumla"
    assert body["references"] == {"fir_number": "45/2026"}
    assert body["flags"]["family_complicity"] is True
    assert done.headers["etag"] == '"2"'
    assert _patch(h, case.id, {"home_district": "Ranchi"}, headers, etag).status_code == 412
    cleared = _patch(h, case.id, {"references": {"fir_number": None}}, headers, done.headers["etag"])
    assert cleared.json()["references"] == {}
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'case.updated'")[0][0] == 2


def test_stage_owner_and_code_cannot_be_patched(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    headers = h.auth(h.user(ngo, Role.SUPERVISOR))
    case = h.case(ngo)
    for body in ({"stage": "closed"}, {"owner_agency_id": str(ngo.id)}, {"code": "X"}, {"version": 9},
                 {"flags": {"possible_repeat": False}}):  # fmt: skip
        assert _patch(h, case.id, body, headers, '"1"').status_code == 422, body
    assert h.sql("SELECT version FROM cases")[0][0] == 1


def test_only_the_owner_patches(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    police = h.agency(AgencyType.POLICE, "IN-MH")
    case = h.case(ngo, parties=[police])
    officer = h.auth(h.user(police, Role.POLICE_OFFICER))
    assert h.client.get(f"/v1/cases/{case.id}", headers=officer).status_code == 200  # rescue party
    assert _patch(h, case.id, {"home_district": "Gumla"}, officer, '"1"').status_code == 403
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    assert _patch(h, case.id, {"home_district": "Gumla"}, stranger, '"1"').status_code == 404


def test_two_concurrent_patches_with_one_etag_one_wins(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    headers = {**h.auth(h.user(ngo, Role.SUPERVISOR)), "If-Match": '"1"', "Content-Type": MERGE}
    case = h.case(ngo)

    async def both() -> list[int]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *[
                    client.patch(
                        f"/v1/cases/{case.id}", json={"home_district": f"D{i}"}, headers=headers
                    )
                    for i in range(2)
                ]
            )
            return sorted(a.status_code for a in answers)

    assert h.run(both) == [200, 412]
    assert h.sql("SELECT version FROM cases")[0][0] == 2


def test_the_supervisor_assigns_its_own_staff(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.auth(h.user(ngo, Role.SUPERVISOR))
    worker = h.user(ngo, Role.CASEWORKER)
    outsider = h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER)
    case = h.case(ngo)
    identity = f"/v1/cases/{case.id}/identity?purpose=production&fields=names"
    assert h.client.get(identity, headers=h.auth(worker)).status_code == 403
    wrong = h.client.put(
        f"/v1/cases/{case.id}/assignees", json={"user_ids": [str(outsider.id)]}, headers=supervisor
    )
    assert wrong.status_code == 422
    done = h.client.put(
        f"/v1/cases/{case.id}/assignees", json={"user_ids": [str(worker.id)]}, headers=supervisor
    )
    assert done.status_code == 200
    assert done.json()["assignees"] == [str(worker.id)]
    assert h.client.get(identity, headers=h.auth(worker)).status_code == 200
    mine = h.client.get("/v1/cases?assigned_to_me=true", headers=h.auth(worker)).json()["items"]
    assert [c["id"] for c in mine] == [str(case.id)]
    h.client.put(f"/v1/cases/{case.id}/assignees", json={"user_ids": []}, headers=supervisor)
    assert h.client.get(identity, headers=h.auth(worker)).status_code == 403


def test_production_seizes_the_authority_once(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    headers = h.auth(h.user(ngo, Role.CASEWORKER))
    magistrate = h.agency(AgencyType.MAGISTRATE, "IN-MH")
    cwc = h.agency(AgencyType.CWC, "IN-MH")
    case = h.case(ngo)  # a child
    url = f"/v1/cases/{case.id}/production-report"
    now = datetime.now(UTC).isoformat()
    wrong = h.client.post(
        url,
        json={"occurred_at": now, "authority_id": str(magistrate.id), "journey_hours": 2},
        headers=headers,
    )
    assert wrong.status_code == 422  # a child is produced before the CWC
    member = h.auth(h.user(cwc, Role.CWC_MEMBER))
    assert h.client.get(f"/v1/cases/{case.id}", headers=member).status_code == 404
    done = h.client.post(
        url, json={"occurred_at": now, "authority_id": str(cwc.id), "journey_hours": 2}, headers=headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "produced"
    assert done.json()["competent_authority_id"] == str(cwc.id)
    assert done.json()["journey_hours"] == 2
    seen = h.client.get(f"/v1/cases/{case.id}", headers=member)
    assert seen.status_code == 200
    assert "competent_authority" in seen.json()["relations"]
    again = h.client.post(
        url, json={"occurred_at": now, "authority_id": str(cwc.id), "journey_hours": 2}, headers=headers
    )
    assert again.status_code == 409
    assert "production-report" not in again.json()["allowed_actions"]
    assert "update" in again.json()["allowed_actions"]


def test_identity_is_changed_with_a_purpose_and_the_etag_and_search_follows(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    headers = h.auth(h.user(ngo, Role.SUPERVISOR))
    case = h.case(ngo)
    base = f"/v1/cases/{case.id}/identity"
    read = h.client.get(f"{base}?purpose=family_tracing&fields=names", headers=headers)
    etag = read.headers["etag"]
    patch_headers = {**headers, "Content-Type": MERGE}
    body = {"names": ["Anjali Devi"], "phones": ["+91 90000 11111"]}
    assert (
        h.client.patch(f"{base}?purpose=family_tracing", json=body, headers=patch_headers).status_code
        == 428
    )
    done = h.client.patch(
        f"{base}?purpose=family_tracing", json=body, headers={**patch_headers, "If-Match": etag}
    )
    assert done.status_code == 204, done.text
    stale = h.client.patch(
        f"{base}?purpose=family_tracing", json=body, headers={**patch_headers, "If-Match": etag}
    )
    assert stale.status_code == 412
    now = h.client.get(
        f"{base}?purpose=family_tracing&fields=names&fields=phones", headers=headers
    ).json()
    assert now["fields"] == {"names": ["Anjali Devi"], "phones": ["+91 90000 11111"]}
    found = h.client.post(
        "/v1/cases/search", json={"purpose": "family_tracing", "name": "अंजली देवी"}, headers=headers
    )
    assert [hit["id"] for hit in found.json()["items"]] == [str(case.id)]
    gone = h.client.post(
        "/v1/cases/search", json={"purpose": "family_tracing", "name": "Sunita Kumari"}, headers=headers
    )
    assert gone.json()["items"] == []
    event = h.sql("SELECT changes FROM audit_events WHERE action = 'case.identity_updated'")
    assert "Anjali" not in repr(event)
    assert "hmac-sha256:" in repr(event)
