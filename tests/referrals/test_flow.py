"""Referrals walked through the HTTP API, each step by the role that does it in real life: what
the receiving agency sees of the case (nothing while the referral is only requested, what its
type needs while it is accepted, nothing once it has ended), identity only for the type's purpose
and fields, the note and document classes each type reads, and an adult's home verification
moving her case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.referrals.support import TYPES, Referred

# What each type's receiver reads of the case (besides the core fields every relation reads).
JURISDICTION = {"home_state", "home_district", "current_state", "rescue_state"}
ATTRIBUTES = {"sex", "age_claimed", "nationality", "languages"}
CONTEXT = {"trafficking_context", "flags", "references"}
TRACING = ["aliases", "family_names", "home_address", "home_village", "names", "phones", "photo_ref"]
EXPECTED: dict[str, tuple[set[str], set[str], list[str], str | None]] = {
    # type: (fields it reads, fields it does not, identity fields, the purpose they are read for)
    "home_verification": (JURISDICTION | ATTRIBUTES, CONTEXT, TRACING, "home_verification"),
    "family_tracing": (JURISDICTION | ATTRIBUTES, CONTEXT, TRACING, "family_tracing"),
    "legal_aid": (ATTRIBUTES | CONTEXT, JURISDICTION, ["names"], "legal_proceeding"),
    "shelter": (ATTRIBUTES, JURISDICTION | CONTEXT, [], None),
    "counselling": (ATTRIBUTES, JURISDICTION | CONTEXT, [], None),
    "medical": (ATTRIBUTES, JURISDICTION | CONTEXT, [], None),
    "education": (ATTRIBUTES, JURISDICTION | CONTEXT, [], None),
    "vocational_training": (ATTRIBUTES, JURISDICTION | CONTEXT, [], None),
}
assert sorted(EXPECTED) == TYPES


@pytest.mark.parametrize("kind", TYPES)
def test_the_receiver_sees_what_its_type_needs_only_while_accepted(h: Harness, kind: str) -> None:
    referred = Referred(h, type=kind)
    created = referred.create()
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    made = created.json()
    assert (made["status"], made["type"], made["sides"]) == (
        "requested",
        kind,
        ["case_holder", "referring"],
    )
    assert made["allowed_actions"] == ["withdraw"]

    # Requested: the receiver reads the referral (the case's code and track, to decide), not the
    # case, and finds it in its inbox.
    seen = referred.read("receiver")
    assert seen.status_code == 200
    assert seen.json()["case_code"] == referred.case.code
    assert seen.json()["case_track"] == "child"
    assert seen.json()["sides"] == ["receiving"]
    assert seen.json()["allowed_actions"] == ["accept", "decline"]
    assert referred.case_read("receiver").status_code == 404
    assert referred.identity("receiver", "purpose=home_verification&fields=names").status_code == 404
    inbox = h.client.get("/v1/referrals?direction=incoming", headers=referred.headers["receiver"])
    assert [r["id"] for r in inbox.json()["items"]] == [referred.referral_id]

    # Accepted: the case, through the relation of its type, with its field set.
    accepted = referred.post("accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["allowed_actions"] == ["complete"]
    case = referred.case_read("receiver")
    assert case.status_code == 200, case.text
    read = case.json()
    reads, hidden, identity, purpose = EXPECTED[kind]
    assert read["relations"] == [f"referral:{kind}"]
    assert reads <= set(read), reads - set(read)
    assert not hidden & set(read), hidden & set(read)
    assert "placement" not in read
    assert "assignees" not in read
    assert read["identity_fields"] == identity
    if purpose is not None:
        names = referred.identity("receiver", f"purpose={purpose}&fields=names")
        assert names.status_code == 200, names.text
        assert names.json()["fields"]["names"] == ["Sunita Kumari"]
        # Another purpose, or a field the type does not need: refused.
        other = "family_tracing" if purpose != "family_tracing" else "home_verification"
        assert referred.identity("receiver", f"purpose={other}&fields=names").status_code == 403
        beyond = referred.identity("receiver", f"purpose={purpose}&fields=date_of_birth")
        assert beyond.status_code == 403
    else:
        for asked in ("home_verification", "production", "victim_request"):
            refused = referred.identity("receiver", f"purpose={asked}&fields=names")
            assert refused.status_code == 403

    # Completed: the relation has ended; the referral stays on record for both sides.
    completed = referred.post("complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed"
    assert completed.json()["allowed_actions"] == []
    assert referred.case_read("receiver").status_code == 404
    assert (
        referred.identity("receiver", f"purpose={purpose or 'production'}&fields=names").status_code
        == 404
    )
    assert referred.read("receiver").status_code == 200
    assert [a["action"] for a in referred.read().json()["acts"]] == ["create", "accept", "complete"]
    events = sorted(
        r[0] for r in h.sql("SELECT action FROM audit_events WHERE action LIKE 'referral.%'")
    )
    assert events == ["referral.accepted", "referral.completed", "referral.created"]


@pytest.mark.parametrize("end", ["decline", "withdraw"])
def test_a_referral_that_ends_unanswered_or_withdrawn_shows_nothing_more(h: Harness, end: str) -> None:
    referred = Referred(h, type="family_tracing")
    referred.to("accepted" if end == "withdraw" else "requested")
    ended = referred.post(end)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == ("declined" if end == "decline" else "withdrawn")
    assert ended.json()["ended_at"] is not None
    assert referred.case_read("receiver").status_code == 404
    # A new referral of the type may be made once the last one has ended.
    referred.referral_id = None
    assert referred.create().status_code == 201


def test_the_receiving_police_keep_the_home_address_when_the_family_is_complicit(h: Harness) -> None:
    """Family complicity makes the home address safety data: only the CWC / Magistrate and the
    police read it (DOMAIN.md section 6), even through a home verification."""
    ngo = Referred(h, type="home_verification", receiver=h.agency(AgencyType.NGO, "IN-WB")).to(
        "accepted"
    )
    police = Referred(h, type="home_verification", receiver=h.agency(AgencyType.POLICE, "IN-WB"))
    police.to("accepted")
    h.sql("UPDATE cases SET flag_family_complicity = :t", t=True)
    address = "purpose=home_verification&fields=home_address"
    assert ngo.identity("receiver", address).status_code == 403
    assert ngo.identity("receiver", "purpose=home_verification&fields=names").status_code == 200
    assert police.identity("receiver", address).status_code == 200


def _upload(referred: Referred, as_: str, sensitivity: str, kind: str = "care_plan") -> Any:
    from tests.documents.support import upload_kwargs

    return referred.h.client.post(
        f"/v1/cases/{referred.case.id}/documents",
        **upload_kwargs(kind=kind, sensitivity=sensitivity),
        headers=referred.headers[as_],
    )


def _listed(referred: Referred, as_: str) -> set[str]:
    listed = referred.h.client.get(
        f"/v1/cases/{referred.case.id}/documents", headers=referred.headers[as_]
    )
    assert listed.status_code == 200, listed.text
    return {d["sensitivity"] for d in listed.json()["items"]}


@pytest.mark.parametrize(
    ("kind", "classes"),
    [
        ("home_verification", {"general"}),
        ("counselling", {"general", "medical_counselling"}),
        ("education", {"general"}),
    ],
)
def test_documents_and_notes_by_the_classes_of_the_type(
    h: Harness, kind: str, classes: set[str]
) -> None:
    referred = Referred(h, type=kind)
    for sensitivity in ("general", "medical_counselling", "identity", "safety"):
        assert _upload(referred, "owner_supervisor", sensitivity).status_code == 201
        note = {"sensitivity": sensitivity, "body": f"A {sensitivity} note."}
        posted = h.client.post(
            f"/v1/cases/{referred.case.id}/notes",
            json=note,
            headers=referred.headers["owner_supervisor"],
        )
        assert posted.status_code == 201, posted.text
    referred.to("accepted")
    assert _listed(referred, "receiver") == classes
    notes = h.client.get(f"/v1/cases/{referred.case.id}/notes", headers=referred.headers["receiver"])
    assert {n["sensitivity"] for n in notes.json()["items"]} == classes
    # It files its own report, in a class it reads; not one it does not.
    assert _upload(referred, "receiver", "general").status_code == 201
    assert _upload(referred, "receiver", "identity").status_code == 403


def test_legal_aid_officers_read_the_case_its_orders_and_general_documents(h: Harness) -> None:
    referred = Referred(h, type="legal_aid")
    assert _upload(referred, "owner_supervisor", "general", "fir").status_code == 201
    assert _upload(referred, "owner_supervisor", "medical_counselling").status_code == 201
    referred.to("accepted")
    assert _listed(referred, "receiver") == {"general"}
    orders = h.client.get(f"/v1/cases/{referred.case.id}/orders", headers=referred.headers["receiver"])
    assert orders.status_code == 200, orders.text


def test_a_home_verification_is_completed_with_its_report(h: Harness) -> None:
    referred = Referred(h, type="home_verification")
    referred.to("requested")
    # Before it accepts, the receiver may not file anything on the case (it does not see it).
    assert _upload(referred, "receiver", "general", "home_verification_report").status_code == 404
    referred.post("accept")
    done = {"result": "Family verified."}
    missing = referred.post("complete", body=done)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "document_id"]
    # The owner's document, a document of another case, a report of the wrong kind: refused.
    owners = referred.report(as_="owner_supervisor")
    other = Referred(h, type="home_verification")
    strangers = other.report(as_="owner_supervisor")
    wrong_kind = referred.report(kind="fir")
    for document_id in (owners, strangers, wrong_kind):
        refused = referred.post("complete", body={**done, "document_id": document_id})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", "document_id"]
        assert "Sunita" not in refused.text
    assert referred.read().json()["status"] == "accepted"

    report = referred.report()
    completed = referred.post("complete", body={**done, "document_id": report})
    assert completed.status_code == 200, completed.text
    assert completed.json()["result_document_id"] == report
    # The referring side reads the report; the receiver's view of the case has ended with it.
    document = h.client.get(f"/v1/documents/{report}", headers=referred.headers["owner_caseworker"])
    assert document.status_code == 200
    assert document.json()["uploaded_by_agency_id"] == str(referred.receiver.id)
    assert (
        h.client.get(f"/v1/documents/{report}", headers=referred.headers["receiver"]).status_code == 404
    )
    event = h.events("referral.completed")[0]
    assert report in _json(event[3])


def _json(value: Any) -> str:
    """An event's JSON column as text (SQLite hands back text, PostgreSQL the value)."""
    return value if isinstance(value, str) else json.dumps(value)


