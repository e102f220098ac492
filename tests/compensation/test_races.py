"""Two principals acting on one claim at the same moment: exactly one action applies, the other
is told 409 with what it may do now, and nothing is half-applied (on both databases: each
request commits for real)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.compensation.support import AWARD, Claimed
from tests.harness import Harness

# race -> (the state it starts from, [(what, who)], the loser's allowed actions after the win)
RACES: dict[str, tuple[str, list[tuple[str, str]], list[str]]] = {
    # Two officers paying the whole award at once: it is paid once.
    "two_full_payments": ("decided", [("disburse", "forum"), ("disburse", "forum_2")], []),
    "two_withdrawals": (
        "applied",
        [("withdraw", "owner_caseworker"), ("withdraw", "owner_supervisor")],
        [],
    ),
    # Two officers deciding at once: one order, one decision (awards keep the claim, and so the
    # forum's view of the case, open: the loser is told 409, not 404).
    "two_decisions": ("applied", [("decide", "forum"), ("decide", "forum_2")], ["disburse"]),
}


def _request(claimed: Claimed, what: str, who: str) -> tuple[str, dict[str, Any]]:
    if what == "decide":
        return f"/v1/cases/{claimed.case.id}/orders", claimed.decision(as_=who)
    return f"/v1/compensation-claims/{claimed.claim_id}/{what}", claimed.body_for(what)


@pytest.mark.parametrize("race", sorted(RACES))
def test_one_of_two_concurrent_actions_applies(h: Harness, race: str) -> None:
    start, contenders, loser_may = RACES[race]
    claimed = Claimed(h).to(start)
    requests = [_request(claimed, what, who) for what, who in contenders]

    async def together() -> list[Any]:
        transport = httpx.ASGITransport(app=h.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(
                await asyncio.gather(
                    *[
                        client.post(url, json=body, headers=claimed.headers[who])
                        for (url, body), (_, who) in zip(requests, contenders, strict=True)
                    ]
                )
            )

    answers = h.run(together)
    codes = sorted(a.status_code for a in answers)
    assert codes[1] == 409, [a.text for a in answers]
    assert codes[0] in (200, 201), [a.text for a in answers]
    problem = next(a for a in answers if a.status_code == 409).json()
    assert problem["allowed_actions"] == loser_may
    # Exactly one act past the start, one event, one order at most; the claim moved once.
    acts = h.sql("SELECT action FROM compensation_claim_acts")
    assert len(acts) == len(_path(start)) + 2
    what = contenders[0][0]
    event = {"disburse": "disbursed", "withdraw": "withdrawn", "decide": "decided"}[what]
    assert len(h.events(f"compensation.{event}")) == 1
    status, version, paid = h.sql(
        "SELECT status, version, amount_disbursed_paise FROM compensation_claims"
    )[0]
    assert version == len(_path(start)) + 2
    orders = h.sql("SELECT count(*) FROM orders")[0][0]
    assert orders == (1 if start == "decided" or what == "decide" else 0)
    if what == "disburse":
        assert (status, paid) == ("disbursed", AWARD)
    elif what == "withdraw":
        assert status == "withdrawn"
    else:
        assert status == "decided"


def _path(status: str) -> list[str]:
    from tests.compensation.support import PATH

    return PATH[status]


def test_losing_the_conditional_update_is_409_and_applies_nothing(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser's path itself: another action commits between this request's read and its
    UPDATE (simulated in the request's own transaction, so it runs the same on both databases:
    on SQLite the real race is settled earlier, by BEGIN IMMEDIATE). For the decision, the order
    it had made is rolled back with it."""
    from sqlalchemy import update

    from app.compensation import service
    from app.compensation.models import CompensationClaim

    claimed = Claimed(h).to("applied")
    real = service._not_before_last

    async def someone_else_first(session: Any, claim_id: Any, occurred_at: Any) -> Any:
        await session.execute(
            update(CompensationClaim)
            .where(CompensationClaim.id == claim_id)
            .values(version=CompensationClaim.version + 1)
            .execution_options(synchronize_session=False)
        )
        return await real(session, claim_id, occurred_at)

    monkeypatch.setattr(service, "_not_before_last", someone_else_first)
    lost = claimed.decide()
    assert lost.status_code == 409, lost.text
    monkeypatch.undo()
    assert h.sql("SELECT status, version FROM compensation_claims")[0] == ("applied", 1)
    assert h.sql("SELECT count(*) FROM orders")[0][0] == 0
    assert h.sql("SELECT count(*) FROM compensation_claim_acts WHERE action = 'decide'")[0][0] == 0
    assert h.sql("SELECT count(*) FROM audit_events WHERE action = 'order.issued'")[0][0] == 0
    met = h.sql("SELECT met_at FROM deadlines WHERE rule_id = 'BNSS396_COMPENSATION'")
    assert met == [(None,)]
