"""Deadlines (DOMAIN.md section 7): started by acts, due by their rule, overdue at the right
moment of an injected clock, seen by those who see the case with deadlines in their field set
and by the agency that owes them, never by an unrelated agency, and moved with the case."""

from __future__ import annotations

from typing import Any

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.orders_support import Seized
from tests.transfers_support import World


def _deadlines(h: Harness, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = h.client.get(f"/v1/deadlines{query}", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _of(items: list[dict[str, Any]], case_id: Any, rule_id: str) -> list[dict[str, Any]]:
    return [d for d in items if d["case_id"] == str(case_id) and d["rule_id"] == rule_id]


def test_production_within_24_hours_breaches_at_the_right_moment(h: Harness) -> None:
    h.clock.freeze()
    seized = Seized(h, stage="rescued")
    owner = seized.headers["caseworker"]
    mine = _of(_deadlines(h, owner, "?owed_by_me=true"), seized.case.id, "JJ31_PRODUCTION")
    assert [d["status"] for d in mine] == ["open"]
    assert mine[0]["owed_by_agency_id"] == str(seized.owner.id)
    assert "s.31" in mine[0]["citation"]
    # The rescue was two hours ago: 21 hours on it is still open, 23 hours on it is overdue.
    h.clock.advance(hours=21)
    seized.reauth()
    owner = seized.headers["caseworker"]
    assert _of(_deadlines(h, owner, "?status=overdue"), seized.case.id, "JJ31_PRODUCTION") == []
    h.clock.advance(hours=2)
    seized.reauth()
    owner = seized.headers["caseworker"]
    overdue = _of(
        _deadlines(h, owner, "?status=overdue&owed_by_me=true"), seized.case.id, "JJ31_PRODUCTION"
    )
    assert len(overdue) == 1
    # The case list's filter shows it to the owner; an unrelated NGO sees neither.
    listed = h.client.get("/v1/cases?overdue=true", headers=owner).json()["items"]
    assert str(seized.case.id) in [c["id"] for c in listed]
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER))
    assert _of(_deadlines(h, stranger), seized.case.id, "JJ31_PRODUCTION") == []
    assert h.client.get("/v1/cases?overdue=true", headers=stranger).json()["items"] == []
    # A commission of the state sees the case with its deadlines (no identity).
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER))
    assert len(_of(_deadlines(h, commission, "?status=overdue"), seized.case.id, "JJ31_PRODUCTION")) == 1


def test_the_journey_is_excluded_and_production_meets_it_late_or_in_time(h: Harness) -> None:
    h.clock.freeze()
    seized = Seized(h, stage="rescued")
    h.clock.advance(hours=25)
    seized.reauth()
    response = h.client.post(
        f"/v1/cases/{seized.case.id}/production-report",
        json={
            "occurred_at": h.clock().isoformat(),
            "authority_id": str(seized.authority.id),
            "journey_hours": 6,
        },
        headers=seized.headers["caseworker"],
    )
    assert response.status_code == 200, response.text
    items = _deadlines(h, seized.headers["caseworker"], f"?case_id={seized.case.id}")
    production = _of(items, seized.case.id, "JJ31_PRODUCTION")
    # 27 hours after the rescue, with 6 hours of journey excluded: in time.
    assert [d["status"] for d in production] == ["met"]
    inquiry = _of(items, seized.case.id, "JJ36_FINAL_ORDER")
    assert [d["owed_by_agency_id"] for d in inquiry] == [str(seized.authority.id)]
    assert inquiry[0]["status"] == "open"


