"""Compensation claims walked through the HTTP API, each step by the role that does it in real
life: filed by the case's holders (or by the legal services authority giving her legal aid),
decided by an order of the forum, paid by it, or withdrawn; what the forum sees of the case
(only while the claim is open, and identity only for purpose ``compensation``, logged), and the
BNSS s.396 deadline started, met and waived."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from app.auth.permissions import AgencyType, Role
from app.transfers.clock import INDIA
from tests.compensation.support import AWARD, SECRETS, Claimed
from tests.harness import Harness
from tests.referrals.support import Referred


def _json(value: Any) -> str:
    """An event's JSON column as text (SQLite hands back text, PostgreSQL the value)."""
    return value if isinstance(value, str) else json.dumps(value)


def _deadlines(claimed: Claimed, as_: str, query: str = "") -> list[dict[str, Any]]:
    answer = claimed.h.client.get(
        f"/v1/deadlines?rule_id=BNSS396_COMPENSATION{query}", headers=claimed.headers[as_]
    )
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json()["items"] if d["case_id"] == str(claimed.case.id)]


def _events(h: Harness) -> list[str]:
    rows = h.sql(
        "SELECT action FROM audit_events WHERE action LIKE 'compensation.%' ORDER BY occurred_at"
    )
    return [r[0] for r in rows]


def test_a_claim_is_filed_decided_by_order_and_paid_in_instalments(h: Harness) -> None:
    claimed = Claimed(h)
    filed = claimed.file()
    assert filed.status_code == 201, filed.text
    assert filed.headers["ETag"] == '"1"'
    made = filed.json()
    assert (made["status"], made["scheme"], made["amount_claimed_paise"]) == (
        "applied",
        "state_vcs",
        50_000_000,
    )
    assert made["sides"] == ["case_holder", "filer"]
    assert made["allowed_actions"] == ["withdraw"]
    assert made["filed_by_agency_id"] == str(claimed.owner.id)
    assert [a["action"] for a in made["acts"]] == ["apply"]

    # The forum reads the claim and, while it is open, the case: narrowly.
    seen = claimed.read("forum").json()
    assert (seen["sides"], seen["allowed_actions"]) == (["forum"], ["order:compensation_decision"])
    case = claimed.case_read("forum")
    assert case.status_code == 200, case.text
    read = case.json()
    assert read["relations"] == ["compensation_forum"]
    assert {"sex", "age_claimed", "exploitation_types", "stage"} <= set(read)
    for hidden in ("home_state", "current_district", "trafficking_context", "flags", "placement"):
        assert hidden not in read, hidden
    assert read["identity_fields"] == ["bank_details", "date_of_birth", "id_numbers", "names"]
    docket = h.client.get("/v1/compensation-claims?direction=incoming", headers=claimed.headers["forum"])
    assert [c["id"] for c in docket.json()["items"]] == [claimed.claim_id]

    # BNSS s.396: two months from the application, owed by the forum.
    owed = _deadlines(claimed, "forum", "&owed_by_me=true")
    assert [(d["status"], d["owed_by_agency_id"]) for d in owed] == [("open", str(claimed.forum.id))]
    assert "s.396" in owed[0]["citation"]

    # The decision is the forum's order; the case stays where it was.
    before = h.sql("SELECT stage, version FROM cases")[0]
    order = claimed.decide()
    assert order.status_code == 201, order.text
    assert order.json()["kind"] == "compensation_decision"
    assert order.json()["legal_basis"] == "BNSS 2023 s.396"
    assert order.json()["issued_by_agency_id"] == str(claimed.forum.id)
    assert h.sql("SELECT stage, version FROM cases")[0] == before
    decided = claimed.read().json()
    assert (decided["status"], decided["amount_awarded_paise"]) == ("decided", AWARD)
    assert decided["decision_order_id"] == order.json()["id"]
    assert decided["decided_at"] is not None
    assert [d["status"] for d in _deadlines(claimed, "forum")] == ["met"]
    # Not a CWC order: no appeal window of JJ s.101 starts.
    appeal = h.sql("SELECT count(*) FROM deadlines WHERE rule_id = 'JJ101_APPEAL'")[0][0]
    assert appeal == 0
    orders = h.client.get(
        f"/v1/cases/{claimed.case.id}/orders", headers=claimed.headers["owner_caseworker"]
    )
    assert [o["kind"] for o in orders.json()["items"]] == ["compensation_decision"]

    # An instalment keeps the claim open (and the forum's view of the case); the rest ends it.
    first = claimed.post("disburse", body={"amount_paise": 10_000_000, "reference": "FD 77"})
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["amount_disbursed_paise"]) == ("decided", 10_000_000)
    assert first.headers["ETag"] == '"3"'
    assert claimed.case_read("forum").status_code == 200
    rest = claimed.post("disburse", body={"amount_paise": AWARD - 10_000_000})
    assert rest.status_code == 200, rest.text
    paid = rest.json()
    assert (paid["status"], paid["amount_disbursed_paise"]) == ("disbursed", AWARD)
    assert paid["ended_at"] is not None
    assert paid["disbursed_at"] is not None
    assert paid["allowed_actions"] == []
    assert claimed.case_read("forum").status_code == 404
    assert claimed.identity("forum", "purpose=compensation&fields=names").status_code == 404
    assert claimed.read("forum").status_code == 200  # the record of its own decision stays
    assert [a["action"] for a in claimed.read().json()["acts"]] == [
        "apply",
        "decide",
        "disburse",
        "disburse",
    ]
    assert _events(h) == [
        "compensation.applied",
        "compensation.decided",
        "compensation.disbursed",
        "compensation.disbursed",
    ]
    issued = h.events("order.issued")
    assert len(issued) == 1
    assert claimed.claim_id in _json(issued[0][3])


