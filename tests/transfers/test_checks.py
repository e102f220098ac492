"""Every transfer action answers in the order of DOMAIN.md section 5: the wrong role 403, the
wrong side 403, an unrelated agency and an agency of another state 404, the right actor at the
wrong moment 409 with what it may do now; and a refused request changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.auth.permissions import ROLE_PERMISSIONS, AgencyType, Role
from app.transfers.policy import ACTIONS
from tests.harness import Harness
from tests.transfers_support import World

# action -> (the state it acts from, the actor, a visible principal of the wrong side, the state
# after which the actor is told 409)
CASES: dict[str, tuple[str, str, str, str | None]] = {
    "request-consultation": (
        "draft", "sending_authority", "sending_supervisor", "consultation_requested",
    ),
    "answer-consultation": (
        "consultation_requested", "receiving_authority", "sending_authority",
        "consultation_answered",
    ),
    "order": ("consultation_answered", "sending_authority", "receiving_authority", "ordered"),
    "assign-escort": ("ordered", "sending_authority", "receiving_authority", "escort_assigned"),
    "depart": ("escort_assigned", "escort", "sending_caseworker", "in_transit"),
    "hand-over": ("in_transit", "escort", "receiving_supervisor", "handed_over"),
    "accept": ("handed_over", "receiving_supervisor", "sending_authority", "accepted"),
    "decline": ("consultation_answered", "receiving_authority", "sending_authority", "escort_assigned"),
    "cancel": ("consultation_requested", "sending_supervisor", "receiving_supervisor", "ordered"),
    "report-absconded": ("in_transit", "escort", "receiving_supervisor", "handed_over"),
    "border-handover": ("ordered", "sending_authority", "receiving_authority", "in_transit"),
    "escalate": ("consultation_requested", "sending_supervisor", "sending_caseworker", None),
}  # fmt: skip

# The role each of the World's people holds.
WORLD_ROLES = {
    "sending_caseworker": Role.CASEWORKER,
    "sending_supervisor": Role.SUPERVISOR,
    "sending_authority": Role.CWC_MEMBER,
    "receiving_authority": Role.CWC_MEMBER,
    "receiving_supervisor": Role.SUPERVISOR,
    "escort": Role.POLICE_OFFICER,
}

ROLE_OF = {
    "sending_authority": Role.CWC_MEMBER,
    "receiving_authority": Role.CWC_MEMBER,
    "escort": Role.POLICE_OFFICER,
    "sending_supervisor": Role.SUPERVISOR,
    "receiving_supervisor": Role.SUPERVISOR,
}


def _agency_of(world: World, actor: str) -> Any:
    return {
        "sending_authority": world.sending_authority,
        "receiving_authority": world.receiving_authority,
        "escort": world.escort_agency,
        "sending_supervisor": world.sending_agency,
        "receiving_supervisor": world.receiving_agency,
    }[actor]


def _snapshot(h: Harness, world: World) -> tuple[Any, ...]:
    transfer = h.sql("SELECT status, version, escalated FROM transfers")[0]
    case = h.sql("SELECT stage, owner_agency_id, version FROM cases")[0]
    events = h.sql("SELECT count(*) FROM audit_events WHERE action LIKE 'transfer.%'")[0][0]
    return tuple(transfer), tuple(case), events


@pytest.mark.parametrize("action", sorted(CASES))
def test_refusals_follow_section_5_and_change_nothing(h: Harness, action: str) -> None:
    source, actor, wrong_side, _ = CASES[action]
    world = World(h, nationality="BD" if action == "border-handover" else "IN").to(source)
    agency = _agency_of(world, actor)
    body = world.body_for(action)
    before = _snapshot(h, world)
    url = f"/v1/transfers/{world.transfer_id}/{action}"

    def post(headers: dict[str, str]) -> Any:
        return h.client.post(url, json=body, headers=headers)

    # The wrong role in the actor's own agency: the route's permission is missing.
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    assert post(admin).status_code == 403
    # The wrong side: sees the transfer, may not do this (403 at step 5 when it holds the route's
    # permission, at step 2 when it does not).
    refused = post(world.headers[wrong_side])
    assert refused.status_code == 403, refused.text
    permission = "transfers:escalate" if action == "escalate" else ACTIONS[action].permission.value
    holds = permission in {p.value for p in ROLE_PERMISSIONS[WORLD_ROLES[wrong_side]]}
    assert ("side" in refused.json()["detail"]) is holds, refused.json()["detail"]
    # An unrelated agency of the same kind and state, with the permission: as if it did not exist.
    unrelated = h.auth(h.user(h.agency(AgencyType(agency.type), agency.state), ROLE_OF[actor]))
    assert post(unrelated).status_code == 404
    # The same kind of agency in another state.
    other = h.auth(h.user(h.agency(AgencyType(agency.type), "IN-KA"), ROLE_OF[actor]))
    assert post(other).status_code == 404
    # No transfer at all.
    missing = h.client.post(
        f"/v1/transfers/{world.case.id}/{action}", json=body, headers=world.headers[actor]
    )
    assert missing.status_code == 404
    assert _snapshot(h, world) == before


@pytest.mark.parametrize("action", sorted(a for a, c in CASES.items() if c[3] is not None))
def test_the_right_actor_at_the_wrong_moment_is_409_with_its_actions(h: Harness, action: str) -> None:
    _, actor, _, later = CASES[action]
    world = World(h, nationality="BD" if action == "border-handover" else "IN").to(later)
    before = _snapshot(h, world)
    late = world.post(action, as_=actor)
    assert late.status_code == 409, late.text
    problem = late.json()
    expected = world.read(actor).json()["allowed_actions"]
    assert problem["allowed_actions"] == expected
    assert action not in expected
    assert _snapshot(h, world) == before


def test_a_stale_if_match_is_412_after_the_visibility_checks(h: Harness) -> None:
    world = World(h).to("draft")
    headers = {**world.headers["sending_authority"], "If-Match": '"7"'}
    body = world.body_for("request-consultation")
    url = f"/v1/transfers/{world.transfer_id}/request-consultation"
    assert h.client.post(url, json=body, headers=headers).status_code == 412
    current = {**world.headers["sending_authority"], "If-Match": '"1"'}
    moved = h.client.post(url, json=body, headers=current)
    assert moved.status_code == 200
    assert moved.headers["ETag"] == '"2"'


def test_an_act_dated_before_the_one_before_it_is_422_and_changes_nothing(h: Harness) -> None:
    """Checked once the guarded UPDATE holds the transfer (so that a loser of a race is told 409,
    not this): the refusal rolls the UPDATE back."""
    world = World(h).to("draft")
    before = _snapshot(h, world)
    early = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    body = {**world.body_for("request-consultation"), "occurred_at": early}
    refused = world.post("request-consultation", body=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["type"] == "out_of_order"
    assert _snapshot(h, world) == before


def test_request_errors_come_before_the_object(h: Harness) -> None:
    world = World(h).to("draft")
    headers = world.headers["sending_authority"]
    unknown = h.client.post(
        f"/v1/transfers/{world.transfer_id}/request-consultation",
        json={"document_ids": [world.document()], "status": "accepted"},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert [e["loc"] for e in unknown.json()["errors"]] == [["body", "status"]]
    future = h.client.post(
        f"/v1/transfers/{world.transfer_id}/cancel",
        json={"reason": "x", "occurred_at": "2999-01-01T00:00:00+05:30"},
        headers=world.headers["sending_supervisor"],
    )
    assert future.status_code == 422
    assert h.sql("SELECT status FROM transfers")[0][0] == "draft"


def test_a_bundle_of_another_cases_documents_is_refused(h: Harness) -> None:
    world = World(h).to("draft")
    other = World(h)
    stranger = other.document()
    refused = world.post("request-consultation", body={"document_ids": [stranger]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "document_ids"]


def test_only_the_owner_proposes_a_transfer(h: Harness) -> None:
    world = World(h).to("consultation_requested")
    # The receiving supervisor sees the case (and may propose transfers of its own cases), but
    # does not own this one: 403 before the open transfer's 409.
    assert world.create(as_="receiving_supervisor").status_code == 403
    outsider = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER))
    response = h.client.post(
        f"/v1/cases/{world.case.id}/transfers",
        json={"receiving_agency_id": str(world.receiving_agency.id), "reasons": "x"},
        headers=outsider,
    )
    assert response.status_code == 404
    assert h.sql("SELECT count(*) FROM transfers")[0][0] == 1