def _stage(referred: Referred) -> str:
    return str(referred.case_read("owner_supervisor").json()["stage"])


@pytest.mark.parametrize(
    ("track", "stage", "after"),
    [
        ("adult", "safe_custody", "home_verification"),
        ("adult", "intermediate_custody", "home_verification"),
        ("adult", "magistrate_order", "magistrate_order"),
        ("child", "under_inquiry", "under_inquiry"),
    ],
)
def test_an_adults_accepted_home_verification_moves_her_case(
    h: Harness, track: str, stage: str, after: str
) -> None:
    referred = Referred(h, type="home_verification", track=track, stage=stage)
    referred.to("accepted")
    assert _stage(referred) == after
    event = h.events("referral.accepted")[0]
    assert ('"stage"' in _json(event[4])) is (after != stage)
    referred.post("complete")
    assert _stage(referred) == after  # her orders move her on from here, not the report


def test_another_service_does_not_move_an_adults_case(h: Harness) -> None:
    referred = Referred(h, type="family_tracing", track="adult", stage="safe_custody")
    referred.to("accepted")
    assert _stage(referred) == "safe_custody"


def test_a_withdrawn_home_verification_puts_her_case_back(h: Harness) -> None:
    referred = Referred(h, type="home_verification", track="adult", stage="safe_custody")
    referred.to("accepted")
    assert _stage(referred) == "home_verification"
    withdrawn = referred.post("withdraw", as_="owner_caseworker")
    assert withdrawn.status_code == 200, withdrawn.text
    assert _stage(referred) == "safe_custody"
    changes = _json(h.events("referral.withdrawn")[0][4])
    assert '"from": "home_verification", "to": "safe_custody"' in changes


