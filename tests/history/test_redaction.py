"""What the history and the change feed withhold (a security review's findings, each a test):
the shelter she is placed in, named by a placement order or acting on her case; a referral the
reader may not see; a document or note of a class it may not read; and for an audit office, the
acts of agencies on no case, shown as recorded."""

from __future__ import annotations

from typing import Any

from app.auth.permissions import AgencyType, Role
from app.ledger.verify import verify_export
from app.ledger.worker import sequence_pending
from tests.documents.support import upload_kwargs
from tests.harness import Harness
from tests.orders_support import Seized
from tests.referrals.support import Referred


def _sequence(h: Harness) -> None:
    h.run(lambda: sequence_pending(h.runtime))


def _history(h: Harness, case_id: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = h.client.get(f"/v1/cases/{case_id}/history?limit=200", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _feed(h: Harness, headers: dict[str, str]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = -1
    while True:
        page = h.client.get(f"/v1/changes?after={after}&limit=200", headers=headers).json()
        seen += page["items"]
        after = page["next_after"]
        if page["caught_up"]:
            return seen


def _placed_and_noted_by_her_shelter(h: Harness) -> Seized:
    """A child placed in a shelter by order, the shelter then adding a note; sequenced."""
    seized = Seized(h, stage="produced")
    placed = seized.issue("placement")
    assert placed.status_code == 201, placed.text
    note = h.client.post(
        f"/v1/cases/{seized.case.id}/notes",
        json={"sensitivity": "general", "body": "Settled in."},
        headers=seized.headers["shelter"],
    )
    assert note.status_code == 201, note.text
    _sequence(h)
    return seized


def test_the_shelter_she_is_placed_in_is_not_named_to_those_who_may_not_know_it(h: Harness) -> None:
    seized = _placed_and_noted_by_her_shelter(h)
    shelter = str(seized.shelter.id)
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER))
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    for reader in (commission, auditor):
        history = _history(h, seized.case.id, reader)
        assert [e["action"] for e in history][-2:] == ["order.issued", "case.note_added"]
        assert shelter not in str(history)
        by_shelter = history[-1]
        assert by_shelter["actor_withheld"] is True
        assert by_shelter["agency_id"] is None
        assert by_shelter["actor_id"] is None
    assert shelter not in str(_feed(h, commission))
    # Nor in the audit office's export, which still proves the order and the note untouched.
    size = int(h.sql("SELECT count(*) FROM log_leaves")[0][0])
    export = h.client.get(f"/v1/audit/export?from=0&to={size}", headers=auditor)
    assert export.status_code == 200
    assert shelter not in export.text
    outcome = verify_export(export.content.splitlines(), h.runtime.log_signer.public_key)
    assert outcome.ok, outcome
    assert outcome.checked["partly_withheld_events"] >= 2
    # Those who may know where she is read it: the authority that placed her, the shelter.
    assert shelter in str(_history(h, seized.case.id, seized.headers["member"]))
    assert shelter in str(_feed(h, seized.headers["member"]))


def test_the_case_s_access_log_does_not_name_her_shelter_to_an_audit_office(h: Harness) -> None:
    """Her shelter reading her case is in the access log; an audit office (no placement in its
    field set) learns a shelter read it, not which; the owning agency's supervisor, who may know
    where she is, sees which."""
    seized = Seized(h, stage="produced")
    assert seized.issue("placement").status_code == 201
    read = h.client.get(f"/v1/cases/{seized.case.id}", headers=seized.headers["shelter"])
    assert read.status_code == 200, read.text
    shelter = str(seized.shelter.id)
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))

    def access_log(headers: dict[str, str]) -> list[dict[str, Any]]:
        response = h.client.get(f"/v1/cases/{seized.case.id}/access-log?limit=200", headers=headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    for_auditor = access_log(auditor)
    assert shelter not in str(for_auditor)
    withheld = [row for row in for_auditor if row["actor_withheld"]]
    assert withheld, for_auditor
    assert all(row["agency_id"] is None and row["principal_id"] is None for row in withheld)
    assert all(row["principal_type"] == "user" for row in withheld)
    for_owner = access_log(seized.headers["supervisor"])
    by_shelter = [row for row in for_owner if row["agency_id"] == shelter]
    assert by_shelter
    assert not any(row["actor_withheld"] for row in for_owner)


def test_an_audit_office_cannot_find_her_shelter_by_searching_for_its_acts(h: Harness) -> None:
    """The event search shows a shelter's acts on her case unattributed to an audit office; a
    search by the shelter's id (or its user's) must not find them either, or the answer would
    say which shelter holds her."""
    seized = _placed_and_noted_by_her_shelter(h)
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))

    def search(**params: Any) -> list[dict[str, Any]]:
        answer = h.client.get(
            "/v1/audit/events", params={"case_id": str(seized.case.id), **params}, headers=auditor
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    everything = search()
    assert [e["actor_withheld"] for e in everything if e["action"] == "case.note_added"] == [True]
    assert search(agency_id=str(seized.shelter.id)) == []
    assert search(actor_id=str(seized.users["shelter"].id)) == []
    # Those the search may attribute are still found by who acted.
    by_member = search(actor_id=str(seized.users["member"].id))
    assert [e["action"] for e in by_member] == ["order.issued"]


def test_a_forged_cursor_beyond_a_bigint_is_422(h: Harness) -> None:
    import base64

    seized = Seized(h, stage="produced")
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    huge = base64.urlsafe_b64encode(f"[{2**70}]".encode()).decode().rstrip("=")
    for url in (f"/v1/cases/{seized.case.id}/history", "/v1/audit/events"):
        answer = h.client.get(url, params={"cursor": huge}, headers=auditor)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["errors"][0]["type"] == "cursor_invalid"


def test_a_referral_the_reader_may_not_see_is_not_in_its_history(h: Harness) -> None:
    police = h.agency(AgencyType.POLICE, "IN-MH")
    referred = Referred(h, type="counselling")
    h.sql(
        "INSERT INTO rescue_event_agencies (rescue_event_id, agency_id, role)"
        " SELECT rescue_event_id, :p, 'participant' FROM cases",
        p=police.id if h.owner_engine.dialect.name == "postgresql" else police.id.hex,
    )
    assert referred.create().status_code == 201
    _sequence(h)
    rescuer = h.auth(h.user(police, Role.POLICE_OFFICER))
    assert h.client.get(f"/v1/cases/{referred.case.id}", headers=rescuer).status_code == 200
    referral = h.client.get("/v1/referrals", headers=rescuer).json()["items"]
    assert referral == []
    history = _history(h, referred.case.id, rescuer)
    assert "referral.created" not in [e["action"] for e in history]
    assert str(referred.receiver.id) not in str(history)
    assert "referral.created" not in [e["action"] for e in _feed(h, rescuer)]
    # The owner sees its own referral in the history.
    owner = _history(h, referred.case.id, referred.headers["owner_supervisor"])
    assert "referral.created" in [e["action"] for e in owner]


def test_a_document_of_a_class_the_reader_may_not_read_shows_nothing_of_itself(h: Harness) -> None:
    owner = h.agency(AgencyType.NGO, "IN-MH")
    police = h.agency(AgencyType.POLICE, "IN-MH")
    supervisor = h.auth(h.user(owner, Role.SUPERVISOR))
    case = h.case(owner, parties=[police])
    safety = h.client.post(
        f"/v1/cases/{case.id}/documents",
        headers=supervisor,
        **upload_kwargs(kind="care_plan", sensitivity="safety"),
    )
    assert safety.status_code == 201, safety.text
    note = h.client.post(
        f"/v1/cases/{case.id}/notes",
        json={"sensitivity": "medical_counselling", "body": "Sees a counsellor."},
        headers=supervisor,
    )
    assert note.status_code == 201
    _sequence(h)
    rescuer = h.auth(h.user(police, Role.POLICE_OFFICER))
    history = _history(h, case.id, rescuer)
    uploaded = next(e for e in history if e["action"] == "document.uploaded")
    assert safety.json()["id"] not in str(history)
    assert safety.json()["sha256"] not in str(history)
    assert all(c.get("redacted") for c in uploaded["changes"])
    assert {"type": "document", "redacted": True} in uploaded["objects"]
    added = next(e for e in history if e["action"] == "case.note_added")
    assert note.json()["id"] not in str(added)
    assert "medical_counselling" not in str(added)
    # The owner's supervisor reads both in full.
    own = _history(h, case.id, supervisor)
    assert safety.json()["sha256"] in str(own)
    assert note.json()["id"] in str(own)


def test_an_audit_office_reads_the_acts_on_no_case_as_recorded(h: Harness) -> None:
    agency = h.agency(AgencyType.NGO, "IN-MH")
    admin = h.auth(h.user(agency, Role.AGENCY_ADMIN))
    worker = h.user(agency, Role.CASEWORKER)
    granted = h.client.post(f"/v1/users/{worker.id}/roles", json={"role": "supervisor"}, headers=admin)
    assert granted.status_code in (200, 201), granted.text
    _sequence(h)
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    events = h.client.get("/v1/audit/events?action=user.role_granted", headers=auditor).json()
    (grant,) = events["items"]
    assert grant["changes"] == [
        {"object": "user", "id": str(worker.id), "field": "role", "from": None, "to": "supervisor"}
    ]


def test_an_accept_decided_on_a_stage_the_case_has_left_is_409(h: Harness, monkeypatch: Any) -> None:
    """The case's stage the accept was decided on (read with the referral) is the one its move
    is made from: a case closed in between is not pushed into home_verification."""
    from sqlalchemy import update

    from app.cases.models import Case
    from app.referrals import service

    referred = Referred(h, type="home_verification", track="adult", stage="safe_custody").to("requested")
    real = service._case_of

    async def closed_before_it_is_read(session: Any, referral: Any) -> Any:
        await session.execute(
            update(Case).values(stage="closed").execution_options(synchronize_session=False)
        )
        return await real(session, referral)

    monkeypatch.setattr(service, "_case_of", closed_before_it_is_read)
    lost = referred.post("accept")
    assert lost.status_code == 409, lost.text
    monkeypatch.undo()
    assert h.sql("SELECT status FROM referrals")[0][0] == "requested"
    assert h.sql("SELECT stage FROM cases")[0][0] == "safe_custody"