def test_a_decision_awarding_nothing_rejects_the_claim(h: Harness) -> None:
    claimed = Claimed(h, track="adult").to("applied")
    missing = claimed.decide(0, refusal_reason=None)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "refusal_reason"]
    refused = claimed.decide(0)
    assert refused.status_code == 201, refused.text
    claim = claimed.read().json()
    assert (claim["status"], claim["amount_awarded_paise"]) == ("rejected", 0)
    assert claim["ended_at"] is not None
    assert claim["acts"][-1]["data"]["refusal_reason"].startswith("The offence")
    assert claimed.case_read("forum").status_code == 404
    assert [d["status"] for d in _deadlines(claimed, "owner_caseworker")] == ["met"]
    assert _events(h) == ["compensation.applied", "compensation.rejected"]
    # Nothing is paid on a rejected claim (the forum still reads it: 409, nothing to do); a new
    # claim may be filed.
    unpaid = claimed.post("disburse")
    assert (unpaid.status_code, unpaid.json()["allowed_actions"]) == (409, [])
    claimed.claim_id = None
    assert claimed.file().status_code == 201


def test_a_withdrawn_claim_waives_its_deadline_and_ends_the_forums_view(h: Harness) -> None:
    claimed = Claimed(h).to("applied")
    assert claimed.case_read("forum").status_code == 200
    withdrawn = claimed.post("withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["allowed_actions"]) == ("withdrawn", [])
    assert claimed.case_read("forum").status_code == 404
    owed = _deadlines(claimed, "owner_caseworker")
    assert [(d["status"], d["waived_reason"]) for d in owed] == [("waived", "the claim was withdrawn")]
    # The forum sees the claim's record, not the case; it can no longer decide it.
    assert claimed.read("forum").json()["status"] == "withdrawn"
    assert claimed.decide().status_code == 404


def test_identity_through_the_forum_only_for_compensation_and_logged(h: Harness) -> None:
    claimed = Claimed(h).to("applied")
    query = "purpose=compensation&fields=names&fields=bank_details&fields=id_numbers"
    read = claimed.identity("forum", query)
    assert read.status_code == 200, read.text
    assert read.json()["fields"]["bank_details"].startswith("SBI")
    assert read.json()["fields"]["names"] == ["Sunita Kumari"]
    rows = h.sql(
        "SELECT purpose, fields, principal_id FROM access_log"
        " WHERE object_type = 'identity' AND outcome = 'read'"
    )
    assert len(rows) == 1
    assert rows[0][0] == "compensation"
    assert "bank_details" in str(rows[0][1])
    assert str(rows[0][2]).replace("-", "") == claimed.users["forum"].id.hex
    # Another purpose, or a field paying her does not need: refused, and nothing is read.
    for other in ("legal_proceeding", "production", "victim_request", "home_verification"):
        assert claimed.identity("forum", f"purpose={other}&fields=names").status_code == 403
    for field in ("home_address", "present_address", "family_names", "phones"):
        assert claimed.identity("forum", f"purpose=compensation&fields={field}").status_code == 403
    assert claimed.identity("forum", "purpose=bribery&fields=names").status_code == 422
    reads = h.sql("SELECT count(*) FROM access_log WHERE object_type = 'identity' AND outcome = 'read'")
    assert reads[0][0] == 1
    # A case read and every answer about the claim carry no identity.
    for answer in (claimed.case_read("forum"), claimed.read("forum")):
        for secret in SECRETS:
            assert secret not in answer.text


def test_the_forum_reads_general_notes_and_documents_only(h: Harness) -> None:
    from tests.documents.support import upload_kwargs

    claimed = Claimed(h)
    for sensitivity in ("general", "medical_counselling", "identity", "safety"):
        uploaded = h.client.post(
            f"/v1/cases/{claimed.case.id}/documents",
            **upload_kwargs(kind="fir", sensitivity=sensitivity),
            headers=claimed.headers["owner_supervisor"],
        )
        assert uploaded.status_code == 201, uploaded.text
        note = {"sensitivity": sensitivity, "body": f"A {sensitivity} note."}
        posted = h.client.post(
            f"/v1/cases/{claimed.case.id}/notes", json=note, headers=claimed.headers["owner_supervisor"]
        )
        assert posted.status_code == 201, posted.text
    claimed.to("applied")
    documents = h.client.get(f"/v1/cases/{claimed.case.id}/documents", headers=claimed.headers["forum"])
    assert documents.status_code == 200, documents.text
    assert {d["sensitivity"] for d in documents.json()["items"]} == {"general"}
    notes = h.client.get(f"/v1/cases/{claimed.case.id}/notes", headers=claimed.headers["forum"])
    assert {n["sensitivity"] for n in notes.json()["items"]} == {"general"}


def test_the_bnss_deadline_breaches_at_the_right_moment_and_is_met_late(h: Harness) -> None:
    h.clock.freeze()
    claimed = Claimed(h).to("applied")
    due = _deadlines(claimed, "forum")[0]["due_at"]
    # Two months on, at the day's end in India (23:59:59 IST is 18:29:59 UTC): open until then,
    # overdue a moment after.
    due_at = datetime.fromisoformat(due.replace("Z", "+00:00"))
    applied = datetime.fromisoformat(claimed.read().json()["applied_at"].replace("Z", "+00:00"))
    assert due_at.astimezone(INDIA).time() == time(23, 59, 59)
    assert 59 <= (due_at - applied).days <= 62
    h.clock.freeze(due_at - timedelta(minutes=1))
    claimed.reauth()
    assert _deadlines(claimed, "forum", "&status=overdue") == []
    assert [d["status"] for d in _deadlines(claimed, "forum")] == ["open"]
    h.clock.freeze(due_at + timedelta(seconds=1))
    claimed.reauth()
    overdue = _deadlines(claimed, "forum", "&status=overdue&owed_by_me=true")
    assert [d["due_at"] for d in overdue] == [due]
    # The owner sees it too (the case is its own) but does not owe it; a stranger sees nothing.
    assert _deadlines(claimed, "owner_caseworker", "&owed_by_me=true") == []
    assert len(_deadlines(claimed, "owner_caseworker", "&status=overdue")) == 1
    stranger = claimed.person(
        "stranger", h.agency(AgencyType.LEGAL_SERVICES, "IN-MH"), Role.LEGAL_AID_OFFICER
    )
    listed = h.client.get("/v1/deadlines?status=overdue", headers=stranger).json()["items"]
    assert [d for d in listed if d["case_id"] == str(claimed.case.id)] == []
    decided = claimed.decide(occurred_at=h.clock().isoformat())
    assert decided.status_code == 201, decided.text
    assert [d["status"] for d in _deadlines(claimed, "forum")] == ["met_late"]


def test_late_entry_runs_from_when_it_was_applied_for(h: Harness) -> None:
    h.clock.freeze()
    claimed = Claimed(h)
    applied = h.clock()
    h.clock.advance(hours=1)
    claimed.reauth()
    assert claimed.file(occurred_at=applied.isoformat()).status_code == 201
    claim = claimed.read().json()
    assert claim["applied_at"] < claim["created_at"]
    started = _deadlines(claimed, "forum")[0]["started_at"]
    assert started == claim["applied_at"]


def test_a_legal_aid_authority_files_for_the_victim_it_helps(h: Harness) -> None:
    """A legal services authority giving her legal aid (an accepted legal_aid referral) files her
    claim; without that referral it does not see the case."""
    claimed = Claimed(h)
    referred = Referred(h, type="legal_aid", owner=claimed.owner, receiver=claimed.forum)
    referred.case = claimed.case  # the referral is of this case
    made = referred.create()
    assert made.status_code == 201, made.text
    assert referred.post("accept").status_code == 200
    # An SLSA of her home state, as forum.
    slsa = h.agency(AgencyType.LEGAL_SERVICES, "IN-WB")
    claimed.forum = slsa
    filed = claimed.file(as_="forum")
    assert filed.status_code == 201, filed.text
    assert filed.json()["filed_by_agency_id"] == str(referred.receiver.id)
    assert filed.json()["forum_agency_id"] == str(slsa.id)
    assert filed.json()["sides"] == ["filer"]
    assert filed.json()["allowed_actions"] == ["withdraw"]
    # Its officers filed; they do not decide a claim before another authority.
    decision = h.client.post(
        f"/v1/cases/{claimed.case.id}/orders",
        json=claimed.decision(),
        headers=claimed.headers["forum"],
    )
    assert decision.status_code == 403, decision.text
    # An authority with no referral and no claim does not see the case at all.
    other = claimed.person("other", h.agency(AgencyType.LEGAL_SERVICES, "IN-MH"), Role.LEGAL_AID_OFFICER)
    answer = h.client.post(
        f"/v1/cases/{claimed.case.id}/compensation-claims", json=claimed.body(), headers=other
    )
    assert answer.status_code == 404


def test_a_cwc_sends_her_claim_and_withdraws_it(h: Harness) -> None:
    claimed = Claimed(h)
    filed = claimed.file(as_="authority")
    assert filed.status_code == 201, filed.text
    assert filed.json()["filed_by_agency_id"] == str(claimed.authority.id)
    # The owner reads it as the case's holder; it did not file it, so it does not withdraw it.
    owner = claimed.read("owner_caseworker").json()
    assert (owner["sides"], owner["allowed_actions"]) == (["case_holder"], [])
    assert claimed.post("withdraw", as_="owner_caseworker").status_code == 403
    assert claimed.post("withdraw", as_="authority").status_code == 200


def test_commissions_and_auditors_read_the_course_not_what_was_written(h: Harness) -> None:
    claimed = Claimed(h).to("decided")
    assert (
        claimed.post("disburse", body={"amount_paise": 5_000_000, "reference": "FD 12"}).status_code
        == 200
    )
    commission = claimed.person(
        "commission", h.agency(AgencyType.COMMISSION, "IN-WB"), Role.COMMISSION_OFFICER
    )
    auditor = claimed.person("auditor", h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR)
    elsewhere = claimed.person(
        "elsewhere", h.agency(AgencyType.COMMISSION, "IN-KA"), Role.COMMISSION_OFFICER
    )
    wcd = claimed.person("wcd", h.agency(AgencyType.WCD, "IN-MH"), Role.SUPERVISOR)
    url = f"/v1/compensation-claims/{claimed.claim_id}"
    for headers in (commission, auditor):
        read = h.client.get(url, headers=headers)
        assert read.status_code == 200, read.text
        body = read.json()
        assert (body["sides"], body["allowed_actions"]) == ([], [])
        assert (body["notes"], body["application_reference"]) == (None, None)
        assert (body["amount_awarded_paise"], body["amount_disbursed_paise"]) == (AWARD, 5_000_000)
        assert [a["data"] for a in body["acts"]][2] == {"amount_paise": 5_000_000}
        assert "FD 12" not in read.text
        assert "school" not in read.text
        listed = h.client.get("/v1/compensation-claims", headers=headers).json()["items"]
        assert [c["id"] for c in listed] == [claimed.claim_id]
    for headers in (elsewhere, wcd):
        assert h.client.get(url, headers=headers).status_code in (403, 404)
    assert h.client.get(url, headers=elsewhere).status_code == 404
    assert h.client.get("/v1/compensation-claims", headers=elsewhere).json()["items"] == []


def test_lists_filter_and_page(h: Harness) -> None:
    first = Claimed(h).to("decided")
    second = Claimed(h, owner=first.owner, forum=first.forum).to("applied")
    third = Claimed(h, owner=first.owner)
    assert third.file(scheme="other", scheme_name="Manodhairya").status_code == 201
    owner, forum = first.headers["owner_caseworker"], first.headers["forum"]

    def ids(query: str, headers: dict[str, str]) -> list[str]:
        answer = h.client.get(f"/v1/compensation-claims{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["items"]]

    everything = [third.claim_id, second.claim_id, first.claim_id]
    assert ids("?direction=outgoing", owner) == everything
    assert ids("?direction=incoming", owner) == []
    assert ids("?direction=incoming", forum) == [second.claim_id, first.claim_id]
    assert ids("?direction=outgoing", forum) == []
    assert ids("?status=decided", owner) == [first.claim_id]
    assert ids("?scheme=other", owner) == [third.claim_id]
    assert ids(f"?case_id={second.case.id}", owner) == [second.claim_id]
    page = h.client.get("/v1/compensation-claims?limit=2", headers=owner)
    assert [c["id"] for c in page.json()["items"]] == everything[:2]
    assert 'rel="next"' in page.headers["link"]
    rest = h.client.get(
        f"/v1/compensation-claims?limit=2&cursor={page.json()['next_cursor']}", headers=owner
    ).json()
    assert [c["id"] for c in rest["items"]] == everything[2:]
    assert rest["next_cursor"] is None
    assert h.client.get("/v1/compensation-claims?cursor=nonsense", headers=owner).status_code == 422
    assert h.client.get("/v1/compensation-claims?status=paid", headers=owner).status_code == 422


def test_a_machine_client_files_for_its_agency_and_never_decides(h: Harness) -> None:
    claimed = Claimed(h)
    client, secret = h.machine_client(claimed.owner, ["compensation:file", "compensation:read"])
    token = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    filed = h.client.post(
        f"/v1/cases/{claimed.case.id}/compensation-claims", json=claimed.body(), headers=token
    )
    assert filed.status_code == 201, filed.text
    claimed.claim_id = filed.json()["id"]
    # The forum's client may record a payment; it can never hold orders:issue.
    refused = h.client.post(
        f"/v1/agencies/{claimed.forum.id}/clients",
        json={"name": "DLSA payments", "scopes": ["compensation:disburse", "orders:issue"]},
        headers=claimed.person("admin", claimed.forum, Role.AGENCY_ADMIN),
    )
    assert refused.status_code == 422
    forum_client, forum_secret = h.machine_client(claimed.forum, ["compensation:disburse"])
    forum_token = {"Authorization": f"Bearer {h.client_token(forum_client, forum_secret)}"}
    decision = h.client.post(
        f"/v1/cases/{claimed.case.id}/orders", json=claimed.decision(), headers=forum_token
    )
    assert decision.status_code == 403
    assert claimed.decide().status_code == 201
    paid = h.client.post(
        f"/v1/compensation-claims/{claimed.claim_id}/disburse",
        json={"amount_paise": AWARD},
        headers=forum_token,
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "disbursed"


def test_a_repeated_filing_replays_the_claim(h: Harness) -> None:
    claimed = Claimed(h)
    headers = {**claimed.headers["owner_caseworker"], "Idempotency-Key": "claim-1"}
    url = f"/v1/cases/{claimed.case.id}/compensation-claims"
    first = h.client.post(url, json=claimed.body(), headers=headers)
    again = h.client.post(url, json=claimed.body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert h.sql("SELECT count(*) FROM compensation_claims")[0][0] == 1


def test_a_claim_outlives_the_closure_of_her_case(h: Harness) -> None:
    """Closing the case waives the deadlines that waited on the case, not the forum's: her right
    to compensation does not end with her case file."""
    from tests.orders_support import Seized

    seized = Seized(h, stage="final_order")
    claimed = Claimed(h, owner=seized.owner, authority=seized.authority)
    claimed.case = seized.case
    claimed.to("applied")
    closure = seized.issue("closure")
    assert closure.status_code == 201, closure.text
    assert [d["status"] for d in _deadlines(claimed, "forum")] == ["open"]
    assert claimed.case_read("forum").json()["stage"] == "closed"
    assert claimed.decide().status_code == 201
    assert [d["status"] for d in _deadlines(claimed, "forum")] == ["met"]
    # A closed case takes no new claim.
    claimed.claim_id = None
    assert claimed.file(scheme="ujjawala").status_code == 409
