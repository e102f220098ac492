"""Follow-up visits, rehabilitation services and an adult's consents (DOMAIN.md sections 1, 2
and 7): who records them, what they move, who reads them, and the over-stay flag against an
injected clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.orders_support import Seized, when
from tests.transfers_support import db_id


def _visit(seized: Seized, as_: str = "caseworker", **extra: Any) -> Any:
    body = {
        "occurred_at": when(minutes=1),
        "findings": "Living with her mother; back in school; no contact from the agent.",
        "risk_level": "low",
        "risk_factors": [],
        **extra,
    }
    return seized.h.client.post(
        f"/v1/cases/{seized.case.id}/follow-up-visits", json=body, headers=seized.headers[as_]
    )


def _home_under_final_order(h: Harness) -> Seized:
    seized = Seized(h, stage="received_home")
    issued = seized.issue("final_order", occurred_at=when(minutes=30))
    assert issued.status_code == 201, issued.text
    assert seized.stage_now() == "final_order"
    return seized


def _follow_up_deadlines(h: Harness, seized: Seized) -> list[tuple[int, Any]]:
    rows = h.sql(
        "SELECT occurrence, met_at FROM deadlines WHERE case_id = :c AND rule_id = 'FOLLOW_UP_VISIT'"
        " ORDER BY occurrence",
        c=db_id(h, seized.case.id),
    )
    return [(int(r[0]), r[1]) for r in rows]


def test_the_first_visit_moves_the_case_to_follow_up_and_meets_the_schedule(h: Harness) -> None:
    seized = _home_under_final_order(h)
    assert [n for n, met in _follow_up_deadlines(h, seized) if met is None] == list(range(1, 9))
    first = _visit(seized, occurred_at=when(minutes=20))
    assert first.status_code == 201, first.text
    assert first.json()["number"] == 1
    assert seized.stage_now() == "follow_up"
    second = _visit(seized, risk_level="medium", risk_factors=["agent seen in the village"])
    assert second.status_code == 201, second.text
    assert second.json()["number"] == 2
    assert seized.stage_now() == "follow_up"
    assert [n for n, met in _follow_up_deadlines(h, seized) if met is not None] == [1, 2]
    events = h.sql("SELECT action FROM audit_events WHERE action = 'case.follow_up_visit'")
    assert len(events) == 2
    # The owner reads the visits with their findings, and the schedule with each one's status.
    read = h.client.get(
        f"/v1/cases/{seized.case.id}/follow-up-visits", headers=seized.headers["caseworker"]
    )
    assert read.status_code == 200, read.text
    body = read.json()
    assert [v["number"] for v in body["items"]] == [1, 2]
    assert body["items"][1]["findings"].startswith("Living with her mother")
    assert [s["status"] for s in body["schedule"]] == ["met", "met"] + ["open"] * 6
    # A commission of the state sees that visits happened and the risk, not what was found.
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER))
    seen = h.client.get(f"/v1/cases/{seized.case.id}/follow-up-visits", headers=commission)
    assert seen.status_code == 200, seen.text
    assert [v["risk_level"] for v in seen.json()["items"]] == ["low", "medium"]
    assert {v["findings"] for v in seen.json()["items"]} == {None}


def test_visits_are_checked_in_the_order_of_section_5_and_change_nothing(h: Harness) -> None:
    seized = Seized(h, stage="under_inquiry")
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER))
    seized.headers["stranger"] = stranger
    future = _visit(seized, occurred_at=when(minutes=-30))
    assert future.status_code == 422, future.text
    assert _visit(seized, "stranger").status_code == 404
    # The CWC orders; it does not record visits (no permission: 403 first).
    assert _visit(seized, "member").status_code == 403
    # The shelter she is placed in holds her but does not make home visits.
    seized.set_stage("interim_care")
    assert seized.issue("placement").status_code == 201
    seized.set_stage("under_inquiry")
    assert _visit(seized, "shelter").status_code == 403
    early = _visit(seized)
    assert early.status_code == 409, early.text
    assert "update" in early.json()["allowed_actions"]
    assert h.sql("SELECT count(*) FROM follow_up_visits")[0][0] == 0
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'case.follow_up_visit'")[0][0] == 0
    # Out of order: a visit before the last one recorded.
    seized.set_stage("final_order")
    assert _visit(seized, occurred_at=when(minutes=5)).status_code == 201
    late = _visit(seized, occurred_at=when(minutes=10))
    assert late.status_code == 422, late.text
    assert late.json()["errors"][0]["type"] == "out_of_order"


def _service(seized: Seized, as_: str = "caseworker", **extra: Any) -> Any:
    body = {"occurred_at": when(minutes=10), "type": "counselling", "scheme": "Ujjawala", **extra}
    return seized.h.client.post(
        f"/v1/cases/{seized.case.id}/rehabilitation-services", json=body, headers=seized.headers[as_]
    )


def test_services_are_recorded_by_the_holder_and_the_shelter_and_end_once(h: Harness) -> None:
    seized = Seized(h, stage="produced")
    assert seized.issue("placement").status_code == 201
    by_shelter = _service(seized, "shelter", type="medical", notes="Checked at the district hospital.")
    assert by_shelter.status_code == 201, by_shelter.text
    by_owner = _service(seized)
    assert by_owner.status_code == 201, by_owner.text
    service_id = by_owner.json()["id"]
    end_route = f"/v1/cases/{seized.case.id}/rehabilitation-services/{service_id}/end"
    ending = {"occurred_at": when(minutes=1), "status": "completed", "outcome": "Eight sessions."}
    stale = h.client.post(
        end_route, json=ending, headers={**seized.headers["caseworker"], "If-Match": '"9"'}
    )
    assert stale.status_code == 412, stale.text
    still = h.client.post(
        end_route, json={**ending, "status": "ongoing"}, headers=seized.headers["caseworker"]
    )
    assert still.status_code == 422, still.text
    ended = h.client.post(end_route, json=ending, headers=seized.headers["caseworker"])
    assert ended.status_code == 200, ended.text
    assert (ended.json()["status"], ended.json()["version"]) == ("completed", 2)
    again = h.client.post(end_route, json=ending, headers=seized.headers["caseworker"])
    assert again.status_code == 409, again.text
    # Another case's route does not reach this service: 404, as if it did not exist.
    other = Seized(h, stage="interim_care", owner=seized.owner)
    crossed = h.client.post(
        f"/v1/cases/{other.case.id}/rehabilitation-services/{service_id}/end",
        json=ending,
        headers=other.headers["caseworker"],
    )
    assert crossed.status_code == 404, crossed.text
    listed = h.client.get(
        f"/v1/cases/{seized.case.id}/rehabilitation-services", headers=seized.headers["member"]
    ).json()["items"]
    assert [(s["type"], s["status"]) for s in listed] == [
        ("medical", "ongoing"),
        ("counselling", "completed"),
    ]
    assert listed[0]["notes"] == "Checked at the district hospital."
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    audited = h.client.get(f"/v1/cases/{seized.case.id}/rehabilitation-services", headers=auditor)
    assert audited.status_code == 200, audited.text
    assert {s["notes"] for s in audited.json()["items"]} == {None}
    assert seized.stage_now() == "interim_care"  # a child's services move nothing


def _adult_at(h: Harness, stage: str, home_district: str | None) -> Seized:
    seized = Seized(h, track="adult", stage=stage)
    h.sql(
        "UPDATE cases SET current_district = 'Mumbai', home_state = :s, home_district = :d"
        " WHERE id = :i",
        s="IN-MH" if home_district == "Mumbai" else "IN-JH",
        d=home_district,
        i=db_id(h, seized.case.id),
    )
    return seized


def test_an_adult_at_home_in_the_district_begins_rehabilitation_without_a_transfer(
    h: Harness,
) -> None:
    here = _adult_at(h, "magistrate_order", "Mumbai")
    assert _service(here, type="livelihood").status_code == 201
    assert here.stage_now() == "rehabilitation"
    events = h.sql("SELECT changes FROM audit_events WHERE action = 'case.service_started'")
    assert "rehabilitation" in str(events[0][0])
    # From another state she goes home by a transfer: a service moves nothing.
    away = _adult_at(h, "magistrate_order", "Ranchi")
    assert _service(away, type="livelihood").status_code == 201
    assert away.stage_now() == "magistrate_order"
    # On the way home no service is recorded.
    away.set_stage("in_transfer")
    assert _service(away).status_code == 409


def _consent(seized: Seized, as_: str = "caseworker", **extra: Any) -> Any:
    body = {
        "occurred_at": seized.h.clock().isoformat(),
        "purpose": "shelter_stay",
        "given": True,
        "how_recorded": "In Santali through the court's interpreter; form SC-1",
        **extra,
    }
    return seized.h.client.post(
        f"/v1/cases/{seized.case.id}/consents", json=body, headers=seized.headers[as_]
    )


def _stay(seized: Seized, as_: str = "caseworker") -> dict[str, Any]:
    read = seized.h.client.get(f"/v1/cases/{seized.case.id}/consents", headers=seized.headers[as_])
    assert read.status_code == 200, read.text
    stay: dict[str, Any] = read.json()["stay"]
    return stay


def test_a_stay_past_the_order_and_her_consent_is_flagged(h: Harness) -> None:
    h.clock.freeze()
    seized = Seized(h, track="adult", stage="produced")
    assert _stay(seized)["placed"] is False
    placed = seized.issue("placement", occurred_at=h.clock().isoformat())
    assert placed.status_code == 201, placed.text
    custody = seized.issue("safe_custody", occurred_at=h.clock().isoformat())
    assert custody.status_code == 201, custody.text
    stay = _stay(seized)
    assert (stay["placed"], stay["covered_by"], stay["overstay"]) == (True, "order", False)
    # Three weeks of safe custody (ITPA s.17): a day past them, the stay is not covered.
    h.clock.advance(days=23)
    seized.reauth()
    stay = _stay(seized)
    assert (stay["covered_by"], stay["overstay"]) == (None, True)
    assert stay["since"] is not None
    # Her consent to stay, for a month, covers it; withdrawn, it no longer does.
    until = h.clock.advance(minutes=1)
    given = _consent(seized, valid_until=(until + timedelta(days=30)).isoformat())
    assert given.status_code == 201, given.text
    assert given.json()["in_force"] is True
    stay = _stay(seized)
    assert (stay["covered_by"], stay["overstay"]) == ("consent", False)
    h.clock.advance(minutes=5)
    seized.reauth()
    withdrawn = h.client.post(
        f"/v1/cases/{seized.case.id}/consents/{given.json()['id']}/withdraw",
        json={"note": "She asks to go home.", "occurred_at": h.clock().isoformat()},
        headers=seized.headers["caseworker"],
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["in_force"] is False
    assert _stay(seized)["overstay"] is True
    twice = h.client.post(
        f"/v1/cases/{seized.case.id}/consents/{given.json()['id']}/withdraw",
        json={"note": "Again."},
        headers=seized.headers["caseworker"],
    )
    assert twice.status_code == 409, twice.text
    # Her latest answer counts: consent given again, then refused, leaves nothing in force.
    h.clock.advance(minutes=1)
    seized.reauth()
    assert _consent(seized).status_code == 201
    assert _stay(seized)["covered_by"] == "consent"
    h.clock.advance(minutes=1)
    seized.reauth()
    assert _consent(seized, given=False).status_code == 201
    assert _stay(seized)["overstay"] is True
    # A protective-home final order covers her stay while it runs.
    final = seized.issue("final_order", outcome="protective_home", occurred_at=h.clock().isoformat())
    assert final.status_code == 201, final.text
    stay = _stay(seized)
    assert (stay["covered_by"], stay["covered_until"], stay["overstay"]) == ("order", None, False)


def test_consents_are_an_adults_and_name_the_agency_they_share_with(h: Harness) -> None:
    child = Seized(h, stage="interim_care")
    refused = _consent(child)
    assert refused.status_code == 409, refused.text
    adult = Seized(h, track="adult", stage="safe_custody")
    no_agency = _consent(adult, purpose="data_sharing")
    assert no_agency.status_code == 422, no_agency.text
    stray = _consent(adult, agency_id=str(adult.shelter.id))
    assert stray.status_code == 422, stray.text
    sharing = _consent(adult, purpose="data_sharing", agency_id=str(adult.shelter.id))
    assert sharing.status_code == 201, sharing.text
    refusal = _consent(adult, purpose="medical_examination", given=False)
    assert refusal.status_code == 201, refusal.text
    assert refusal.json()["in_force"] is False
    withdraw_refusal = h.client.post(
        f"/v1/cases/{adult.case.id}/consents/{refusal.json()['id']}/withdraw",
        json={"note": "n/a"},
        headers=adult.headers["caseworker"],
    )
    assert withdraw_refusal.status_code == 409
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER))
    assert h.client.get(f"/v1/cases/{adult.case.id}/consents", headers=stranger).status_code == 404
    adult.headers["stranger"] = stranger
    assert _consent(adult, "stranger").status_code == 404
    listed = h.client.get(f"/v1/cases/{adult.case.id}/consents", headers=adult.headers["member"])
    assert [(c["purpose"], c["given"]) for c in listed.json()["items"]] == [
        ("data_sharing", True),
        ("medical_examination", False),
    ]
    events = h.sql("SELECT count(*) FROM audit_events WHERE action = 'case.consent_recorded'")
    assert events[0][0] == 2
