"""An accept in one statement on PostgreSQL (``app.referrals.statements.accept_at_once``): the
read, every check and the writes in one round trip; anything it does not let through is
answered by the read-then-write path, so the answers are those of every other test here (which
run on both databases). What is particular to it: one statement, the event it writes, its race
lost inside the statement, and a stale token."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.driver import Driver
from tests.harness import Harness
from tests.referrals.support import Referred


def _spy(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The statements sent to the driver, and the referral's reads on their own (by the
    read-then-write path)."""
    from app.referrals import service

    sent: list[str] = []
    reads: list[str] = []
    real_fetch, real_read = Driver.fetch, service.get_referral_view

    async def fetch(self: Driver, statement: Any, params: Any) -> Any:
        sent.append(str(statement)[:40])
        return await real_fetch(self, statement, params)

    async def read(session: Any, principal: Any, referral_id: Any) -> Any:
        reads.append(str(referral_id))
        return await real_read(session, principal, referral_id)

    monkeypatch.setattr(Driver, "fetch", fetch)
    monkeypatch.setattr(service, "get_referral_view", read)
    return sent, reads


@pytest.mark.postgres
def test_an_accept_is_one_statement_with_its_act_and_event(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    referred = Referred(h, type="counselling").to("requested")
    sent, reads = _spy(monkeypatch)
    accepted = referred.post("accept")
    assert accepted.status_code == 200, accepted.text
    assert (len(sent), reads) == (1, []), sent
    monkeypatch.undo()
    # The answer is the referral as a read now gives it.
    assert accepted.json() == referred.read("receiver").json()
    assert accepted.headers["ETag"] == '"2"'
    assert h.sql("SELECT status, version FROM referrals")[0] == ("accepted", 2)
    (act,) = h.sql("SELECT from_status, to_status, actor_id FROM referral_acts WHERE action = 'accept'")
    assert (act[0], act[1], str(act[2])) == ("requested", "accepted", str(referred.users["receiver"].id))
    # The event names the referral and its case, as every referral event does.
    (event,) = h.events("referral.accepted")
    case_id = str(referred.case.id)
    assert str(event.case_id) == case_id
    objects = [{"type": "referral", "id": referred.referral_id}, {"type": "case", "id": case_id}]
    assert event.objects == objects
    # Stored in the same text as the session writes it (the column keeps its text).
    (stored,) = h.sql("SELECT objects::text FROM audit_events WHERE action = 'referral.accepted'")
    assert stored[0] == json.dumps(objects)
    assert event.changes == [
        {"object": "referral", "id": referred.referral_id, "field": "status",
         "from": "requested", "to": "accepted"},
    ]  # fmt: skip
    assert str(event.actor_id) == str(referred.users["receiver"].id)


@pytest.mark.postgres
def test_an_accept_that_moves_the_case_reads_first(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """An adult's home verification from custody also moves her case: not in one statement."""
    referred = Referred(h, type="home_verification", track="adult", stage="safe_custody")
    referred.to("requested")
    sent, reads = _spy(monkeypatch)
    accepted = referred.post("accept")
    assert accepted.status_code == 200, accepted.text
    # The one statement, which wrote nothing; then the read on the driver; the writes go
    # through the request's transaction, where the case is read.
    assert (len(sent), reads) == (2, [referred.referral_id]), sent
    monkeypatch.undo()
    assert h.sql("SELECT status, version FROM referrals")[0] == ("accepted", 2)
    assert h.sql("SELECT count(*) FROM referral_acts WHERE action = 'accept'")[0][0] == 1
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'referral.accepted'")[0][0] == 1
    assert h.sql("SELECT stage, version FROM cases")[0] == ("home_verification", 2)


@pytest.mark.postgres
def test_an_accept_that_loses_inside_its_statement_is_409_and_writes_nothing(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The referral is withdrawn by a transaction that holds its row while the accept runs: the
    accept's read saw it requested, its UPDATE waits for the row, finds it withdrawn once the
    other commits and writes nothing; the answer is the 409 of the referral as it now is, from
    the read that follows."""
    referred = Referred(h, type="counselling").to("requested")
    referral_id = referred.referral_id
    assert referral_id is not None
    sent, reads = _spy(monkeypatch)

    async def race() -> httpx.Response:
        async with h.owner_engine.connect() as other:
            transaction = await other.begin()
            await other.execute(
                text("UPDATE referrals SET status = 'withdrawn', version = version + 1 WHERE id = :id"),
                {"id": uuid.UUID(referral_id)},
            )
            xid = await other.scalar(text("SELECT pg_current_xact_id()::text"))
            transport = httpx.ASGITransport(app=h.client.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                accept = asyncio.ensure_future(
                    client.post(
                        f"/v1/referrals/{referral_id}/accept",
                        json={},
                        headers=referred.headers["receiver"],
                    )
                )
                await _until_waiting_for(h, xid)
                assert not accept.done()
                await transaction.commit()
                return await accept

    lost = h.run(race)
    assert lost.status_code == 409, lost.text
    assert lost.json()["allowed_actions"] == []
    # The one statement (which waited, then wrote nothing) and the read that explains it.
    assert (len(sent), reads) == (2, [referral_id]), sent
    monkeypatch.undo()
    assert h.sql("SELECT status, version FROM referrals")[0] == ("withdrawn", 2)
    assert h.sql("SELECT count(*) FROM referral_acts WHERE action = 'accept'")[0][0] == 0
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'referral.accepted'")[0][0] == 0


async def _until_waiting_for(h: Harness, xid: str) -> None:
    """Until a transaction waits for ``xid`` to end (``pg_locks`` shows every role's waits)."""
    for _ in range(250):
        async with h.owner_engine.connect() as watcher:
            waiting = await watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' "
                    "AND transactionid::text = :xid AND NOT granted"
                ),
                {"xid": xid},
            )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the accept never waited for the referral's row")


def test_an_accept_with_a_token_gone_stale_is_401_and_writes_nothing(h: Harness) -> None:
    """The currency check is one of the statement's conditions: a stale token finds no row, and
    the read-then-write path says 401 (on both databases)."""
    referred = Referred(h, type="medical").to("requested")
    h.sql("UPDATE users SET authz_version = authz_version + 1 WHERE username = :name",
          name=referred.users["receiver"].username)  # fmt: skip
    refused = referred.post("accept")
    assert refused.status_code == 401, refused.text
    assert h.sql("SELECT status, version FROM referrals")[0] == ("requested", 1)
    assert h.sql("SELECT count(*) FROM referral_acts WHERE action = 'accept'")[0][0] == 0