def test_a_case_changed_in_between_makes_the_accept_409_and_applies_nothing(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case moved by someone else between this request's read of it and its UPDATE (in the
    request's own transaction, so it runs the same on both databases)."""
    from sqlalchemy import update

    from app.cases.models import Case
    from app.referrals import service

    referred = Referred(h, type="home_verification", track="adult", stage="safe_custody").to("requested")
    real = service._case_of

    async def case_moved_after_its_read(session: Any, referral: Any) -> Any:
        case = await real(session, referral)
        await session.execute(
            update(Case).values(version=Case.version + 1).execution_options(synchronize_session=False)
        )
        return case

    monkeypatch.setattr(service, "_case_of", case_moved_after_its_read)
    lost = referred.post("accept")
    assert lost.status_code == 409, lost.text
    monkeypatch.undo()
    assert h.sql("SELECT status, version FROM referrals")[0] == ("requested", 1)
    assert h.sql("SELECT stage, version FROM cases")[0] == ("safe_custody", 1)
    assert h.sql("SELECT count(*) FROM referral_acts WHERE action = 'accept'")[0][0] == 0


def test_a_cwc_directs_a_home_verification_and_withdraws_it(h: Harness) -> None:
    referred = Referred(h, type="home_verification")
    created = referred.create(as_="authority")
    assert created.status_code == 201, created.text
    assert created.json()["referring_agency_id"] == str(referred.authority.id)
    assert created.json()["sides"] == ["case_holder", "referring"]
    # The owner reads it as the case's holder; it did not make it, so it does not withdraw it.
    owner = referred.read("owner_caseworker").json()
    assert (owner["sides"], owner["allowed_actions"]) == (["case_holder"], [])
    assert referred.post("withdraw", as_="owner_caseworker").status_code == 403
    assert referred.post("withdraw", as_="authority").status_code == 200


def test_a_machine_client_answers_for_its_agency_without_identity(h: Harness) -> None:
    referred = Referred(h, type="home_verification").to("requested")
    client, secret = h.machine_client(
        referred.receiver, ["referrals:read", "referrals:answer", "cases:read"]
    )
    token = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    accepted = h.client.post(f"/v1/referrals/{referred.referral_id}/accept", json={}, headers=token)
    assert accepted.status_code == 200, accepted.text
    case = h.client.get(f"/v1/cases/{referred.case.id}", headers=token)
    assert case.status_code == 200
    assert case.json()["identity_fields"] == []
    # A committee's client is no committee: the CWC's referral is its members' act.
    cwc_client, cwc_secret = h.machine_client(referred.authority, ["referrals:create"])
    cwc = {"Authorization": f"Bearer {h.client_token(cwc_client, cwc_secret)}"}
    other = Referred(h, type="counselling", authority=referred.authority)
    refused = h.client.post(f"/v1/cases/{other.case.id}/referrals", json=other.body(), headers=cwc)
    assert refused.status_code == 403


def test_inbox_outbox_filters_and_pages(h: Harness) -> None:
    first = Referred(h, type="counselling").to("accepted")
    second = Referred(h, type="medical", owner=first.owner, receiver=first.receiver)
    second.to("requested")
    third = Referred(h, type="education", owner=first.owner).to("requested")
    owner, receiver = first.headers["owner_caseworker"], first.headers["receiver"]

    def ids(query: str, headers: dict[str, str]) -> list[str]:
        answer = h.client.get(f"/v1/referrals{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [r["id"] for r in answer.json()["items"]]

    everything = [third.referral_id, second.referral_id, first.referral_id]
    assert ids("?direction=outgoing", owner) == everything
    assert ids("?direction=incoming", owner) == []
    assert ids("?direction=incoming", receiver) == [second.referral_id, first.referral_id]
    assert ids("?direction=outgoing", receiver) == []
    assert ids("?status=accepted", owner) == [first.referral_id]
    assert ids("?type=education", owner) == [third.referral_id]
    assert ids(f"?case_id={second.case.id}", owner) == [second.referral_id]
    # Pages: most recently changed first, a cursor to the next, nothing twice.
    page = h.client.get("/v1/referrals?limit=2", headers=owner)
    assert [r["id"] for r in page.json()["items"]] == everything[:2]
    cursor = page.json()["next_cursor"]
    assert 'rel="next"' in page.headers["link"]
    rest = h.client.get(f"/v1/referrals?limit=2&cursor={cursor}", headers=owner).json()
    assert [r["id"] for r in rest["items"]] == everything[2:]
    assert rest["next_cursor"] is None
    assert h.client.get("/v1/referrals?cursor=nonsense", headers=owner).status_code == 422


def test_commissions_and_auditors_see_the_referrals_course_not_what_was_written(h: Harness) -> None:
    referred = Referred(h, type="family_tracing").to("declined")
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-WB"), Role.COMMISSION_OFFICER))
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    elsewhere = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-KA"), Role.COMMISSION_OFFICER))
    wcd = h.auth(h.user(h.agency(AgencyType.WCD, "IN-MH"), Role.SUPERVISOR))
    url = f"/v1/referrals/{referred.referral_id}"
    for headers in (commission, auditor):
        read = h.client.get(url, headers=headers)
        assert read.status_code == 200, read.text
        body = read.json()
        assert (body["sides"], body["allowed_actions"], body["notes"]) == ([], [], None)
        assert all(act["data"] == {} for act in body["acts"])
        assert "No counsellor" not in read.text
        listed = h.client.get("/v1/referrals", headers=headers).json()["items"]
        assert [r["id"] for r in listed] == [referred.referral_id]
    for headers in (elsewhere, wcd):
        assert h.client.get(url, headers=headers).status_code == 404
        assert h.client.get("/v1/referrals", headers=headers).json()["items"] == []