def test_a_transfer_consultation_breaches_for_the_receiving_cwc_and_escalates(h: Harness) -> None:
    h.clock.freeze()
    world = World(h)
    world.to("consultation_requested")
    receiving = world.headers["receiving_authority"]
    mine = _of(_deadlines(h, receiving, "?owed_by_me=true"), world.case.id, "TRANSFER_CONSULTATION")
    assert [d["status"] for d in mine] == ["open"]
    h.clock.advance(days=9)
    world.reauth()
    receiving = world.headers["receiving_authority"]
    overdue = _of(
        _deadlines(h, receiving, "?status=overdue&owed_by_me=true"),
        world.case.id,
        "TRANSFER_CONSULTATION",
    )
    assert len(overdue) == 1
    assert world.read().json()["escalated"] is True
    # The sending side sees it (the case is its own) but does not owe it.
    sending = world.headers["sending_caseworker"]
    assert _of(_deadlines(h, sending, "?owed_by_me=true"), world.case.id, "TRANSFER_CONSULTATION") == []
    assert len(_of(_deadlines(h, sending), world.case.id, "TRANSFER_CONSULTATION")) == 1
    # An answer meets it, late.
    assert world.post("answer-consultation").status_code == 200
    answered = _of(_deadlines(h, receiving), world.case.id, "TRANSFER_CONSULTATION")
    assert [d["status"] for d in answered] == ["met_late"]


def test_open_deadlines_move_with_the_case_on_acceptance(h: Harness) -> None:
    world = World(h)
    world.to("handed_over")
    sending = world.headers["sending_caseworker"]
    production = _of(_deadlines(h, sending), world.case.id, "JJ31_PRODUCTION")
    assert [d["owed_by_agency_id"] for d in production] == [str(world.sending_agency.id)]
    acceptance = _of(_deadlines(h, sending), world.case.id, "TRANSFER_ACCEPTANCE")
    assert [d["owed_by_agency_id"] for d in acceptance] == [str(world.receiving_agency.id)]
    escort = _of(
        _deadlines(h, world.headers["escort"], "?owed_by_me=true"), world.case.id, "JJ95_ESCORT"
    )
    assert [d["status"] for d in escort] == ["met"]
    world.to("accepted")
    supervisor = world.headers["receiving_supervisor"]
    moved = _of(_deadlines(h, supervisor, "?owed_by_me=true"), world.case.id, "JJ31_PRODUCTION")
    assert [d["owed_by_agency_id"] for d in moved] == [str(world.receiving_agency.id)]
    accepted = _of(_deadlines(h, supervisor), world.case.id, "TRANSFER_ACCEPTANCE")
    assert [d["status"] for d in accepted] == ["met"]
    # The sending side no longer owes it.
    assert _of(_deadlines(h, sending, "?owed_by_me=true"), world.case.id, "JJ31_PRODUCTION") == []


def test_a_restoration_starts_eight_follow_up_visits_and_a_closure_waives_what_is_open(
    h: Harness,
) -> None:
    seized = Seized(h, stage="under_inquiry")
    assert seized.issue("final_order", outcome="restoration").status_code == 201
    items = _deadlines(h, seized.headers["caseworker"], f"?case_id={seized.case.id}")
    visits = _of(items, seized.case.id, "FOLLOW_UP_VISIT")
    assert [d["occurrence"] for d in visits] == list(range(1, 9))
    assert all(d["owed_by_agency_id"] == str(seized.owner.id) for d in visits)
    dues = [d["due_at"] for d in visits]
    assert dues == sorted(dues)
    appeal = _of(items, seized.case.id, "JJ101_APPEAL")
    assert appeal
    assert appeal[0]["informational"] is True
    assert seized.issue("closure", closure_reason="restored").status_code == 201
    after = _of(
        _deadlines(h, seized.headers["caseworker"], f"?case_id={seized.case.id}"),
        seized.case.id,
        "FOLLOW_UP_VISIT",
    )
    assert {d["status"] for d in after} == {"waived"}
    assert after[0]["waived_reason"] == "the case was closed"


def test_an_appeal_window_is_never_overdue(h: Harness) -> None:
    h.clock.freeze()
    seized = Seized(h)
    assert seized.issue("placement").status_code == 201
    h.clock.advance(days=40)
    seized.reauth()
    items = _of(_deadlines(h, seized.headers["caseworker"]), seized.case.id, "JJ101_APPEAL")
    assert [d["status"] for d in items] == ["met"]
    assert (
        _of(
            _deadlines(h, seized.headers["caseworker"], "?status=overdue"),
            seized.case.id,
            "JJ101_APPEAL",
        )
        == []
    )
