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
