"""Regressions for what the security review of the cases and the vault found."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness

MERGE = "application/merge-patch+json"
COMPLICIT: dict[str, Any] = {
    "track": "child",
    "exploitation_types": ["sexual"],
    "flags": {"family_complicity": True},
    "placement": "Safe house 3",
    "identity": {"names": ["Rani"], "date_of_birth": "2012-02-02", "home_address": "Lane 4, Basirhat"},
}


def test_the_owner_ngo_cannot_lift_family_complicity_but_the_police_can(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    worker = h.auth(h.user(ngo, Role.CASEWORKER))
    case = h.case(ngo, victim=COMPLICIT)
    lift = {"flags": {"family_complicity": False}}
    refused = h.client.patch(
        f"/v1/cases/{case.id}", json=lift, headers={**worker, "If-Match": '"1"', "Content-Type": MERGE}
    )
    assert refused.status_code == 403
    police = h.agency(AgencyType.POLICE, "IN-MH")
    police_case = h.case(police, victim=COMPLICIT)
    officer = h.auth(h.user(police, Role.POLICE_OFFICER))
    lifted = h.client.patch(
        f"/v1/cases/{police_case.id}",
        json=lift,
        headers={**officer, "If-Match": '"1"', "Content-Type": MERGE},
    )
    assert lifted.status_code == 200


def test_placement_is_safety_data_for_unassigned_staff_and_clients(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    case = h.case(ngo, victim=COMPLICIT)
    unassigned = h.auth(h.user(ngo, Role.CASEWORKER))
    client, secret = h.machine_client(ngo, ["cases:read"])
    machine = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    for headers in (unassigned, machine):
        read = h.client.get(f"/v1/cases/{case.id}", headers=headers)
        assert read.status_code == 200
        assert "placement" not in read.json()
        assert "Safe house" not in h.client.get("/v1/cases", headers=headers).text
    supervisor = h.auth(h.user(ngo, Role.SUPERVISOR))
    assert h.client.get(f"/v1/cases/{case.id}", headers=supervisor).json()["placement"] == "Safe house 3"


def test_repeat_checks_are_logged_and_flags_are_not_linkable_to_the_request(h: Harness) -> None:
    first = h.case(h.agency(AgencyType.NGO, "IN-MH"), victim=COMPLICIT)
    prober = h.agency(AgencyType.NGO, "IN-KA")
    h.case(prober, victim=COMPLICIT, state="IN-KA")
    flag_events = h.sql(
        "SELECT request_id, case_id FROM audit_events WHERE action = 'case.flagged_possible_repeat'"
    )
    assert len(flag_events) == 1
    assert flag_events[0][0] is None
    assert str(flag_events[0][1]).replace("-", "") == first.id.hex
    checks = h.sql("SELECT fields FROM access_log WHERE outcome = 'repeat_check'")
    assert len(checks) == 2
    assert "Rani" not in repr(checks)


def test_a_note_moved_to_another_case_or_relabelled_fails_closed(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.auth(h.user(ngo, Role.SUPERVISOR))
    one = h.case(ngo)
    two = h.case(ngo)
    made = h.client.post(
        f"/v1/cases/{one.id}/notes",
        json={"sensitivity": "identity", "body": "Her mother is called Lakshmi."},
        headers=supervisor,
    )
    assert made.status_code == 201
    target = two.id.hex if h.runtime.db.is_sqlite else two.id
    h.sql("UPDATE case_notes SET case_id = :c, sensitivity = 'medical_counselling'", c=target)
    moved = h.client.get(f"/v1/cases/{two.id}/notes", headers=supervisor)
    assert moved.status_code == 500
    assert "Lakshmi" not in moved.text


def test_a_note_replay_shows_no_body(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    headers = {**h.auth(h.user(ngo, Role.SUPERVISOR)), "Idempotency-Key": "note-1"}
    case = h.case(ngo)
    body = {"sensitivity": "identity", "body": "Her mother is called Lakshmi."}
    first = h.client.post(f"/v1/cases/{case.id}/notes", json=body, headers=headers)
    again = h.client.post(f"/v1/cases/{case.id}/notes", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert "Lakshmi" not in again.text


def test_a_client_that_may_change_but_not_read_sees_only_the_receipt(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    case = h.case(ngo, victim=COMPLICIT)
    client, secret = h.machine_client(ngo, ["cases:update"])
    headers = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    assert h.client.get(f"/v1/cases/{case.id}", headers=headers).status_code == 403
    changed = h.client.patch(
        f"/v1/cases/{case.id}",
        json={"home_district": "Basirhat"},
        headers={**headers, "If-Match": '"1"', "Content-Type": MERGE},
    )
    assert changed.status_code == 200
    assert set(changed.json()) <= {"id", "code", "track", "stage", "owner_agency_id", "rescue_event_id",
                                   "version", "flags", "relations"}  # fmt: skip


def test_two_concurrent_production_reports_one_applies_the_other_is_409(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    headers = h.auth(h.user(ngo, Role.CASEWORKER))
    case = h.case(ngo)
    cwc = h.agency(AgencyType.CWC, "IN-MH")
    body = {
        "occurred_at": datetime.now(UTC).isoformat(),
        "authority_id": str(cwc.id),
        "journey_hours": 1,
    }

    async def twins() -> list[int]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *[
                    client.post(f"/v1/cases/{case.id}/production-report", json=body, headers=headers)
                    for _ in range(2)
                ]
            )
            return sorted(a.status_code for a in answers)

    assert h.run(twins) == [200, 409]
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'case.produced'")[0][0] == 1
