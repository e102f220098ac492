"""Two principals acting on one transfer at the same moment: exactly one action applies, the
other is told 409 with what it may do now, and nothing is half-applied (on both databases: each
request commits for real)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.harness import Harness
from tests.transfers_support import World

RACES = {
    "decline_against_cancel_at_ordered": (
        "ordered",
        [("decline", "receiving_authority"), ("cancel", "sending_authority")],
    ),
    "accept_against_decline_at_handed_over": (
        "handed_over",
        [("accept", "receiving_supervisor"), ("decline", "receiving_authority")],
    ),
    "two_accepts": (
        "handed_over",
        [("accept", "receiving_supervisor"), ("accept", "receiving_authority")],
    ),
}


@pytest.mark.parametrize("race", sorted(RACES))
def test_one_of_two_concurrent_actions_applies(h: Harness, race: str) -> None:
    status, contenders = RACES[race]
    world = World(h).to(status)
    bodies = {action: world.body_for(action) for action, _ in contenders}

    async def together() -> list[Any]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(
                await asyncio.gather(
                    *[
                        client.post(
                            f"/v1/transfers/{world.transfer_id}/{action}",
                            json=bodies[action],
                            headers=world.headers[who],
                        )
                        for action, who in contenders
                    ]
                )
            )

    answers = h.run(together)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["allowed_actions"] == []  # the transfer has ended for everyone
    # Exactly one act and one event past the starting state; the case moved once, coherently.
    acts = h.sql("SELECT action FROM transfer_acts WHERE action IN ('accept','decline','cancel')")
    assert len(acts) == 1
    events = h.sql(
        "SELECT count(*) FROM audit_events WHERE action IN "
        "('transfer.accepted','transfer.declined','transfer.cancelled')"
    )
    assert events[0][0] == 1
    stage, owner = h.sql("SELECT stage, owner_agency_id FROM cases")[0]
    if winner["status"] == "accepted":
        assert stage == "received_home"
        assert str(owner).replace("-", "") == world.receiving_agency.id.hex
    else:
        assert stage == "under_inquiry"
        assert str(owner).replace("-", "") == world.sending_agency.id.hex


def test_losing_the_conditional_update_is_409_and_applies_nothing(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser's path itself: another action commits between this request's read and its
    UPDATE (simulated in the request's own transaction, so it runs the same on both databases:
    on SQLite the real race is settled earlier, by BEGIN IMMEDIATE)."""
    from sqlalchemy import update

    from app.transfers import service
    from app.transfers.models import Transfer

    world = World(h).to("ordered")
    real = service._last_occurred

    async def someone_else_first(session: Any, transfer_id: Any) -> Any:
        await session.execute(
            update(Transfer)
            .where(Transfer.id == transfer_id)
            .values(status="cancelled", version=Transfer.version + 1)
            .execution_options(synchronize_session=False)
        )
        return await real(session, transfer_id)

    monkeypatch.setattr(service, "_last_occurred", someone_else_first)
    lost = world.post("decline")
    assert lost.status_code == 409, lost.text
    # The transfer as the winner left it: ended, nothing left to do.
    assert lost.json()["allowed_actions"] == []
    monkeypatch.undo()
    # And the whole request rolled back: the simulated winner too, the decline never happened.
    assert h.sql("SELECT status, version FROM transfers")[0] == ("ordered", 4)
    assert h.sql("SELECT count(*) FROM transfer_acts WHERE action = 'decline'")[0][0] == 0
    assert h.sql("SELECT stage FROM cases")[0][0] == "in_transfer"
