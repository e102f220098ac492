"""A case's history and the audit office's event search: only sequenced events, in log order,
each redacted to what the reader may see of the case now; an unrelated agency gets 404."""

from __future__ import annotations

from typing import Any

from app.auth.permissions import AgencyType, Role
from app.ledger.worker import sequence_pending
from tests.harness import Harness


def _sequence(h: Harness) -> None:
    h.run(lambda: sequence_pending(h.runtime))


def _history(h: Harness, case_id: Any, headers: dict[str, str], **params: Any) -> Any:
    return h.client.get(f"/v1/cases/{case_id}/history", headers=headers, params=params)


def _worked_case(h: Harness) -> tuple[Any, Any, dict[str, str]]:
    """A child's case with an identity change, a medical note and a general one, all sequenced;
    with its owner and the owner's supervisor's credentials."""
    owner = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.auth(h.user(owner, Role.SUPERVISOR))
    case = h.case(owner)
    patched = h.client.patch(
        f"/v1/cases/{case.id}/identity?purpose=family_tracing",
        json={"aliases": ["Munni"]},
        headers={
            **supervisor,
            "If-Match": '"1"',
            "Content-Type": "application/merge-patch+json",
        },
    )
    assert patched.status_code == 204, patched.text
    for sensitivity, body in (("medical_counselling", "Sees a counsellor weekly."), ("general", "Met.")):
        made = h.client.post(
            f"/v1/cases/{case.id}/notes",
            json={"sensitivity": sensitivity, "body": body},
            headers=supervisor,
        )
        assert made.status_code == 201, made.text
    _sequence(h)
    return owner, case, supervisor


def _changes(items: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [c for item in items if item["action"] == action for c in item["changes"]]


def test_the_owner_reads_the_whole_history_in_log_order(h: Harness) -> None:
    _, case, supervisor = _worked_case(h)
    response = _history(h, case.id, supervisor)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["action"] for i in items] == [
        "case.created",
        "case.identity_updated",
        "case.note_added",
        "case.note_added",
    ]
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(seqs)
    assert all(i["case_id"] == str(case.id) for i in items)
    # Nothing is withheld from the owner's supervisor; identity is a keyed hash even so.
    assert not [c for i in items for c in i["changes"] if c.get("redacted")]
    (alias,) = _changes(items, "case.identity_updated")
    assert alias["to"].startswith("hmac-sha256:")
    assert "Munni" not in response.text
    assert "Sunita" not in response.text


def test_an_audit_office_reads_the_history_without_what_its_field_set_lacks(h: Harness) -> None:
    _, case, _ = _worked_case(h)
    auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    response = _history(h, case.id, auditor)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 4  # the whole history: every event, none left out
    (alias,) = _changes(items, "case.identity_updated")
    assert alias == {
        "object": "identity",
        "id": str(case.id),
        "field": "aliases",
        "class": "identity",
        "redacted": True,
    }
    notes = _changes(items, "case.note_added")
    bodies = [c for c in notes if c["field"] == "body"]
    # The general note's body is the auditor's to read; the medical one is withheld.
    assert sorted(bool(c.get("redacted")) for c in bodies) == [False, True]
    assert "Met." in response.text
    assert "counsellor" not in response.text
    created = _changes(items, "case.created")
    assert {c["field"] for c in created if not c.get("redacted")} >= {"stage", "track", "code"}


def test_an_unrelated_agency_gets_404_and_the_wrong_role_403(h: Harness) -> None:
    _, case, _ = _worked_case(h)
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    assert _history(h, case.id, stranger).status_code == 404
    other_state_auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-KA"), Role.AUDITOR))
    assert _history(h, case.id, other_state_auditor).status_code == 404
    admin = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.AGENCY_ADMIN))
    assert _history(h, case.id, admin).status_code == 403
    assert h.client.get(f"/v1/cases/{case.id}/history").status_code == 401


