"""Every claim action, the filing and the decision answer in the order of DOMAIN.md section 5:
the wrong role 403, the wrong side 403, an unrelated agency and an agency of another state 404,
the right actor at the wrong moment 409 with what it may do now, a stale If-Match 412, a
malformed request 422; and a refused request changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.auth.permissions import AgencyType, Role
from tests.compensation.support import AWARD, SECRETS, Claimed
from tests.harness import Harness

# action -> (the state it acts from, its actor, a principal of the wrong side who sees the claim,
# a state in which the actor is told 409, what it may do then)
CASES: dict[str, tuple[str, str, str, str, list[str]]] = {
    "disburse": ("decided", "forum", "owner_supervisor", "applied", ["order:compensation_decision"]),
    "withdraw": ("applied", "owner_caseworker", "forum", "decided", []),
}


def _snapshot(h: Harness) -> tuple[Any, ...]:
    claims = h.sql(
        "SELECT status, version, amount_awarded_paise, amount_disbursed_paise, ended_at"
        " FROM compensation_claims"
    )
    acts = h.sql("SELECT count(*) FROM compensation_claim_acts")[0][0]
    orders = h.sql("SELECT count(*) FROM orders")[0][0]
    deadlines = h.sql(
        "SELECT met_at, waived_reason FROM deadlines WHERE rule_id = 'BNSS396_COMPENSATION'"
    )
    events = h.sql(
        "SELECT count(*) FROM audit_events WHERE action LIKE 'compensation.%' OR action = 'order.issued'"
    )[0][0]
    case = h.sql("SELECT stage, version FROM cases")
    return (
        tuple(map(tuple, claims)),
        acts,
        orders,
        tuple(map(tuple, deadlines)),
        events,
        tuple(map(tuple, case)),
    )


def _stranger(h: Harness, kind: AgencyType, state: str, role: Role) -> dict[str, str]:
    return h.auth(h.user(h.agency(kind, state), role))


@pytest.mark.parametrize("action", sorted(CASES))
def test_refusals_follow_section_5_and_change_nothing(h: Harness, action: str) -> None:
    source, actor, wrong_side, _, _ = CASES[action]
    claimed = Claimed(h).to(source)
    agency = claimed.forum if actor == "forum" else claimed.owner
    role = Role.LEGAL_AID_OFFICER if actor == "forum" else Role.CASEWORKER
    body = claimed.body_for(action)
    before = _snapshot(h)
    url = f"/v1/compensation-claims/{claimed.claim_id}/{action}"

    def post(headers: dict[str, str]) -> Any:
        return h.client.post(url, json=body, headers=headers)

    # The wrong role in the actor's own agency: the route's permission is missing.
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    assert post(admin).status_code == 403
    # The wrong side: sees the claim, may not do this.
    refused = post(claimed.headers[wrong_side])
    assert refused.status_code == 403, refused.text
    # An unrelated agency of the same kind, in the state and in another: as if it did not exist.
    for state in ("IN-MH", "IN-KA"):
        assert post(_stranger(h, AgencyType(agency.type), state, role)).status_code == 404
    # No such claim at all.
    missing = f"/v1/compensation-claims/{claimed.case.id}/{action}"
    assert h.client.post(missing, json=body, headers=claimed.headers[actor]).status_code == 404
    assert _snapshot(h) == before


@pytest.mark.parametrize("action", sorted(CASES))
def test_the_right_actor_at_the_wrong_moment_is_409_with_its_actions(h: Harness, action: str) -> None:
    _, actor, _, state, allowed = CASES[action]
    claimed = Claimed(h).to(state)
    before = _snapshot(h)
    late = claimed.post(action, as_=actor)
    assert late.status_code == 409, late.text
    assert late.json()["allowed_actions"] == allowed
    assert claimed.read(actor).json()["allowed_actions"] == allowed
    assert _snapshot(h) == before


def test_a_stale_if_match_is_412_after_the_visibility_checks(h: Harness) -> None:
    claimed = Claimed(h).to("applied")
    url = f"/v1/compensation-claims/{claimed.claim_id}/withdraw"
    body = claimed.body_for("withdraw")
    stranger = _stranger(h, AgencyType.NGO, "IN-MH", Role.CASEWORKER)
    assert h.client.post(url, json=body, headers={**stranger, "If-Match": '"7"'}).status_code == 404
    stale = {**claimed.headers["owner_caseworker"], "If-Match": '"7"'}
    assert h.client.post(url, json=body, headers=stale).status_code == 412
    assert h.client.post(url, json=body, headers={**stale, "If-Match": "junk"}).status_code == 412
    assert h.sql("SELECT status FROM compensation_claims")[0][0] == "applied"
    current = {**claimed.headers["owner_caseworker"], "If-Match": '"1"'}
    moved = h.client.post(url, json=body, headers=current)
    assert moved.status_code == 200
    assert moved.headers["ETag"] == '"2"'


def test_request_errors_come_before_the_object(h: Harness) -> None:
    claimed = Claimed(h).to("decided")
    forum = claimed.headers["forum"]
    url = f"/v1/compensation-claims/{claimed.claim_id}"
    unknown = h.client.post(f"{url}/disburse", json={"amount_paise": 1, "status": "x"}, headers=forum)
    assert unknown.status_code == 422
    assert [e["loc"] for e in unknown.json()["errors"]] == [["body", "status"]]
    future = {"amount_paise": 1, "occurred_at": "2999-01-01T00:00:00+05:30"}
    # A future act is refused before the claim is looked up: even on one that does not exist.
    for target in (url, f"/v1/compensation-claims/{claimed.case.id}"):
        answer = h.client.post(f"{target}/disburse", json=future, headers=forum)
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["loc"] == ["body", "occurred_at"]
    for wrong in ({}, {"amount_paise": 0}, {"amount_paise": 1.5}, {"amount_paise": "100"}):
        assert h.client.post(f"{url}/disburse", json=wrong, headers=forum).status_code == 422, wrong
    # More than the award: the claim's own rule, after the checks of the object.
    over = h.client.post(f"{url}/disburse", json={"amount_paise": AWARD + 1}, headers=forum)
    assert over.status_code == 422
    assert over.json()["errors"][0]["loc"] == ["body", "amount_paise"]
    assert h.sql("SELECT status, amount_disbursed_paise FROM compensation_claims")[0] == ("decided", 0)


def test_an_act_cannot_precede_the_one_before_it(h: Harness) -> None:
    made = datetime.now(UTC) - timedelta(minutes=50)
    claimed = Claimed(h)
    assert claimed.file(occurred_at=made.isoformat()).status_code == 201
    early = (made - timedelta(minutes=5)).isoformat()
    refused = claimed.decide(occurred_at=early)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "occurred_at"]
    assert claimed.decide(occurred_at=(made + timedelta(minutes=5)).isoformat()).status_code == 201
    claim = "SELECT status, version, amount_disbursed_paise FROM compensation_claims"
    before = h.sql(claim)[0]
    refused = claimed.post("disburse", body={"amount_paise": 1, "occurred_at": made.isoformat()})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "out_of_order"
    # Checked after the guarded UPDATE took the claim: the refusal rolls it back.
    assert h.sql(claim)[0] == before
    assert h.sql("SELECT count(*) FROM compensation_claim_acts")[0][0] == 2


def test_who_may_file_a_claim(h: Harness) -> None:
    claimed = Claimed(h)
    url = f"/v1/cases/{claimed.case.id}/compensation-claims"
    # Case staff of an unrelated agency, or one of another state: as if the case did not exist.
    for state in ("IN-MH", "IN-KA"):
        outsider = _stranger(h, AgencyType.NGO, state, Role.CASEWORKER)
        assert h.client.post(url, json=claimed.body(), headers=outsider).status_code == 404
    # A commission sees the case but files nothing; an agency admin lacks the permission.
    commission = _stranger(h, AgencyType.COMMISSION, "IN-MH", Role.COMMISSION_OFFICER)
    assert h.client.post(url, json=claimed.body(), headers=commission).status_code == 403
    admin = h.auth(h.user(claimed.owner, Role.AGENCY_ADMIN))
    assert h.client.post(url, json=claimed.body(), headers=admin).status_code == 403
    # The forum of an open claim sees the case, but does not file another one on it.
    claimed.to("applied")
    again = h.client.post(url, json=claimed.body(scheme="ujjawala"), headers=claimed.headers["forum"])
    assert again.status_code == 403
    # A committee's machine client is no committee: it sees the case, it files nothing.
    client, secret = h.machine_client(claimed.authority, ["compensation:file"])
    cwc = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    assert h.client.post(url, json=claimed.body(scheme="ujjawala"), headers=cwc).status_code == 403
    assert h.sql("SELECT count(*) FROM compensation_claims")[0][0] == 1


def test_what_a_filing_carries_is_checked(h: Harness) -> None:
    claimed = Claimed(h)
    bad_forums = [
        str(claimed.owner.id),  # an NGO decides nothing
        str(claimed.authority.id),  # nor does the CWC: the legal services authority does
        str(h.agency(AgencyType.WCD, "IN-MH").id),
    ]
    for forum in bad_forums:
        refused = claimed.file(forum_agency_id=forum)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", "forum_agency_id"]
    closed = h.agency(AgencyType.LEGAL_SERVICES, "IN-MH")
    h.sql("UPDATE agencies SET active = :f WHERE id = :i", f=False, i=_id(h, closed.id))
    assert claimed.file(forum_agency_id=str(closed.id)).status_code == 422
    for wrong in (
        {"amount_claimed_paise": 0},
        {"amount_claimed_paise": 12.5},
        {"amount_claimed_paise": "5000"},
        {"scheme": "lottery"},
        {"unexpected": "x"},
        {"forum_agency_id": "not-a-uuid"},
    ):
        assert claimed.file(**wrong).status_code == 422, wrong
    # A named scheme must be named; checked before the case is looked up.
    unnamed = claimed.file(scheme="state_scheme")
    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["loc"] == ["body", "scheme_name"]
    elsewhere = h.client.post(
        f"/v1/cases/{claimed.forum.id}/compensation-claims",
        json=claimed.body(scheme="other"),
        headers=claimed.headers["owner_caseworker"],
    )
    assert elsewhere.status_code == 422
    before_rescue = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    assert claimed.file(occurred_at=before_rescue).status_code == 422
    assert h.sql("SELECT count(*) FROM compensation_claims")[0][0] == 0


def _id(h: Harness, value: Any) -> Any:
    return value.hex if h.runtime.db.is_sqlite else value


def test_a_closed_case_takes_no_claim_and_one_claim_per_scheme_is_open(h: Harness) -> None:
    closed = Claimed(h, stage="closed")
    refused = closed.file()
    assert (refused.status_code, refused.json()["allowed_actions"]) == (409, [])
    claimed = Claimed(h).to("applied")
    again = claimed.file()
    assert (again.status_code, again.json()["allowed_actions"]) == (409, [])
    # Another scheme, or the same one before another authority, is another claim.
    assert claimed.file(scheme="ujjawala").status_code == 201
    slsa = h.agency(AgencyType.LEGAL_SERVICES, "IN-WB")
    assert claimed.file(forum_agency_id=str(slsa.id)).status_code == 201
    assert claimed.file(scheme="other", scheme_name="Manodhairya").status_code == 201
    assert claimed.file(scheme="other", scheme_name="Another scheme").status_code == 201
    assert h.sql("SELECT count(*) FROM compensation_claims")[0][0] == 5


def test_who_decides_a_claim(h: Harness) -> None:
    claimed = Claimed(h).to("applied")
    url = f"/v1/cases/{claimed.case.id}/orders"
    # The owner's staff hold no orders:issue.
    staff = h.client.post(
        url, json=claimed.decision(as_="owner_caseworker"), headers=claimed.headers["owner_caseworker"]
    )
    assert staff.status_code == 403
    # The CWC seized of the case issues orders, but not this one.
    cwc = h.client.post(
        url, json=claimed.decision(as_="authority"), headers=claimed.headers["authority"]
    )
    assert cwc.status_code == 403, cwc.text
    # Another legal services authority does not see the case at all.
    for state in ("IN-MH", "IN-KA"):
        other = _stranger(h, AgencyType.LEGAL_SERVICES, state, Role.LEGAL_AID_OFFICER)
        assert h.client.post(url, json=claimed.decision(), headers=other).status_code == 404
    # The forum issues no other kind of order (they are the CWC's).
    placement = {
        **{k: v for k, v in claimed.decision().items() if k not in ("claim_id", "amount_awarded_paise")},
        "kind": "closure",
        "closure_reason": "restored",
    }
    assert h.client.post(url, json=placement, headers=claimed.headers["forum"]).status_code == 403
    # A claim that is not one of this case, or none at all: 422, naming the field.
    other_case = Claimed(h, forum=claimed.forum).to("applied")
    for claim_id in (other_case.claim_id, str(claimed.case.id)):
        answer = h.client.post(
            url, json=claimed.decision(claim_id=claim_id), headers=claimed.headers["forum"]
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", "claim_id"]
    # Issuing members are officers of the forum.
    outsider = h.user(claimed.authority, Role.CWC_MEMBER)
    members = [str(claimed.users["forum"].id), str(outsider.id)]
    answer = h.client.post(
        url, json=claimed.decision(issuing_members=members), headers=claimed.headers["forum"]
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "issuing_members"]
    # An award with a refusal reason is a contradiction.
    answer = h.client.post(
        url, json=claimed.decision(refusal_reason="Not covered."), headers=claimed.headers["forum"]
    )
    assert answer.status_code == 422
    for field, value in (("amount_awarded_paise", -1), ("amount_awarded_paise", 1.5)):
        answer = h.client.post(
            url, json=claimed.decision(**{field: value}), headers=claimed.headers["forum"]
        )
        assert answer.status_code == 422
    # Nothing was decided, nothing ordered, nothing met.
    claim = claimed.read().json()
    assert (claim["status"], claim["version"]) == ("applied", 1)
    assert h.sql("SELECT count(*) FROM orders")[0][0] == 0
    met = h.sql("SELECT count(*) FROM deadlines WHERE met_at IS NOT NULL")[0][0]
    assert met == 0


def test_a_decided_claim_is_not_decided_again(h: Harness) -> None:
    claimed = Claimed(h).to("decided")
    before = _snapshot(h)
    again = claimed.decide(as_="forum_2")
    assert again.status_code == 409, again.text
    assert again.json()["allowed_actions"] == ["disburse"]
    assert _snapshot(h) == before


def test_errors_carry_no_identity(h: Harness) -> None:
    claimed = Claimed(h).to("decided")
    answers = [
        claimed.post("disburse", body={"amount_paise": AWARD * 2}),
        claimed.post("withdraw"),
        claimed.decide(),
        claimed.file(forum_agency_id=str(claimed.owner.id)),
        claimed.file(),
    ]
    for answer in answers:
        assert answer.status_code >= 400
        for secret in SECRETS:
            assert secret not in answer.text
