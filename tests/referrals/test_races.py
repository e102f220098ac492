"""Two principals acting on one referral at the same moment: exactly one action applies, the other
is told 409 with what it may do now, and nothing is half-applied (on both databases: each
request commits for real)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.harness import Harness
from tests.referrals.support import Referred

# With an adult's home verification from safe custody an accept also moves her case, so a race
# shows whether the case moved exactly once.
RACES = {
    "two_accepts": [("accept", "receiver"), ("accept", "receiver_supervisor")],
    # Not accept against withdraw: a referrer may withdraw an accepted referral, so both apply.
    "accept_against_decline": [("accept", "receiver"), ("decline", "receiver_supervisor")],
    "decline_against_withdraw": [("decline", "receiver_supervisor"), ("withdraw", "owner_supervisor")],
}
# What the loser may do once the winner's action applied.
AFTER = {
    "accepted": {
        "receiver": ["complete"],
        "receiver_supervisor": ["complete"],
    }
}
EVENTS = {
    "accept": "referral.accepted",
    "decline": "referral.declined",
    "withdraw": "referral.withdrawn",
}


# An accept that moves the case is read, then written in the request's transaction; any other
# accept is one statement on PostgreSQL (``app.referrals.statements_pg.accept_at_once``).
@pytest.mark.parametrize("kind", ["home_verification", "counselling"])
@pytest.mark.parametrize("race", sorted(RACES))
def test_one_of_two_concurrent_actions_applies(h: Harness, race: str, kind: str) -> None:
    contenders = RACES[race]
    referred = Referred(h, type=kind, track="adult", stage="safe_custody")
    referred.to("requested")
    bodies = {action: referred.body_for(action) for action, _ in contenders}

    async def together() -> list[Any]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(
                await asyncio.gather(
                    *[
                        client.post(
                            f"/v1/referrals/{referred.referral_id}/{action}",
                            json=bodies[action],
                            headers=referred.headers[who],
                        )
                        for action, who in contenders
                    ]
                )
            )

    answers = h.run(together)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()
    loser = next(who for (_, who), a in zip(contenders, answers, strict=True) if a.status_code == 409)
    problem = next(a for a in answers if a.status_code == 409).json()
    assert problem["allowed_actions"] == AFTER.get(winner["status"], {}).get(loser, [])
    # Exactly one act and one event past the request; the case moved at most once, coherently.
    acts = h.sql("SELECT action FROM referral_acts WHERE action <> 'create'")
    assert len(acts) == 1
    names = ", ".join(f"'{e}'" for e in EVENTS.values())
    assert h.sql(f"SELECT count(*) FROM audit_events WHERE action IN ({names})")[0][0] == 1
    status, version = h.sql("SELECT status, version FROM referrals")[0]
    assert (status, version) == (winner["status"], 2)
    stage, case_version = h.sql("SELECT stage, version FROM cases")[0]
    if winner["status"] == "accepted" and kind == "home_verification":
        assert (stage, case_version) == ("home_verification", 2)
    else:
        assert (stage, case_version) == ("safe_custody", 1)


def _after_the_read(monkeypatch: pytest.MonkeyPatch, then: Any) -> None:
    """Run ``then(session, referral_id)`` once, right after the action's read of the referral."""
    from app.referrals import service

    real, done = service.get_referral_view, []

    async def read_then(session: Any, principal: Any, referral_id: Any) -> Any:
        view = await real(session, principal, referral_id)
        if not done:
            done.append(True)
            await then(session, referral_id)
        return view

    monkeypatch.setattr(service, "get_referral_view", read_then)


def test_losing_the_conditional_update_is_409_and_applies_nothing(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser's path itself: another action lands between this request's read and its
    UPDATE (simulated in the request's own transaction, so it runs the same on both databases:
    on SQLite the real race is settled earlier, by BEGIN IMMEDIATE). A decline: on PostgreSQL
    an accept is read and written in one statement (``test_accept_at_once``)."""
    from sqlalchemy import update

    from app.referrals.models import Referral

    referred = Referred(h, type="counselling").to("requested")

    async def someone_else_first(session: Any, referral_id: Any) -> None:
        await session.execute(
            update(Referral)
            .where(Referral.id == referral_id)
            .values(status="withdrawn", version=Referral.version + 1)
            .execution_options(synchronize_session=False)
        )

    _after_the_read(monkeypatch, someone_else_first)
    lost = referred.post("decline")
    assert lost.status_code == 409, lost.text
    # The referral as the winner left it: withdrawn, nothing left to do.
    assert lost.json()["allowed_actions"] == []
    monkeypatch.undo()
    # And the whole request rolled back: the simulated winner too; the decline never happened.
    assert h.sql("SELECT status, version FROM referrals")[0] == ("requested", 1)
    assert h.sql("SELECT count(*) FROM referral_acts WHERE action = 'decline'")[0][0] == 0
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'referral.declined'")[0][0] == 0


@pytest.mark.postgres
def test_losing_to_an_action_committed_in_between_is_409_and_writes_nothing(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an action (but the common accept) is read, then written in one statement
    on the driver: another action committed in between (for real, in its own transaction)
    leaves the guarded UPDATE without a row, and the act and the event of the statement are
    not written either."""
    from sqlalchemy import update

    from app.referrals.models import Referral

    referred = Referred(h, type="counselling").to("requested")

    async def withdrawn_meanwhile(session: Any, referral_id: Any) -> None:
        assert not session.in_transaction()  # the read went to the driver
        async with h.runtime.db.transaction() as other:
            await other.execute(
                update(Referral)
                .where(Referral.id == referral_id)
                .values(status="withdrawn", version=Referral.version + 1)
            )

    _after_the_read(monkeypatch, withdrawn_meanwhile)
    lost = referred.post("decline")
    assert lost.status_code == 409, lost.text
    assert lost.json()["allowed_actions"] == []
    monkeypatch.undo()
    assert h.sql("SELECT status, version FROM referrals")[0] == ("withdrawn", 2)
    assert h.sql("SELECT count(*) FROM referral_acts WHERE action = 'decline'")[0][0] == 0
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'referral.declined'")[0][0] == 0
