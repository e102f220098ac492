"""Orders on a case: who makes them, what each kind carries, and how each moves the case
(DOMAIN.md section 2), in the order of checks of DOMAIN.md section 5."""

from __future__ import annotations

import uuid

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.orders_support import Seized, when
from tests.transfers_support import World, db_id


def _case_row(h: Harness, seized: Seized) -> dict[str, object]:
    rows = h.sql(
        "SELECT stage, track, competent_authority_id, placement_agency_id, age_determined, "
        "closed_at, closure_reason, version FROM cases WHERE id = :i",
        i=db_id(h, seized.case.id),
    )
    names = ("stage", "track", "authority", "placement", "age", "closed_at", "reason", "version")
    return dict(zip(names, rows[0], strict=True))


def test_a_placement_order_moves_a_produced_child_into_interim_care_and_makes_the_shelter_a_party(
    h: Harness,
) -> None:
    seized = Seized(h)
    # Before the order the shelter has no relation to the case.
    assert seized.read("shelter").status_code == 404
    response = seized.issue("placement")
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["kind"] == "placement"
    assert order["legal_basis"].startswith("JJ Act")
    assert order["issuing_members"] == [str(seized.users["member"].id)]
    assert order["details"]["placement_agency_id"] == str(seized.shelter.id)
    row = _case_row(h, seized)
    assert row["stage"] == "interim_care"
    assert str(row["placement"]).replace("-", "") == seized.shelter.id.hex
    # The shelter now sees her case, where she is, and her name for producing her.
    read = seized.read("shelter")
    assert read.status_code == 200
    assert read.json()["relations"] == ["placement"]
    assert read.json()["placement_agency_id"] == str(seized.shelter.id)
    names = h.client.get(
        f"/v1/cases/{seized.case.id}/identity?purpose=production&fields=names",
        headers=seized.headers["shelter"],
    )
    assert names.status_code == 200, names.text
    assert names.json()["fields"]["names"] == ["Sunita Kumari"]
    # ... but not her family or home.
    home = h.client.get(
        f"/v1/cases/{seized.case.id}/identity?purpose=production&fields=home_village",
        headers=seized.headers["shelter"],
    )
    assert home.status_code == 403
    assert [e.action for e in h.events("order.issued")] == ["order.issued"]


def test_an_adult_is_placed_in_intermediate_custody_then_safe_custody_then_ordered(h: Harness) -> None:
    seized = Seized(h, track="adult")
    assert seized.issue("placement").status_code == 201
    assert seized.stage_now() == "intermediate_custody"
    assert seized.issue("safe_custody").status_code == 201
    assert seized.stage_now() == "safe_custody"
    wrong = seized.issue("final_order", outcome="restoration")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["body", "outcome"]
    assert seized.stage_now() == "safe_custody"
    assert seized.issue("final_order", outcome="release_to_family").status_code == 201
    assert seized.stage_now() == "magistrate_order"


def test_an_sir_direction_puts_a_child_under_inquiry_and_is_not_an_adult_order(h: Harness) -> None:
    child = Seized(h, stage="interim_care")
    assert child.issue("sir_direction").status_code == 201
    assert child.stage_now() == "under_inquiry"
    adult = Seized(h, track="adult")
    refused = adult.issue("sir_direction")
    assert refused.status_code == 409
    assert "order:placement" in refused.json()["allowed_actions"]
    assert adult.stage_now() == "produced"


def test_an_age_determination_under_18_keeps_the_child_track(h: Harness) -> None:
    seized = Seized(h)
    response = seized.issue("age_determination", age_determined=16, age_basis="medical_test")
    assert response.status_code == 201, response.text
    row = _case_row(h, seized)
    assert (row["stage"], row["track"], row["age"]) == ("under_inquiry", "child", 16)


def test_an_age_determination_of_18_or_more_moves_her_to_the_adult_track(h: Harness) -> None:
    seized = Seized(h)
    response = seized.issue("age_determination", age_determined=19, age_basis="document")
    assert response.status_code == 201, response.text
    assert response.json()["details"]["track_determined"] == "adult"
    row = _case_row(h, seized)
    assert (row["stage"], row["track"], row["authority"]) == ("rescued", "adult", None)
    # The CWC is no longer seized of her case; she is produced before a Magistrate next.
    assert seized.read("member").status_code == 404
    magistrate = h.agency(AgencyType.MAGISTRATE, "IN-MH")
    produced = h.client.post(
        f"/v1/cases/{seized.case.id}/production-report",
        json={"occurred_at": when(minutes=1), "authority_id": str(magistrate.id), "journey_hours": 0},
        headers=seized.headers["caseworker"],
    )
    assert produced.status_code == 200, produced.text
    assert produced.json()["stage"] == "produced"


def test_transfer_and_escort_orders_are_refused_before_the_case_is_looked_up(h: Harness) -> None:
    seized = Seized(h)
    for kind in ("transfer", "escort"):
        for case_id in (seized.case.id, uuid.uuid4()):
            response = h.client.post(
                f"/v1/cases/{case_id}/orders",
                json=seized.order(kind),
                headers=seized.headers["member"],
            )
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["type"] == "made_by_transfer"
    assert seized.stage_now() == "produced"
    assert h.events("order.issued") == []


