"""An agency closes only after the system administrator names a successor of the same type and
state, which takes over its open cases (one event per case) and its place in open transfers."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.transfers_support import World, db_id


@pytest.fixture
def sysadmin(h: Harness) -> dict[str, str]:
    return h.auth(h.user(h.agency(AgencyType.PLATFORM), Role.SYSTEM_ADMIN))


def _succeed(h: Harness, headers: dict[str, str], agency: Any, successor: Any) -> Any:
    return h.client.post(
        f"/v1/agencies/{agency.id}/successor",
        json={"successor_id": str(successor.id)},
        headers=headers,
    )


def _hex(value: Any) -> str:
    return str(value).replace("-", "")


def test_an_ngo_with_open_work_closes_only_after_its_successor_takes_it(
    h: Harness, sysadmin: dict[str, str]
) -> None:
    world = World(h).to("consultation_requested")
    closing = world.sending_agency
    closed_case = h.case(closing)
    h.sql("UPDATE cases SET stage = 'closed' WHERE id = :i", i=db_id(h, closed_case.id))
    staff = h.user(closing, Role.CASEWORKER)
    h.sql(
        "INSERT INTO case_assignees (case_id, user_id, assigned_at) VALUES (:c, :u, :t)",
        c=db_id(h, world.case.id),
        u=db_id(h, staff.id),
        t=h.runtime.now(),
    )

    refused = h.client.post(f"/v1/agencies/{closing.id}/deactivate", headers=sysadmin)
    assert refused.status_code == 409
    assert refused.json()["allowed_actions"] == ["successor"]
    # The successor is of the same type and state.
    assert _succeed(h, sysadmin, closing, h.agency(AgencyType.DCPU, "IN-MH")).status_code == 422
    assert _succeed(h, sysadmin, closing, h.agency(AgencyType.NGO, "IN-GJ")).status_code == 422
    assert _succeed(h, sysadmin, closing, closing).status_code == 422

    successor = h.agency(AgencyType.NGO, "IN-MH")
    named = _succeed(h, sysadmin, closing, successor)
    assert named.status_code == 200, named.text
    assert named.json()["successor_id"] == str(successor.id)

    owners = dict(h.sql("SELECT id, owner_agency_id FROM cases"))
    by_case = {_hex(k): _hex(v) for k, v in owners.items()}
    assert by_case[world.case.id.hex] == successor.id.hex  # the open case moved
    assert by_case[closed_case.id.hex] == closing.id.hex  # the closed one stays where it was
    assert h.sql("SELECT count(*) FROM case_assignees")[0][0] == 0
    events = h.sql("SELECT case_id FROM audit_events WHERE action = 'case.succeeded'")
    assert [_hex(row[0]) for row in events] == [world.case.id.hex]
    assert _hex(h.sql("SELECT sending_agency_id FROM transfers")[0][0]) == successor.id.hex

    # The successor's staff now act on the case; then the old agency may close.
    supervisor = h.auth(h.user(successor, Role.SUPERVISOR))
    read = h.client.get(f"/v1/cases/{world.case.id}", headers=supervisor)
    assert read.status_code == 200
    assert "owner" in read.json()["relations"]
    assert h.client.post(f"/v1/agencies/{closing.id}/deactivate", headers=sysadmin).status_code == 200


def test_a_cwc_successor_is_seized_of_the_open_cases(h: Harness, sysadmin: dict[str, str]) -> None:
    world = World(h).to("consultation_answered")
    successor = h.agency(AgencyType.CWC, "IN-MH")
    assert _succeed(h, sysadmin, world.sending_authority, successor).status_code == 200
    authority = h.sql("SELECT competent_authority_id FROM cases")[0][0]
    assert _hex(authority) == successor.id.hex
    assert _hex(h.sql("SELECT sending_authority_id FROM transfers")[0][0]) == successor.id.hex
    member = h.auth(h.user(successor, Role.CWC_MEMBER))
    # The successor's members take the transfer on: they may order it now.
    listed = h.client.get(f"/v1/transfers/{world.transfer_id}", headers=member).json()
    assert "order" in listed["allowed_actions"]


def test_an_agency_without_open_work_closes_without_a_successor(
    h: Harness, sysadmin: dict[str, str]
) -> None:
    quiet = h.agency(AgencyType.NGO, "IN-MH")
    assert h.client.post(f"/v1/agencies/{quiet.id}/deactivate", headers=sysadmin).status_code == 200


def test_work_taken_on_after_naming_moves_as_the_agency_closes(
    h: Harness, sysadmin: dict[str, str]
) -> None:
    closing = h.agency(AgencyType.NGO, "IN-MH")
    successor = h.agency(AgencyType.NGO, "IN-MH")
    assert _succeed(h, sysadmin, closing, successor).status_code == 200
    world = World(h, sending_agency=closing).to("draft")  # a case and a transfer after naming
    closed = h.client.post(f"/v1/agencies/{closing.id}/deactivate", headers=sysadmin)
    assert closed.status_code == 200, closed.text
    assert _hex(h.sql("SELECT owner_agency_id FROM cases")[0][0]) == successor.id.hex
    assert _hex(h.sql("SELECT sending_agency_id FROM transfers")[0][0]) == successor.id.hex
    events = h.sql("SELECT action FROM audit_events WHERE action LIKE '%.succeeded'")
    assert sorted(row[0] for row in events) == ["case.succeeded", "transfer.succeeded"]
    assert world.transfer_id is not None
