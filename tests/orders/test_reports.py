"""Stage reports: the agency holding her reports that she absconded, returned or died."""

from __future__ import annotations

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.orders_support import Seized, when
from tests.transfers_support import World, db_id


def test_absconded_then_returned_puts_her_back_in_the_stage_she_left(h: Harness) -> None:
    seized = Seized(h, stage="interim_care")
    gone = seized.report("absconded-report")
    assert gone.status_code == 200, gone.text
    assert gone.json()["stage"] == "absconded"
    again = seized.report("absconded-report")
    assert again.status_code == 409
    assert "return-report" in again.json()["allowed_actions"]
    back = seized.report("return-report", circumstances="Found at the railway station.")
    assert back.status_code == 200, back.text
    assert back.json()["stage"] == "interim_care"
    rows = h.sql(
        "SELECT kind, from_stage, to_stage FROM case_reports WHERE case_id = :i ORDER BY recorded_at",
        i=db_id(h, seized.case.id),
    )
    assert [tuple(r) for r in rows] == [
        ("absconded", "interim_care", "absconded"),
        ("returned", "absconded", "interim_care"),
    ]
    assert [e.action for e in h.events()][-2:] == ["case.absconded", "case.returned"]


def test_the_shelter_she_is_placed_in_reports_too(h: Harness) -> None:
    seized = Seized(h)
    assert seized.report("absconded-report", as_="shelter").status_code == 404
    assert seized.issue("placement").status_code == 201
    response = seized.report("death-report", as_="shelter", circumstances="Illness; hospital record.")
    assert response.status_code == 200, response.text
    assert seized.stage_now() == "deceased"
    assert seized.report("return-report").status_code == 409


def test_reports_in_the_order_of_checks(h: Harness) -> None:
    police = h.agency(AgencyType.POLICE, "IN-MH")
    seized = Seized(h, stage="interim_care")
    # A rescue party sees the case but does not hold her: 403.
    party_case = h.case(seized.owner, parties=[police])
    officer = h.user(police, Role.POLICE_OFFICER)
    response = h.client.post(
        f"/v1/cases/{party_case.id}/absconded-report",
        json={"occurred_at": when(minutes=3), "circumstances": "Ran away."},
        headers=h.auth(officer),
    )
    assert response.status_code == 403
    # An unrelated NGO: 404.
    stranger = h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER)
    response = h.client.post(
        f"/v1/cases/{seized.case.id}/absconded-report",
        json={"occurred_at": when(minutes=3), "circumstances": "Ran away."},
        headers=h.auth(stranger),
    )
    assert response.status_code == 404
    # A commission may not report at all: 403.
    commission = h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER)
    response = h.client.post(
        f"/v1/cases/{seized.case.id}/death-report",
        json={"occurred_at": when(minutes=3), "circumstances": "x"},
        headers=h.auth(commission),
    )
    assert response.status_code == 403
    # In the future: 422.
    assert seized.report("absconded-report", occurred_at=when(minutes=-10)).status_code == 422
    assert seized.stage_now() == "interim_care"


def test_in_transfer_the_escort_reports_on_the_transfer_not_the_case(h: Harness) -> None:
    world = World(h)
    world.to("ordered")
    response = h.client.post(
        f"/v1/cases/{world.case.id}/absconded-report",
        json={"occurred_at": when(minutes=1), "circumstances": "Left the train."},
        headers=world.headers["sending_caseworker"],
    )
    assert response.status_code == 409
    assert "absconded-report" not in response.json()["allowed_actions"]