def test_only_sequenced_events_are_served_and_pages_follow_the_log(h: Harness) -> None:
    _, case, supervisor = _worked_case(h)
    h.client.post(
        f"/v1/cases/{case.id}/notes",
        json={"sensitivity": "general", "body": "Not sequenced yet."},
        headers=supervisor,
    )
    assert len(_history(h, case.id, supervisor).json()["items"]) == 4
    _sequence(h)
    seen, cursor = [], None
    while True:
        page = _history(h, case.id, supervisor, limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        assert page.headers["link"].endswith('rel="next"')
    assert len(seen) == 5
    assert len({i["seq"] for i in seen}) == 5
    bad = _history(h, case.id, supervisor, cursor="not-a-cursor")
    assert bad.status_code == 422


def _events(h: Harness, headers: dict[str, str], **params: Any) -> Any:
    return h.client.get("/v1/audit/events", headers=headers, params=params)


def test_the_event_search_keeps_to_the_audit_office_s_state(h: Harness) -> None:
    in_state = h.case(h.agency(AgencyType.NGO, "IN-MH"))
    elsewhere_owner = h.agency(AgencyType.NGO, "IN-KA")
    elsewhere = h.case(elsewhere_owner, state="IN-KA", victim={
        "track": "adult", "exploitation_types": ["labour"], "home_state": "IN-KA",
        "identity": {"names": ["Lakshmi"]},
    })  # fmt: skip
    _sequence(h)
    state_auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    national = h.auth(h.user(h.agency(AgencyType.AUDIT, None), Role.AUDITOR))

    def cases_seen(headers: dict[str, str]) -> set[str]:
        response = _events(h, headers, action="case.created")
        assert response.status_code == 200, response.text
        return {i["case_id"] for i in response.json()["items"]}

    assert cases_seen(state_auditor) == {str(in_state.id)}
    assert cases_seen(national) == {str(in_state.id), str(elsewhere.id)}
    # Acts of agencies of its state, on no case: the creation of the Maharashtra NGO, not the
    # Karnataka one's.
    agencies = _events(h, state_auditor, action="agency.created").json()["items"]
    created = {o["id"] for i in agencies for o in i["objects"]}
    assert str(elsewhere_owner.id) not in created
    by_case = _events(h, national, case_id=str(elsewhere.id)).json()["items"]
    assert [i["action"] for i in by_case] == ["case.created"]
    assert _events(h, state_auditor, case_id=str(elsewhere.id)).json()["items"] == []


def test_the_event_search_filters_and_pages(h: Harness) -> None:
    _worked_case(h)
    national = h.auth(h.user(h.agency(AgencyType.AUDIT, None), Role.AUDITOR))
    everything = _events(h, national, limit=200).json()["items"]
    assert len(everything) >= 4
    first = everything[0]
    by_actor = (
        _events(h, national, actor_id=first["actor_id"]).json()["items"] if first["actor_id"] else []
    )
    assert all(i["actor_id"] == first["actor_id"] for i in by_actor)
    notes = everything[-1]
    by_agency = _events(h, national, agency_id=notes["agency_id"], action="case.note_added").json()[
        "items"
    ]
    assert len(by_agency) == 2
    window = _events(h, national, **{"from": notes["occurred_at"], "to": "2999-01-01T00:00:00Z"}).json()[
        "items"
    ]
    assert notes["id"] in {i["id"] for i in window}
    assert all(i["occurred_at"] >= notes["occurred_at"] for i in window)
    pages, cursor = [], None
    while True:
        page = _events(h, national, limit=3, **({"cursor": cursor} if cursor else {})).json()
        pages += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i["seq"] for i in pages] == [i["seq"] for i in everything]
    caseworker = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    assert _events(h, caseworker).status_code == 403
    assert _events(h, national, action="DROP TABLE").status_code == 422


def test_a_malformed_cursor_is_422_before_the_case_is_looked_for(h: Harness) -> None:
    _, case, _ = _worked_case(h)
    stranger = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    assert _history(h, case.id, stranger, cursor="%%%").status_code == 422
    assert _history(h, case.id, stranger).status_code == 404
