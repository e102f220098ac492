"""A child's transfer walked from draft to acceptance through the HTTP API, each step by the role
that does it in real life, checking ownership, visibility and identity access after every step;
and the ways a transfer ends short of acceptance."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.transfers_support import World

IDENTITY = "purpose=family_tracing&fields=names"
ESCORT_IDENTITY = "purpose=escort&fields=names&fields=home_village"


def _case(world: World, who: str) -> Any:
    return world.h.client.get(f"/v1/cases/{world.case.id}", headers=world.headers[who])


def _identity(world: World, who: str, query: str = IDENTITY) -> Any:
    return world.h.client.get(f"/v1/cases/{world.case.id}/identity?{query}", headers=world.headers[who])


def _stage_and_owner(world: World) -> tuple[str, str]:
    read = _case(world, "sending_authority").json()
    return read["stage"], read["owner_agency_id"]


def test_a_childs_transfer_from_maharashtra_to_west_bengal(h: Harness) -> None:
    world = World(h)
    sender, receiver = str(world.sending_agency.id), str(world.receiving_agency.id)

    created = world.create()
    assert created.status_code == 201, created.text
    transfer = created.json()
    assert transfer["status"] == "draft"
    assert transfer["sides"] == ["sending_agency"]
    assert transfer["allowed_actions"] == []  # a caseworker proposes; the CWC acts next
    assert created.headers["ETag"] == '"1"'
    # A draft is the sending side's own: the receiving side sees neither it nor the case.
    assert world.read("receiving_authority").status_code == 404
    assert _case(world, "receiving_authority").status_code == 404
    # A draft is not escalated: that would show it to the other state's WCD and commission.
    assert world.read("sending_authority").json()["allowed_actions"] == ["request-consultation"]

    assert world.post("request-consultation").status_code == 200
    # The receiving CWC reads the case to answer, but not her identity yet.
    seen = _case(world, "receiving_authority")
    assert seen.status_code == 200
    assert seen.json()["relations"] == ["transfer_receiver"]
    assert "placement" not in seen.json()
    assert _identity(world, "receiving_authority").status_code == 403
    assert world.read("receiving_authority").json()["allowed_actions"] == [
        "answer-consultation",
        "escalate",
    ]

    assert world.post("answer-consultation").status_code == 200
    ordered = world.post("order")
    assert ordered.status_code == 200, ordered.text
    assert _stage_and_owner(world) == ("in_transfer", sender)
    # From the order on, the receiving side may read identity, for a purpose.
    disclosed = _identity(world, "receiving_authority")
    assert disclosed.status_code == 200
    assert disclosed.json()["fields"]["names"] == ["Sunita Kumari"]
    # The order is recorded as an order of the sending CWC.
    orders = h.sql("SELECT kind, issued_by_agency_id FROM orders")
    assert [row[0] for row in orders] == ["transfer"]

    # The escort is named; it reads what it needs, with purpose escort only.
    assert _case(world, "escort").status_code == 404
    assert world.post("assign-escort").status_code == 200
    assert _case(world, "escort").json()["relations"] == ["transfer_escort"]
    assert _identity(world, "escort", ESCORT_IDENTITY).status_code == 200
    assert _identity(world, "escort").status_code == 403  # family_tracing is not its purpose
    assert _identity(world, "escort", "purpose=escort&fields=bank_details").status_code == 403
    assert sorted(row[0] for row in h.sql("SELECT kind FROM orders")) == ["escort", "transfer"]

    assert world.post("depart").status_code == 200
    assert world.post("hand-over").status_code == 200
    assert _stage_and_owner(world) == ("in_transfer", sender)

    accepted = world.post("accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    now_read = _case(world, "receiving_supervisor").json()
    assert now_read["stage"] == "received_home"
    assert now_read["owner_agency_id"] == receiver
    assert now_read["competent_authority_id"] == str(world.receiving_authority.id)
    assert now_read["current_state"] == "IN-WB"
    assert "owner" in now_read["relations"]

    # The sending side keeps read access to what it recorded and loses write access.
    kept = _case(world, "sending_caseworker")
    assert kept.status_code == 200
    assert kept.json()["relations"] == ["rescue_party", "transfer_sender"]
    assert _identity(world, "sending_supervisor").status_code == 403
    patch = h.client.patch(
        f"/v1/cases/{world.case.id}",
        json={"home_district": "Howrah"},
        headers={
            **world.headers["sending_supervisor"],
            "If-Match": f'"{now_read["version"]}"',
            "Content-Type": "application/merge-patch+json",
        },
    )
    assert patch.status_code == 403
    # The escort's relation ended with the transfer.
    assert _case(world, "escort").status_code == 404

    acts = world.read().json()["acts"]
    assert [a["action"] for a in acts] == [
        "create", "request-consultation", "answer-consultation", "order", "assign-escort",
        "depart", "hand-over", "accept",
    ]  # fmt: skip
    events = [row[0] for row in h.sql("SELECT action FROM audit_events WHERE action LIKE 'transfer.%'")]
    assert sorted(events) == sorted(
        [
            "transfer.created", "transfer.consultation_requested", "transfer.consultation_answered",
            "transfer.ordered", "transfer.escort_assigned", "transfer.departed",
            "transfer.handed_over", "transfer.accepted",
        ]
    )  # fmt: skip


def test_an_adults_transfer_without_a_receiving_magistrate(h: Harness) -> None:
    home = h.agency(AgencyType.NGO, "IN-JH")
    world = World(h, track="adult", receiving_agency=home, name_receiving_authority=False)
    world.to("handed_over")
    accepted = world.post("accept")
    assert accepted.status_code == 200, accepted.text
    read = _case(world, "receiving_supervisor").json()
    assert read["stage"] == "rehabilitation"
    assert read["owner_agency_id"] == str(home.id)
    # No Magistrate was named at home: her orders still come from the sending one.
    assert read["competent_authority_id"] == str(world.sending_authority.id)
    assert read["current_state"] == "IN-JH"


@pytest.mark.parametrize(
    ("status", "action", "stage"),
    [
        ("consultation_answered", "decline", "under_inquiry"),
        ("ordered", "decline", "under_inquiry"),
        ("handed_over", "decline", "under_inquiry"),
        ("draft", "cancel", "under_inquiry"),
        ("escort_assigned", "cancel", "under_inquiry"),
        ("in_transit", "report-absconded", "absconded"),
        ("escort_assigned", "border-handover", "closed"),
    ],
)
def test_a_transfer_that_ends_short_of_acceptance(
    h: Harness, status: str, action: str, stage: str
) -> None:
    world = World(h, nationality="BD" if action == "border-handover" else "IN").to(status)
    actor = world.actor_of(action) if action != "cancel" else None
    if action == "cancel":
        actor = "sending_supervisor" if status == "draft" else "sending_authority"
    ended = world.post(action, as_=actor)
    assert ended.status_code == 200, ended.text
    assert ended.json()["allowed_actions"] == []
    read = _case(world, "sending_authority").json()
    # The case stays with the sending side, back where it was (or out on a side exit).
    assert read["owner_agency_id"] == str(world.sending_agency.id)
    assert read["stage"] == stage
    if stage == "absconded":
        assert h.sql("SELECT stage_before_exit FROM cases")[0][0] == "under_inquiry"
    # Ended: the receiving side no longer sees the case, and a new transfer may be proposed.
    assert _case(world, "receiving_authority").status_code == 404
    # A new transfer may be proposed for her at once, unless she is away or the case closed.
    world.transfer_id = None
    assert world.create().status_code == (201 if stage == "under_inquiry" else 409)


def test_a_second_open_transfer_of_a_case_is_409(h: Harness) -> None:
    world = World(h).to("draft")
    again = world.create()
    assert again.status_code == 409
    assert again.json()["allowed_actions"] == []


def test_order_without_an_answer_waits_for_the_consultation_deadline(h: Harness) -> None:
    world = World(h).to("consultation_requested")
    early = world.post("order")
    assert early.status_code == 409
    assert "answer-consultation" not in early.json()["allowed_actions"]
    assert early.json()["allowed_actions"] == ["escalate"]
    # Seven days later (and past the day's end in India) the CWC may order unanswered.
    h.clock.freeze()
    h.clock.advance(days=8)
    world.reauth()
    late = world.post("order")
    assert late.status_code == 200, late.text


def test_an_objection_must_be_answered_in_the_order(h: Harness) -> None:
    world = World(h).to("consultation_requested")
    objection = {"answer": "object", "reason": "The family is suspected of selling her."}
    assert world.post("answer-consultation", body=objection).status_code == 200
    unanswered = world.post("order", body={"reasons": "Restoration."})
    assert unanswered.status_code == 422
    assert unanswered.json()["errors"][0]["loc"] == ["body", "objection_response"]
    answered = world.post(
        "order",
        body={"reasons": "Restoration.", "objection_response": "Police verified the family."},
    )
    assert answered.status_code == 200


def test_a_girl_is_escorted_by_a_woman_officer_with_the_advance_paid(h: Harness) -> None:
    world = World(h).to("ordered")
    men = {
        "escort_agency_id": str(world.escort_agency.id),
        "officers": [{"name": "HC Rao", "woman": False}],
        "travel_advance_paid": True,
    }
    assert world.post("assign-escort", body=men).json()["errors"][0]["loc"] == ["body", "officers"]
    unpaid = {**men, "officers": [{"name": "WPC Shinde", "woman": True}], "travel_advance_paid": False}
    assert world.post("assign-escort", body=unpaid).status_code == 422
    ngo = {**unpaid, "travel_advance_paid": True, "escort_agency_id": str(h.agency(AgencyType.NGO).id)}
    assert world.post("assign-escort", body=ngo).status_code == 422
    assert world.read().json()["status"] == "ordered"


def test_receiving_agency_must_be_of_her_home_state(h: Harness) -> None:
    world = World(h)
    world.receiving_agency = h.agency(AgencyType.NGO, "IN-KA")
    refused = world.create()
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "receiving_agency_id"]
    assert h.sql("SELECT count(*) FROM transfers")[0][0] == 0


def test_a_case_not_yet_produced_cannot_be_transferred(h: Harness) -> None:
    world = World(h)
    h.sql("UPDATE cases SET stage = 'rescued'")
    assert world.create().status_code == 409


def test_escalation_raises_a_flag_once_and_shows_to_both_states_wcds(h: Harness) -> None:
    world = World(h).to("consultation_requested")
    wcd_home = h.auth(h.user(h.agency(AgencyType.WCD, "IN-WB"), Role.SUPERVISOR))
    wcd_other = h.auth(h.user(h.agency(AgencyType.WCD, "IN-KA"), Role.SUPERVISOR))
    assert h.client.get(f"/v1/transfers/{world.transfer_id}", headers=wcd_home).status_code == 404
    raised = world.post("escalate", as_="receiving_authority")
    assert raised.status_code == 200
    assert raised.json()["escalated"] is True
    assert raised.json()["status"] == "consultation_requested"
    assert world.post("escalate", as_="sending_authority").status_code == 409
    listed = h.client.get("/v1/transfers?escalated=true", headers=wcd_home).json()["items"]
    assert [t["id"] for t in listed] == [world.transfer_id]
    assert h.client.get("/v1/transfers", headers=wcd_other).json()["items"] == []
    # Oversight: the WCD sees where the case stands, nothing about her.
    case = h.client.get(f"/v1/cases/{world.case.id}", headers=wcd_home).json()
    assert case["relations"] == ["oversight"]
    assert "sex" not in case
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'transfer.escalated'")[0][0] == 1


def test_a_breached_consultation_deadline_makes_the_transfer_escalated_when_read(h: Harness) -> None:
    start = h.clock.freeze()
    world = World(h).to("consultation_requested")
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-WB"), Role.COMMISSION_OFFICER))
    assert world.read().json()["escalated"] is False
    assert h.client.get("/v1/transfers?escalated=true", headers=commission).json()["items"] == []
    due = _parse(world.read().json()["deadlines"]["TRANSFER_CONSULTATION"])
    # Seven days, ending at 23:59:59 in India on the last day; escalated after that, with no event.
    assert (due - start).days == 7
    assert (due.hour, due.minute, due.second) == (18, 29, 59)
    h.clock.freeze(due)
    world.reauth()
    commission = h.auth(h.user(h.agency(AgencyType.COMMISSION, "IN-WB"), Role.COMMISSION_OFFICER))
    assert world.read().json()["escalated"] is False
    h.clock.advance(seconds=1)
    assert world.read().json()["escalated"] is True
    assert world.read().json()["escalation_raised"] is False
    listed = h.client.get("/v1/transfers?escalated=true", headers=commission).json()["items"]
    assert [t["id"] for t in listed] == [world.transfer_id]
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'transfer.escalated'")[0][0] == 0


def _parse(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


def test_inbox_and_outbox(h: Harness) -> None:
    world = World(h).to("consultation_requested")
    draft = World(
        h, receiving_agency=world.receiving_agency, receiving_authority=world.receiving_authority
    )
    draft.to("draft")
    incoming = h.client.get(
        "/v1/transfers?direction=incoming", headers=world.headers["receiving_authority"]
    ).json()["items"]
    # The other transfer to the same CWC is still a draft: not in its inbox.
    assert [t["id"] for t in incoming] == [world.transfer_id]
    outgoing = h.client.get(
        "/v1/transfers?direction=outgoing", headers=world.headers["sending_caseworker"]
    ).json()["items"]
    assert [t["id"] for t in outgoing] == [world.transfer_id]
    assert (
        h.client.get(
            "/v1/transfers?direction=incoming", headers=world.headers["sending_caseworker"]
        ).json()["items"]
        == []
    )
    by_status = h.client.get(
        "/v1/transfers?status=draft", headers=draft.headers["sending_caseworker"]
    ).json()["items"]
    assert [t["id"] for t in by_status] == [draft.transfer_id]


@pytest.mark.parametrize(
    ("status", "deadline"),
    [("handed_over", "TRANSFER_ACCEPTANCE"), ("escort_assigned", "JJ95_ESCORT")],
)
def test_read_and_list_agree_on_a_breached_deadline(h: Harness, status: str, deadline: str) -> None:
    """The computed escalation is written twice, in SQL for lists and in Python for a row read:
    both must say the same at the deadline and a second after it."""
    h.clock.freeze()
    world = World(h).to(status)
    commission = h.user(h.agency(AgencyType.COMMISSION, "IN-MH"), Role.COMMISSION_OFFICER)
    due = _parse(world.read().json()["deadlines"][deadline])
    for moment, expected in ((due, False), (due.replace(microsecond=0), False)):
        h.clock.freeze(moment)
        world.reauth()
        assert world.read().json()["escalated"] is expected
    h.clock.advance(seconds=1)
    world.reauth()
    assert world.read().json()["escalated"] is True
    listed = h.client.get("/v1/transfers?escalated=true", headers=h.auth(commission)).json()
    assert [t["id"] for t in listed["items"]] == [world.transfer_id]
    calm = h.client.get("/v1/transfers?escalated=false", headers=h.auth(commission)).json()
    assert calm["items"] == []


def _documents(world: World, who: str) -> set[str]:
    listed = world.h.client.get(f"/v1/cases/{world.case.id}/documents", headers=world.headers[who])
    assert listed.status_code == 200, listed.text
    return {d["id"] for d in listed.json()["items"]}


def _download(world: World, who: str, document_id: str, purpose: str | None = None) -> int:
    query = f"?purpose={purpose}" if purpose else ""
    url = f"/v1/documents/{document_id}/content{query}"
    return int(world.h.client.get(url, headers=world.headers[who]).status_code)


def test_the_receiving_side_reads_the_bundle_by_class_and_stage(h: Harness) -> None:
    world = World(h).to("draft")
    general = world.document("general", "care_plan")
    medical = world.document("medical_counselling", "medical_report")
    identity = world.document("identity", "age_determination")
    outside = world.document("general", "fir")  # not sent with the bundle
    bundle = {"document_ids": [general, medical, identity]}
    assert world.post("request-consultation", body=bundle).status_code == 200

    # To answer, the receiving CWC reads the bundle's general and medical documents only.
    assert _documents(world, "receiving_authority") == {general, medical}
    assert _download(world, "receiving_authority", general) == 200
    assert _download(world, "receiving_authority", medical) == 200
    assert _download(world, "receiving_authority", outside) == 403
    assert _download(world, "receiving_authority", identity, "family_tracing") == 403

    # From the order on, the bundle's identity documents too, with a purpose.
    world.to("ordered")
    assert _documents(world, "receiving_authority") == {general, medical, identity}
    assert _download(world, "receiving_authority", identity) == 422
    assert _download(world, "receiving_authority", identity, "family_tracing") == 200
    assert _download(world, "receiving_authority", outside) == 403
    # The escort reads none of the file.
    world.to("escort_assigned")
    assert _documents(world, "escort") == set()

    # After the acceptance the receiving agency owns the case and its whole file; the sending
    # side keeps what it uploaded, but no identity class.
    world.to("accepted")
    assert _documents(world, "receiving_supervisor") == {general, medical, identity, outside}
    assert _documents(world, "sending_supervisor") == {general, medical, outside}
    assert _download(world, "sending_supervisor", identity, "family_tracing") == 403
    # Every refused download was logged, naming the document.
    denied = h.sql(
        "SELECT object_id FROM access_log WHERE outcome = 'denied' AND status = 403"
        " AND route = '/v1/documents/{document_id}/content'"
    )
    assert sorted(row[0] for row in denied) == sorted([outside, identity, outside, identity])


def test_a_border_handover_is_for_a_foreign_national(h: Harness) -> None:
    world = World(h).to("ordered")
    refused = world.post("border-handover")
    assert refused.status_code == 409
    assert "border-handover" not in refused.json()["allowed_actions"]
    assert "assign-escort" in refused.json()["allowed_actions"]
    assert world.read().json()["status"] == "ordered"


def test_a_backdated_request_does_not_shorten_the_consultation(h: Harness) -> None:
    start = h.clock.freeze()
    world = World(h).to("draft")
    h.clock.advance(days=10)
    world.reauth()
    backdated = {"document_ids": [world.document()], "occurred_at": start.isoformat()}
    assert world.post("request-consultation", body=backdated).status_code == 200
    read = world.read("sending_authority").json()
    # The act keeps when it happened; the receiving side's seven days run from when it was entered.
    assert read["acts"][-1]["occurred_at"].startswith(start.date().isoformat())
    assert _parse(read["deadlines"]["TRANSFER_CONSULTATION"]) > h.clock()
    assert "order" not in read["allowed_actions"]
    assert world.post("order").status_code == 409


def test_oversight_starts_with_the_consultation_and_ends_with_the_transfer(h: Harness) -> None:
    world = World(h).to("consultation_requested")
    wcd = h.auth(h.user(h.agency(AgencyType.WCD, "IN-MH"), Role.SUPERVISOR))
    assert world.post("escalate", as_="sending_supervisor").status_code == 200
    assert h.client.get(f"/v1/cases/{world.case.id}", headers=wcd).status_code == 200
    world.to("accepted")
    assert h.client.get(f"/v1/cases/{world.case.id}", headers=wcd).status_code == 404
    assert h.client.get("/v1/transfers?escalated=true", headers=wcd).json()["items"] == []
    assert world.read().json()["escalated"] is False
    assert world.read().json()["escalation_raised"] is True


def test_a_flag_filter_answers_only_where_the_flags_are_readable(h: Harness) -> None:
    world = World(h).to("consultation_requested")
    h.sql("UPDATE cases SET flag_family_complicity = :t", t=True)
    wcd = h.auth(h.user(h.agency(AgencyType.WCD, "IN-WB"), Role.SUPERVISOR))
    assert world.post("escalate", as_="receiving_authority").status_code == 200
    assert len(h.client.get("/v1/cases", headers=wcd).json()["items"]) == 1
    # The WCD's field set holds no flags: filtering by one finds nothing, set or not.
    flagged = h.client.get("/v1/cases?flag=family_complicity", headers=wcd).json()["items"]
    assert flagged == []
    owner = world.headers["sending_supervisor"]
    assert len(h.client.get("/v1/cases?flag=family_complicity", headers=owner).json()["items"]) == 1


def test_a_purpose_opens_only_the_fields_of_the_relation_that_allows_it(h: Harness) -> None:
    """An SJPU that owns the case and escorts her: its supervisor reads identity as the owner for
    the owner's purposes, but purpose escort opens only what an escort needs."""
    sjpu = h.agency(AgencyType.SJPU, "IN-MH")
    world = World(h, sending_agency=sjpu, escort_agency=sjpu).to("escort_assigned")
    assert sorted(_case(world, "sending_supervisor").json()["relations"])[:2] == [
        "owner",
        "rescue_party",
    ]
    assert _identity(world, "sending_supervisor", "purpose=escort&fields=names").status_code == 200
    bank = "purpose=escort&fields=bank_details"
    assert _identity(world, "sending_supervisor", bank).status_code == 403
    own = "purpose=family_tracing&fields=bank_details"
    assert _identity(world, "sending_supervisor", own).status_code == 200


def test_a_draft_is_not_escalated(h: Harness) -> None:
    world = World(h).to("draft")
    refused = world.post("escalate", as_="sending_supervisor")
    assert refused.status_code == 409
    assert h.sql("SELECT escalated FROM transfers")[0][0] in (False, 0)
