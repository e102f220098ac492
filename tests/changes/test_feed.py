"""The change feed: sequenced events of the cases the caller sees now, in log order, each
redacted to what it may read of the case now; a polling client under concurrent writes sees
every visible event exactly once and none of another agency's."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.permissions import AgencyType, Role
from app.cases.models import Case
from app.changes import service as feed
from app.ledger.sequencer import sequence_batch
from app.ledger.worker import sequence_pending
from tests.harness import Harness


def _sequence(h: Harness) -> None:
    h.run(lambda: sequence_pending(h.runtime))


def _read(h: Harness, headers: dict[str, str], after: int = -1, **params: Any) -> dict[str, Any]:
    response = h.client.get("/v1/changes", params={"after": after, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _follow(h: Harness, headers: dict[str, str], after: int = -1, **params: Any) -> list[dict[str, Any]]:
    """Everything from ``after`` on, following the cursor until caught up."""
    seen: list[dict[str, Any]] = []
    while True:
        page = _read(h, headers, after, **params)
        seen += page["items"]
        assert page["next_after"] >= after
        after = page["next_after"]
        if page["caught_up"]:
            return seen


def _victim() -> dict[str, Any]:
    """A victim of a name of her own (the same name twice would flag a possible repeat)."""
    name = "".join(chr(ord("a") + b % 26) for b in uuid.uuid4().bytes[:8]).title()
    return {
        "track": "child", "sex": "Female", "age_claimed": 14, "exploitation_types": ["labour"],
        "home_state": "IN-WB", "identity": {"names": [name]},
    }  # fmt: skip


def _case(h: Harness, owner: Any, **kwargs: Any) -> Any:
    return h.case(owner, victim=_victim(), **kwargs)


def _note(h: Harness, case: Any, headers: dict[str, str], sensitivity: str = "general") -> None:
    made = h.client.post(
        f"/v1/cases/{case.id}/notes",
        json={"sensitivity": sensitivity, "body": f"A {sensitivity} note."},
        headers=headers,
    )
    assert made.status_code == 201, made.text


def test_each_agency_follows_its_own_cases_only(h: Harness) -> None:
    mine, theirs = h.agency(AgencyType.NGO, "IN-MH"), h.agency(AgencyType.NGO, "IN-MH")
    me, them = h.auth(h.user(mine, Role.SUPERVISOR)), h.auth(h.user(theirs, Role.SUPERVISOR))
    my_case, their_case = _case(h, mine), _case(h, theirs)
    _note(h, my_case, me)
    _note(h, their_case, them)
    _sequence(h)
    seen = _follow(h, me)
    assert [i["action"] for i in seen] == ["case.created", "case.note_added"]
    assert {i["case_id"] for i in seen} == {str(my_case.id)}
    assert [i["seq"] for i in seen] == sorted(i["seq"] for i in seen)
    assert {i["case_id"] for i in _follow(h, them)} == {str(their_case.id)}
    # A machine client of the agency follows it too (the feed is for state systems).
    client, secret = h.machine_client(mine, ["changes:read"])
    machine = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    assert [i["id"] for i in _follow(h, machine)] == [i["id"] for i in seen]


def test_each_event_carries_only_what_the_reader_may_read_now(h: Harness) -> None:
    owner = h.agency(AgencyType.NGO, "IN-MH")
    police = h.agency(AgencyType.POLICE, "IN-MH")
    supervisor = h.auth(h.user(owner, Role.SUPERVISOR))
    case = _case(h, owner, parties=[police])
    _note(h, case, supervisor, "medical_counselling")
    _sequence(h)
    rescuer = h.auth(h.user(police, Role.POLICE_OFFICER))
    (note,) = [i for i in _follow(h, rescuer) if i["action"] == "case.note_added"]
    body = next(c for c in note["changes"] if c["field"] == "body")
    assert body.get("redacted") is True
    assert "to" not in body
    (own_note,) = [i for i in _follow(h, supervisor) if i["action"] == "case.note_added"]
    assert next(c for c in own_note["changes"] if c["field"] == "body")["to"].startswith("hmac-")


def test_a_case_seen_later_brings_its_earlier_events(h: Harness) -> None:
    """Visibility is decided now: the CWC seized of a case after its rescue follows it from the
    start; before that it saw none of it."""
    owner = h.agency(AgencyType.NGO, "IN-MH")
    cwc = h.agency(AgencyType.CWC, "IN-MH")
    member = h.auth(h.user(cwc, Role.CWC_MEMBER))
    case = _case(h, owner)
    _sequence(h)
    assert _follow(h, member) == []

    async def seize() -> None:
        async with h.runtime.db.transaction() as session:
            await session.execute(
                update(Case).where(Case.id == case.id).values(competent_authority_id=cwc.id)
            )

    h.run(seize)
    assert [i["action"] for i in _follow(h, member)] == ["case.created"]


def test_the_feed_reads_a_window_at_a_time_and_says_when_it_caught_up(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed, "WINDOW", 3)
    mine = h.agency(AgencyType.NGO, "IN-MH")
    me = h.auth(h.user(mine, Role.SUPERVISOR))
    others = [_case(h, h.agency(AgencyType.NGO, "IN-MH")) for _ in range(4)]  # noise in the log
    case = _case(h, mine)
    for _ in range(3):
        _note(h, case, me)
    _sequence(h)
    first = _read(h, me)
    assert first["caught_up"] is False  # a window of three positions, the log longer
    seen = _follow(h, me)
    assert len(seen) == 4
    assert len({i["id"] for i in seen}) == 4
    assert not {i["case_id"] for i in seen} & {str(c.id) for c in others}
    # Page size within a window.
    paged = _follow(h, me, limit=1)
    assert [i["id"] for i in paged] == [i["id"] for i in seen]
    # Nothing new: an empty answer at the end of the log.
    end = _read(h, me, seen[-1]["seq"] + 100)
    assert end == {"items": [], "next_after": seen[-1]["seq"] + 100, "caught_up": True}


def test_the_order_of_checks(h: Harness) -> None:
    assert h.client.get("/v1/changes").status_code == 401
    admin = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.AGENCY_ADMIN))
    assert h.client.get("/v1/changes", headers=admin).status_code == 403
    reader = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER))
    assert h.client.get("/v1/changes?after=-2", headers=reader).status_code == 422
    assert h.client.get("/v1/changes?after=x", headers=reader).status_code == 422
    # A position beyond what the log's columns hold is invalid, not a 500 (an answer could not
    # carry it back as `next_after`); the largest one is simply past the end.
    beyond = h.client.get(f"/v1/changes?after={2**63}", headers=reader)
    assert beyond.status_code == 422, beyond.text
    assert beyond.json()["errors"][0]["loc"] == ["query", "after"]
    last = h.client.get(f"/v1/changes?after={2**63 - 1}", headers=reader)
    assert last.status_code == 200, last.text
    assert last.json() == {"items": [], "next_after": 2**63 - 1, "caught_up": True}


def test_a_poller_under_concurrent_writes_sees_every_visible_event_once(h: Harness) -> None:
    """Writers on two agencies' cases and the sequencer run on the app's event loop while a
    client polls the feed over HTTP; afterwards the client has seen each event of its agency's
    cases exactly once, in log order, and nothing of the other agency's."""
    mine, theirs = h.agency(AgencyType.NGO, "IN-MH"), h.agency(AgencyType.NGO, "IN-MH")
    me = h.auth(h.user(mine, Role.SUPERVISOR))
    my_cases = [_case(h, mine) for _ in range(3)]
    their_cases = [_case(h, theirs) for _ in range(3)]
    writer = Actor(kind="user", id=uuid.uuid4(), agency_id=mine.id, roles=("supervisor",))

    async def write(case: Any, n: int) -> None:
        async with h.runtime.db.transaction() as session:
            ref = ObjectRef("case", case.id)
            await record_event(
                session, writer, "case.updated", [ref], [Change(ref, "home_district", f"D{n}")],
                case_id=case.id,
            )  # fmt: skip

    async def workload() -> None:
        done = asyncio.Event()

        async def writers() -> None:
            for n in range(40):
                cases = my_cases + their_cases
                await asyncio.gather(*[write(c, n) for c in cases])
                await asyncio.sleep(0.005)
            done.set()

        async def sequencer() -> None:
            while not done.is_set():
                async with h.runtime.db.transaction() as session:
                    await sequence_batch(session, h.runtime.now(), 7)
                await asyncio.sleep(0.003)

        await asyncio.gather(writers(), sequencer())

    portal = h.client.portal
    assert portal is not None
    running = portal.start_task_soon(workload)
    seen: list[dict[str, Any]] = []
    after, polls = -1, 0
    while not running.done():
        page = _read(h, me, after, limit=25)
        seen += page["items"]
        after = page["next_after"]
        polls += 1
    running.result()
    _sequence(h)
    seen += _follow(h, me, after)
    assert polls > 3, "the client polled while the writers wrote"
    ids = [i["id"] for i in seen]
    assert len(ids) == len(set(ids)), "an event was seen twice"
    assert [i["seq"] for i in seen] == sorted(i["seq"] for i in seen)
    assert len(ids) == 3 + 3 * 40  # every event of its three cases: created, then 40 changes
    assert {i["case_id"] for i in seen} == {str(c.id) for c in my_cases}
