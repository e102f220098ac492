"""Every referral action, and the creation, answers in the order of DOMAIN.md section 5: the wrong
role 403, the wrong side 403, an unrelated agency and an agency of another state 404, the right
actor at the wrong moment 409 with what it may do now, a stale If-Match 412; and a refused
request changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.auth.permissions import ROLE_PERMISSIONS, AgencyType, Role
from app.referrals.policy import ACTIONS
from tests.harness import Harness
from tests.referrals.support import Referred, service_role

# action -> (the state it acts from, its actor, a principal of the wrong side who sees the
# referral, the state after which the actor is told 409, what it may do then)
CASES: dict[str, tuple[str, str, str, str, list[str]]] = {
    "accept": ("requested", "receiver", "owner_caseworker", "accepted", ["complete"]),
    "decline": ("requested", "receiver", "authority", "completed", []),
    "complete": ("accepted", "receiver", "owner_supervisor", "requested", ["accept", "decline"]),
    "withdraw": ("requested", "owner_caseworker", "receiver", "declined", []),
}
ROLES = {
    "owner_caseworker": Role.CASEWORKER,
    "owner_supervisor": Role.SUPERVISOR,
    "authority": Role.CWC_MEMBER,
    "receiver": Role.CASEWORKER,
}


def _snapshot(h: Harness) -> tuple[Any, ...]:
    referrals = h.sql("SELECT status, version, ended_at FROM referrals")
    acts = h.sql("SELECT count(*) FROM referral_acts")[0][0]
    case = h.sql("SELECT stage, version FROM cases")
    events = h.sql("SELECT count(*) FROM audit_events WHERE action LIKE 'referral.%'")[0][0]
    return tuple(map(tuple, referrals)), acts, tuple(map(tuple, case)), events


@pytest.mark.parametrize("action", sorted(CASES))
def test_refusals_follow_section_5_and_change_nothing(h: Harness, action: str) -> None:
    source, actor, wrong_side, _, _ = CASES[action]
    referred = Referred(h, type="counselling").to(source)
    agency = referred.receiver if actor == "receiver" else referred.owner
    body = referred.body_for(action)
    before = _snapshot(h)
    url = f"/v1/referrals/{referred.referral_id}/{action}"

    def post(headers: dict[str, str]) -> Any:
        return h.client.post(url, json=body, headers=headers)

    # The wrong role in the actor's own agency: the route's permission is missing.
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    assert post(admin).status_code == 403
    # The wrong side: sees the referral, may not do this (403 at step 5 when it holds the
    # route's permission, at step 2 when it does not).
    refused = post(referred.headers[wrong_side])
    assert refused.status_code == 403, refused.text
    holds = ACTIONS[action].permission in ROLE_PERMISSIONS[ROLES[wrong_side]]
    assert ("side" in refused.json()["detail"]) is holds, refused.json()["detail"]
    # An unrelated agency of the same kind and state, with the permission: as if it did not
    # exist; and the same kind of agency in another state.
    role = service_role(agency)
    for state in (agency.state, "IN-KA"):
        stranger = h.auth(h.user(h.agency(AgencyType(agency.type), state), role))
        assert post(stranger).status_code == 404
    # No such referral at all.
    missing = f"/v1/referrals/{referred.case.id}/{action}"
    assert h.client.post(missing, json=body, headers=referred.headers[actor]).status_code == 404
    assert _snapshot(h) == before


@pytest.mark.parametrize("action", sorted(CASES))
def test_the_right_actor_at_the_wrong_moment_is_409_with_its_actions(h: Harness, action: str) -> None:
    _, actor, _, later, allowed = CASES[action]
    referred = Referred(h, type="counselling").to(later)
    before = _snapshot(h)
    late = referred.post(action, as_=actor)
    assert late.status_code == 409, late.text
    assert late.json()["allowed_actions"] == allowed
    assert referred.read(actor).json()["allowed_actions"] == allowed
    assert _snapshot(h) == before


def test_a_stale_if_match_is_412_after_the_visibility_checks(h: Harness) -> None:
    referred = Referred(h, type="medical").to("requested")
    url = f"/v1/referrals/{referred.referral_id}/accept"
    stranger = h.auth(h.user(h.agency(AgencyType.DCPU, "IN-WB"), Role.CASEWORKER))
    assert h.client.post(url, json={}, headers={**stranger, "If-Match": '"7"'}).status_code == 404
    stale = {**referred.headers["receiver"], "If-Match": '"7"'}
    assert h.client.post(url, json={}, headers=stale).status_code == 412
    assert h.client.post(url, json={}, headers={**stale, "If-Match": "junk"}).status_code == 412
    current = {**referred.headers["receiver"], "If-Match": '"1"'}
    moved = h.client.post(url, json={}, headers=current)
    assert moved.status_code == 200
    assert moved.headers["ETag"] == '"2"'


def test_request_errors_come_before_the_object(h: Harness) -> None:
    referred = Referred(h, type="shelter").to("requested")
    receiver = referred.headers["receiver"]
    url = f"/v1/referrals/{referred.referral_id}"
    unknown = h.client.post(f"{url}/accept", json={"status": "completed"}, headers=receiver)
    assert unknown.status_code == 422
    assert [e["loc"] for e in unknown.json()["errors"]] == [["body", "status"]]
    future = {"reason": "x", "occurred_at": "2999-01-01T00:00:00+05:30"}
    # A future act is refused before the referral is looked up: even on one that does not exist.
    for target in (url, f"/v1/referrals/{referred.case.id}"):
        answer = h.client.post(f"{target}/decline", json=future, headers=receiver)
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["loc"] == ["body", "occurred_at"]
    assert h.client.post(f"{url}/decline", json={}, headers=receiver).status_code == 422
    assert h.sql("SELECT status FROM referrals")[0][0] == "requested"


def test_an_act_cannot_precede_the_one_before_it(h: Harness) -> None:
    made = datetime.now(UTC) - timedelta(days=2)
    referred = Referred(h, type="education")
    assert referred.create(occurred_at=made.isoformat()).status_code == 201
    assert referred.read().json()["occurred_at"].startswith(made.date().isoformat())
    early = (made - timedelta(hours=1)).isoformat()
    refused = referred.post("accept", body={"occurred_at": early})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "occurred_at"]
    later = (made + timedelta(hours=1)).isoformat()
    accepted = referred.post("accept", body={"occurred_at": later})
    assert accepted.status_code == 200
    act = accepted.json()["acts"][-1]
    assert act["occurred_at"] < act["recorded_at"]  # late entry shows as late, not as now


def test_who_may_refer_a_case(h: Harness) -> None:
    referred = Referred(h, type="counselling")
    url = f"/v1/cases/{referred.case.id}/referrals"
    # Case staff of an unrelated agency, or one of another state: as if the case did not exist.
    for state in ("IN-MH", "IN-KA"):
        outsider = h.auth(h.user(h.agency(AgencyType.NGO, state), Role.CASEWORKER))
        assert h.client.post(url, json=referred.body(), headers=outsider).status_code == 404
    # The receiver of an accepted referral sees the case, but does not own it.
    referred.to("accepted")
    as_receiver = h.client.post(
        url, json=referred.body(type="education"), headers=referred.headers["receiver"]
    )
    assert as_receiver.status_code == 403
    # An agency admin lacks the permission.
    admin = h.auth(h.user(referred.owner, Role.AGENCY_ADMIN))
    assert h.client.post(url, json=referred.body(), headers=admin).status_code == 403
    assert h.sql("SELECT count(*) FROM referrals")[0][0] == 1


@pytest.mark.parametrize(
    ("kind", "agency", "why"),
    [
        ("shelter", AgencyType.NGO, "a shelter referral goes to a home"),
        ("legal_aid", AgencyType.DCPU, "legal aid comes from a legal services authority"),
        ("home_verification", AgencyType.SHELTER, "a home does not verify homes"),
        ("education", AgencyType.CWC, "a committee gives no service"),
    ],
)
def test_the_receiving_agency_gives_the_service(
    h: Harness, kind: str, agency: AgencyType, why: str
) -> None:
    referred = Referred(h, type=kind)
    refused = referred.create(receiving_agency_id=str(h.agency(agency, "IN-WB").id))
    assert refused.status_code == 422, why
    assert refused.json()["errors"][0]["loc"] == ["body", "receiving_agency_id"]
    assert h.sql("SELECT count(*) FROM referrals")[0][0] == 0


def test_not_to_the_owner_itself_nor_an_inactive_agency(h: Harness) -> None:
    referred = Referred(h, type="counselling")
    assert referred.create(receiving_agency_id=str(referred.owner.id)).status_code == 422
    dcpu = Referred(h, type="medical", owner=referred.owner)
    h.sql("UPDATE agencies SET active = :f WHERE id = :i", f=False, i=_id(h, dcpu.receiver.id))
    assert dcpu.create().status_code == 422
    assert referred.create(receiving_agency_id="not-a-uuid").status_code == 422
    assert referred.create(unexpected="x").status_code == 422
    assert referred.create(reason="BecauseISaySo").status_code == 422
    assert h.sql("SELECT count(*) FROM referrals")[0][0] == 0


def _id(h: Harness, value: Any) -> Any:
    return value.hex if h.runtime.db.is_sqlite else value


@pytest.mark.parametrize("stage", ["closed", "deceased"])
def test_a_closed_case_is_not_referred(h: Harness, stage: str) -> None:
    referred = Referred(h, type="counselling", stage=stage)
    refused = referred.create()
    assert refused.status_code == 409
    assert refused.json()["allowed_actions"] == []


def test_a_referral_of_a_case_closed_since_is_not_accepted(h: Harness) -> None:
    referred = Referred(h, type="counselling").to("requested")
    referred.set_stage("closed")
    refused = referred.post("accept")
    assert refused.status_code == 409
    assert refused.json()["allowed_actions"] == ["decline"]
    assert referred.post("decline").status_code == 200


def test_one_open_referral_of_a_type_to_an_agency(h: Harness) -> None:
    referred = Referred(h, type="counselling").to("requested")
    again = referred.create()
    assert again.status_code == 409
    assert again.json()["allowed_actions"] == []
    # Another service of the same agency is another referral.
    assert referred.create(type="medical").status_code == 201


def test_errors_carry_no_identity(h: Harness) -> None:
    referred = Referred(h, type="home_verification").to("accepted")
    answers = [
        referred.post("complete", body={"result": "x", "document_id": str(referred.case.id)}),
        referred.post("accept"),
        referred.create(receiving_agency_id=str(referred.owner.id)),
    ]
    for answer in answers:
        assert answer.status_code >= 400
        for value in ("Sunita", "Basanti", "Munni", "Ramesh", "98300"):
            assert value not in answer.text
