"""A case's access log: every read of the case, its identity and its documents, the list pages
and searches that held it, and every refusal, for the owning agency's supervisors and audit
offices; other relations 403, strangers 404; it never names the other cases of a list page."""

from __future__ import annotations

from typing import Any

from app.auth.permissions import AgencyType, Role
from tests.documents.support import upload_kwargs
from tests.harness import Harness


def _log(h: Harness, case_id: Any, headers: dict[str, str], **params: Any) -> Any:
    return h.client.get(f"/v1/cases/{case_id}/access-log", headers=headers, params=params)


def test_the_owner_s_supervisor_sees_who_read_what_and_who_was_refused(h: Harness) -> None:
    owner = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.auth(h.user(owner, Role.SUPERVISOR))
    worker = h.user(owner, Role.CASEWORKER)
    case, other = h.case(owner, assign=[worker]), h.case(owner)
    reader = h.auth(worker)
    assert h.client.get(f"/v1/cases/{case.id}", headers=reader).status_code == 200
    identity = h.client.get(
        f"/v1/cases/{case.id}/identity?purpose=production&fields=names", headers=reader
    )
    assert identity.status_code == 200
    listed = h.client.get("/v1/cases", headers=reader)
    assert {c["id"] for c in listed.json()["items"]} >= {str(case.id), str(other.id)}
    made = h.client.post(f"/v1/cases/{case.id}/documents", headers=supervisor, **upload_kwargs())
    assert made.status_code == 201, made.text
    document = made.json()["id"]
    assert h.client.get(f"/v1/documents/{document}/content", headers=reader).status_code == 200
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER))
    assert h.client.get(f"/v1/cases/{case.id}", headers=stranger).status_code == 404

    response = _log(h, case.id, supervisor)
    assert response.status_code == 200, response.text
    rows = response.json()["items"]
    seen = {(r["route"], r["outcome"], r["status"]) for r in rows}
    assert ("/v1/cases/{case_id}", "read", 200) in seen
    assert ("/v1/cases", "read", 200) in seen  # the list page that held her case
    assert ("/v1/documents/{document_id}/content", "read", 200) in seen
    assert ("/v1/cases/{case_id}", "denied", 404) in seen
    (read,) = [r for r in rows if r["route"] == "/v1/cases/{case_id}/identity"]
    assert (read["purpose"], read["fields"], read["principal_id"]) == (
        "production",
        ["names"],
        str(worker.id),
    )
    # Oldest first; never the other cases a list page held; no identity anywhere.
    assert [r["occurred_at"] for r in rows] == sorted(r["occurred_at"] for r in rows)
    assert str(other.id) not in response.text
    assert "object_ids" not in rows[0]
    assert "Sunita" not in response.text


def test_pages_follow_the_log_and_the_read_is_itself_logged(h: Harness) -> None:
    owner = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.auth(h.user(owner, Role.SUPERVISOR))
    case = h.case(owner)
    for _ in range(5):
        h.client.get(f"/v1/cases/{case.id}", headers=supervisor)
    seen, cursor = [], None
    while True:
        page = _log(h, case.id, supervisor, limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len({r["id"] for r in seen}) == len(seen) >= 5
    later = _log(h, case.id, supervisor, limit=200).json()["items"]
    assert any(r["route"] == "/v1/cases/{case_id}/access-log" for r in later)
    assert _log(h, case.id, supervisor, cursor="nope").status_code == 422


def test_who_may_read_a_case_s_access_log(h: Harness) -> None:
    owner = h.agency(AgencyType.NGO, "IN-MH")
    police = h.agency(AgencyType.POLICE, "IN-MH")
    case = h.case(owner, parties=[police])
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    assert _log(h, case.id, auditor).status_code == 200
    # A supervisor of the rescue party sees the case, not who else read it.
    rescuer = h.auth(h.user(police, Role.SUPERVISOR))
    assert h.client.get(f"/v1/cases/{case.id}", headers=rescuer).status_code == 200
    assert _log(h, case.id, rescuer).status_code == 403
    # The owner's caseworker and a commission lack the permission: 403 whatever the case.
    worker = h.auth(h.user(owner, Role.CASEWORKER))
    assert _log(h, case.id, worker).status_code == 403
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER))
    assert _log(h, case.id, commission).status_code == 403
    # Supervisors of an unrelated agency and another state's audit office: as if it did not exist.
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    assert _log(h, case.id, stranger).status_code == 404
    elsewhere = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-KA"), Role.AUDITOR))
    assert _log(h, case.id, elsewhere).status_code == 404
    assert h.client.get(f"/v1/cases/{case.id}/access-log").status_code == 401
