"""Case notes by sensitivity class: encrypted unless general, read by relation, identity notes only
with a purpose, every read logged."""

from __future__ import annotations

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness


def test_notes_by_class_and_relation(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.auth(h.user(ngo, Role.SUPERVISOR))
    unassigned = h.auth(h.user(ngo, Role.CASEWORKER))
    cwc = h.agency(AgencyType.CWC, "IN-MH")
    case = h.case(ngo, authority=cwc)
    url = f"/v1/cases/{case.id}/notes"
    for sensitivity, body in (
        ("general", "Attended the hearing."),
        ("medical_counselling", "Counselling session 2: sleeping better."),
        ("safety", "Moved to the Thane shelter."),
        ("identity", "Her mother is called Lakshmi."),
    ):
        made = h.client.post(url, json={"sensitivity": sensitivity, "body": body}, headers=supervisor)
        assert made.status_code == 201, made.text
    stored = repr(h.sql("SELECT body FROM case_notes")) + repr(h.sql("SELECT changes FROM audit_events"))
    for secret in ("sleeping better", "Thane", "Lakshmi"):
        assert secret not in stored
    assert "Attended the hearing." in stored  # general notes are plain
    everything = h.client.get(f"{url}?purpose=family_tracing", headers=supervisor).json()
    assert {n["sensitivity"] for n in everything["items"]} == {
        "general",
        "medical_counselling",
        "safety",
        "identity",
    }
    no_purpose = h.client.get(url, headers=supervisor).json()
    assert "identity" not in {n["sensitivity"] for n in no_purpose["items"]}
    assert [n["sensitivity"] for n in h.client.get(url, headers=unassigned).json()["items"]] == [
        "general"
    ]
    member = h.auth(h.user(cwc, Role.CWC_MEMBER))
    assert len(h.client.get(f"{url}?purpose=legal_proceeding", headers=member).json()["items"]) == 4
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER))
    seen = h.client.get(f"{url}?purpose=production", headers=commission).json()
    assert [n["body"] for n in seen["items"]] == ["Attended the hearing."]
    # An unassigned caseworker writes general notes only.
    refused = h.client.post(url, json={"sensitivity": "safety", "body": "x"}, headers=unassigned)
    assert refused.status_code == 403
    logged = h.sql(
        "SELECT fields FROM access_log WHERE route = '/v1/cases/{case_id}/notes' AND outcome = 'read'"
    )
    assert len(logged) == 5


def test_outsiders_neither_read_nor_write_notes(h: Harness) -> None:
    case = h.case(h.agency(AgencyType.NGO, "IN-MH"))
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    url = f"/v1/cases/{case.id}/notes"
    assert h.client.get(url, headers=stranger).status_code == 404
    assert (
        h.client.post(url, json={"sensitivity": "general", "body": "x"}, headers=stranger).status_code
        == 404
    )
    police = h.agency(AgencyType.POLICE, "IN-MH")
    party_case = h.case(h.agency(AgencyType.NGO, "IN-MH"), parties=[police])
    officer = h.auth(h.user(police, Role.POLICE_OFFICER))
    party_url = f"/v1/cases/{party_case.id}/notes"
    assert h.client.get(party_url, headers=officer).status_code == 200  # rescue party reads general
    assert (
        h.client.post(
            party_url, json={"sensitivity": "general", "body": "x"}, headers=officer
        ).status_code
        == 403
    )