def test_what_an_order_carries_is_checked(h: Harness) -> None:
    seized = Seized(h)
    future = seized.issue("placement", occurred_at=when(minutes=-30))
    assert future.status_code == 422
    other = h.user(h.agency(AgencyType.CWC, "IN-MH"), Role.CWC_MEMBER)
    colleague = h.user(seized.authority, Role.CWC_MEMBER)
    for members, kind in (
        ([str(colleague.id)], "caller_missing"),
        ([str(seized.users["member"].id), str(other.id)], "not_members"),
        ([str(seized.users["member"].id), str(seized.users["caseworker"].id)], "not_members"),
    ):
        response = seized.issue("placement", issuing_members=members)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["type"] == kind
    elsewhere = h.agency(AgencyType.SHELTER, "IN-KA")
    assert seized.issue("placement", placement_agency_id=str(elsewhere.id)).status_code == 422
    foreign_document = uuid.uuid4()
    assert seized.issue("placement", document_id=str(foreign_document)).status_code == 422
    assert seized.stage_now() == "produced"
    # A bench of two members, both named.
    bench = seized.issue(
        "placement", issuing_members=[str(seized.users["member"].id), str(colleague.id)]
    )
    assert bench.status_code == 201
    assert sorted(bench.json()["issuing_members"]) == sorted(
        [str(seized.users["member"].id), str(colleague.id)]
    )


def test_only_the_authority_seized_makes_orders_in_the_order_of_checks(h: Harness) -> None:
    seized = Seized(h)
    # Without the permission: 403, whatever the case.
    for as_ in ("caseworker", "supervisor", "shelter"):
        assert seized.issue("placement", as_=as_).status_code == 403
    # A CWC that cannot see the case: 404, as if it did not exist.
    stranger = h.user(h.agency(AgencyType.CWC, "IN-KA"), Role.CWC_MEMBER)
    response = h.client.post(
        f"/v1/cases/{seized.case.id}/orders",
        json={**seized.order("placement"), "issuing_members": [str(stranger.id)]},
        headers=h.auth(stranger),
    )
    assert response.status_code == 404
    # A CWC that sees the case as the receiving side of its transfer, but is not seized: 403.
    world = World(h)
    world.to("consultation_requested")
    receiving = world.users["receiving_authority"]
    response = h.client.post(
        f"/v1/cases/{world.case.id}/orders",
        json={
            "kind": "sir_direction",
            "issuing_members": [str(receiving.id)],
            "occurred_at": when(minutes=1),
        },
        headers=world.headers["receiving_authority"],
    )
    assert response.status_code == 403, response.text
    assert seized.stage_now() == "produced"
    assert h.events("order.issued") == []


def test_a_case_is_closed_by_order_but_not_while_a_transfer_is_open(h: Harness) -> None:
    world = World(h)
    world.to("draft")
    member = world.users["sending_authority"]
    body = {
        "kind": "closure",
        "closure_reason": "restored",
        "issuing_members": [str(member.id)],
        "occurred_at": when(minutes=1),
    }
    url = f"/v1/cases/{world.case.id}/orders"
    refused = h.client.post(url, json=body, headers=world.headers["sending_authority"])
    assert refused.status_code == 409
    assert "open transfer" in refused.json()["detail"]
    seized = Seized(h, stage="under_inquiry")
    closed = seized.issue("closure", closure_reason="restored to family in the district")
    assert closed.status_code == 201, closed.text
    row = _case_row(h, seized)
    assert row["stage"] == "closed"
    assert row["reason"] == "restored to family in the district"
    assert row["closed_at"] is not None
    again = seized.issue("placement")
    assert again.status_code == 409
    assert again.json()["allowed_actions"] == []


def test_aged_out_and_disclosure_permission(h: Harness) -> None:
    seized = Seized(h, stage="interim_care")
    permission = seized.issue("disclosure_permission")
    assert permission.status_code == 201
    assert permission.json()["details"] == {
        "recipient": "District Legal Services Authority",
        "purpose": "compensation",
        "fields": ["names"],
    }
    assert seized.stage_now() == "interim_care"
    assert seized.issue("aged_out", next_step="adult_track").status_code == 201
    assert seized.stage_now() == "aged_out"
    adult = Seized(h, track="adult")
    assert adult.issue("aged_out").status_code == 409


def test_orders_are_read_by_those_whose_field_set_holds_them(h: Harness) -> None:
    seized = Seized(h)
    assert seized.issue("placement").status_code == 201
    assert seized.issue("sir_direction").status_code == 201
    owner = h.client.get(f"/v1/cases/{seized.case.id}/orders", headers=seized.headers["caseworker"])
    assert owner.status_code == 200
    kinds = [o["kind"] for o in owner.json()["items"]]
    assert kinds == ["placement", "sir_direction"]
    assert owner.json()["items"][0]["details"]["placement_agency_id"] == str(seized.shelter.id)
    # A commission sees the orders but not where she is placed (safety data).
    officer = h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER)
    commission = h.client.get(f"/v1/cases/{seized.case.id}/orders", headers=h.auth(officer))
    assert commission.status_code == 200
    assert [o["kind"] for o in commission.json()["items"]] == kinds
    assert "placement_agency_id" not in commission.json()["items"][0]["details"]
    # An NGO with no relation: 404.
    stranger = h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER)
    assert (
        h.client.get(f"/v1/cases/{seized.case.id}/orders", headers=h.auth(stranger)).status_code == 404
    )


def test_the_escort_sees_the_case_but_not_its_orders(h: Harness) -> None:
    world = World(h)
    world.to("escort_assigned")
    response = h.client.get(f"/v1/cases/{world.case.id}/orders", headers=world.headers["escort"])
    assert response.status_code == 403
