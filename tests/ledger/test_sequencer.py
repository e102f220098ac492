"""The sequencer and the log's endpoints: every committed event sequenced exactly once, in
contiguous positions, the stored tree agreeing with RFC 9162 recomputed from the events
themselves, under concurrent writers; checkpoints signed and consistent with one another; the
log tables append-only on both databases."""

from __future__ import annotations

import asyncio
import base64
import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from app.audit.events import SYSTEM, ObjectRef, record_event
from app.auth.permissions import AgencyType, Role
from app.ledger import merkle
from app.ledger.leaf import FIELDS, event_document, event_leaf_hash
from app.ledger.sequencer import make_checkpoint, sequence_batch
from app.ledger.signing import checkpoint_text, verify
from app.ledger.worker import sequence_pending
from tests.harness import Harness


def _sequence_all(h: Harness, limit: int = 5000) -> int:
    return h.run(lambda: sequence_pending(h.runtime, limit))


def test_the_sequencer_stops_at_a_batch_that_was_not_full(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that was not full took everything queued: the round ends there. (Asking again
    until a batch finds nothing had the sequencer follow steady writers a few events at a
    time, a transaction each, without ever sleeping.)"""
    from app.ledger import worker

    _sequence_all(h)
    _write_events(h, 7)
    sizes: list[int] = []
    real = worker.sequence_batch

    async def counted(session: Any, now: Any, limit: int) -> int:
        sizes.append(await real(session, now, limit))
        return sizes[-1]

    monkeypatch.setattr(worker, "sequence_batch", counted)
    assert h.run(lambda: worker.sequence_pending(h.runtime, 3)) == 7
    assert sizes == [3, 3, 1]
    # Nothing is left behind: every event has its position.
    assert h.sql("SELECT count(*) FROM log_pending")[0][0] == 0
    _write_events(h, 3)
    sizes.clear()
    assert h.run(lambda: worker.sequence_pending(h.runtime, 3)) == 3
    assert sizes == [3, 0]  # a full batch may have left some: one more look


def _write_events(h: Harness, count: int) -> None:
    """``count`` writers at once, each committing one event in its own transaction."""

    async def one(n: int) -> None:
        async with h.runtime.db.transaction() as session:
            await record_event(session, SYSTEM, "test.written", [ObjectRef("case", uuid.uuid4())])

    async def all_at_once() -> None:
        await asyncio.gather(*[one(n) for n in range(count)])

    h.run(all_at_once)


def _events_by_position(h: Harness) -> list[dict[str, Any]]:
    columns = ", ".join(f"e.{name}" for name in FIELDS)
    rows = h.sql(
        f"SELECT l.position, l.leaf_hash, {columns} FROM log_leaves l"
        " JOIN audit_events e ON e.id = l.event_id ORDER BY l.position"
    )
    return [dict(zip(("position", "leaf_hash", *FIELDS), row, strict=True)) for row in rows]


def _naive_root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = merkle._split(len(leaves))
    return merkle.node_hash(_naive_root(leaves[:k]), _naive_root(leaves[k:]))


def test_every_event_is_sequenced_once_in_contiguous_positions(h: Harness) -> None:
    _write_events(h, 50)
    first = _sequence_all(h, limit=7)
    assert first >= 50
    assert _sequence_all(h) == 0  # nothing twice
    sequenced = _events_by_position(h)
    assert [e["position"] for e in sequenced] == list(range(len(sequenced)))
    assert h.sql("SELECT count(*) FROM audit_events")[0][0] == len(sequenced)
    assert len({e["id"] for e in sequenced}) == len(sequenced)


def test_an_event_committed_long_after_it_occurred_is_still_sequenced(h: Harness) -> None:
    """Its transaction stayed open (a slow request): it reaches the queue only as it commits,
    and is sequenced then, however far the log has moved on past its time."""
    from sqlalchemy import insert

    from app.audit.models import AuditEvent

    _write_events(h, 3)
    _sequence_all(h)
    long_ago = h.runtime.now().replace(year=2020)
    late = uuid.uuid4()

    async def write_late() -> None:
        async with h.runtime.db.transaction() as session:
            await session.execute(
                insert(AuditEvent).values(
                    id=late, occurred_at=long_ago, actor_type="system", roles=[],
                    action="test.late", objects=[], changes=[],
                )
            )  # fmt: skip

    h.run(write_late)
    assert _sequence_all(h) == 1
    positions = h.sql("SELECT position FROM log_leaves ORDER BY position")
    assert [p[0] for p in positions] == list(range(4))
    assert h.sql("SELECT count(*) FROM log_pending")[0][0] == 0


def test_the_leaf_binds_the_event_to_its_position_and_each_of_its_parts(h: Harness) -> None:
    event = {
        "id": str(uuid.uuid4()), "occurred_at": "2026-12-04T10:00:00.000000Z", "action": "test",
        "case_id": None, "actor_type": "system", "actor_id": None, "agency_id": None,
        "roles": [], "client_id": None, "request_id": None,
        "objects": [{"type": "case", "id": "x"}],
        "changes": [{"object": "case", "id": "x", "field": "stage", "from": None, "to": "closed"}],
    }  # fmt: skip
    nonce = b"n" * 16
    assert event_leaf_hash(0, event, nonce) != event_leaf_hash(1, event, nonce)
    assert event_leaf_hash(0, event, nonce) != event_leaf_hash(0, event, b"m" * 16)
    changed = {**event, "changes": [{**event["changes"][0], "to": "open"}]}
    assert event_leaf_hash(0, event, nonce) != event_leaf_hash(0, changed, nonce)


def test_the_stored_tree_is_the_tree_of_the_events_themselves(h: Harness) -> None:
    _write_events(h, 37)
    _sequence_all(h)
    rows = _events_by_position(h)
    recomputed = []
    for row in rows:
        event = h.run(lambda r=row: _as_event(h, r))
        recomputed.append(event_leaf_hash(row["position"], event_document(event), event["nonce"]))
    assert [bytes(r["leaf_hash"]) for r in rows] == recomputed
    response = h.client.get("/v1/audit/checkpoint?fresh=true", headers=_auditor(h))
    assert response.status_code == 200, response.text
    head = response.json()
    assert head["tree_size"] == len(rows)
    assert base64.b64decode(head["root_hash"]) == _naive_root(recomputed)


async def _as_event(h: Harness, row: dict[str, Any]) -> dict[str, Any]:
    """The event as the ORM reads it (typed values), from its id."""
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    async with h.runtime.db.transaction() as session:
        found = (
            await session.execute(select(AuditEvent).where(AuditEvent.id == _uuid(row["id"])))
        ).scalar_one()
        return {name: getattr(found, name) for name in (*FIELDS, "nonce")}


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _auditor(h: Harness) -> dict[str, str]:
    return h.auth(h.user(h.agency(AgencyType.AUDIT), Role.AUDITOR))


def test_writers_and_the_sequencer_concurrently_and_checkpoints_stay_consistent(h: Harness) -> None:
    auditor = _auditor(h)
    heads = []

    async def writers_and_sequencer() -> None:
        async def sequencer() -> None:
            for _ in range(20):
                async with h.runtime.db.transaction() as session:
                    await sequence_batch(session, h.runtime.now(), 11)
                await asyncio.sleep(0)

        async def one() -> None:
            async with h.runtime.db.transaction() as session:
                await record_event(session, SYSTEM, "test.written", [ObjectRef("case", uuid.uuid4())])

        await asyncio.gather(sequencer(), *[one() for _ in range(50)], sequencer())

    for _ in range(3):
        h.run(writers_and_sequencer)
        _sequence_all(h)
        heads.append(h.client.get("/v1/audit/checkpoint?fresh=true", headers=auditor).json())
    sequenced = _events_by_position(h)
    assert [e["position"] for e in sequenced] == list(range(len(sequenced)))
    assert h.sql("SELECT count(*) FROM audit_events")[0][0] == len(sequenced)
    for earlier, later in itertools.pairwise(heads):
        proof = h.client.get(
            f"/v1/audit/proofs/consistency?first={earlier['tree_size']}&second={later['tree_size']}",
            headers=auditor,
        ).json()
        assert merkle.verify_consistency(
            earlier["tree_size"],
            later["tree_size"],
            base64.b64decode(earlier["root_hash"]),
            base64.b64decode(later["root_hash"]),
            [base64.b64decode(p) for p in proof["path"]],
        )
    # Every event's inclusion in the last checkpoint verifies.
    last = heads[-1]
    for seq in (0, len(sequenced) // 2, len(sequenced) - 1):
        proof = h.client.get(
            f"/v1/audit/proofs/inclusion?seq={seq}&tree_size={last['tree_size']}", headers=auditor
        ).json()
        assert merkle.verify_inclusion(
            base64.b64decode(proof["leaf_hash"]),
            seq,
            last["tree_size"],
            [base64.b64decode(p) for p in proof["path"]],
            base64.b64decode(last["root_hash"]),
        )


def test_checkpoints_are_signed_and_a_foreign_signature_is_refused(h: Harness) -> None:
    from app.ledger.signing import LogSigner

    _write_events(h, 3)
    _sequence_all(h)

    async def sign() -> Any:
        async with h.runtime.db.transaction() as session:
            return await make_checkpoint(session, h.runtime.log_signer, "test.origin", h.runtime.now())

    made = h.run(sign)
    message = checkpoint_text(made.origin, made.tree_size, made.root_hash, made.signed_at)
    assert verify(h.runtime.log_signer.public_key, message, made.signature)
    stranger = LogSigner.from_secret(b"another deployment")
    assert not verify(stranger.public_key, message, made.signature)
    assert not verify(
        h.runtime.log_signer.public_key, message.replace(b"\n3\n", b"\n4\n"), made.signature
    )


def test_proofs_refuse_sizes_the_log_has_not_reached(h: Harness) -> None:
    _write_events(h, 2)
    _sequence_all(h)
    auditor = _auditor(h)
    size = h.sql("SELECT count(*) FROM log_leaves")[0][0]
    beyond = h.client.get(f"/v1/audit/proofs/inclusion?seq=0&tree_size={size + 1}", headers=auditor)
    assert beyond.status_code == 422, beyond.text
    outside = h.client.get(f"/v1/audit/proofs/inclusion?seq={size}&tree_size={size}", headers=auditor)
    assert outside.status_code == 422, outside.text
    caseworker = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.CASEWORKER))
    assert h.client.get("/v1/audit/checkpoint", headers=caseworker).status_code == 403


@pytest.mark.parametrize("table", ["audit_events", "log_leaves", "log_nodes", "log_checkpoints"])
def test_the_log_tables_refuse_update_and_delete_through_the_api(h: Harness, table: str) -> None:
    _write_events(h, 2)
    _sequence_all(h)
    h.client.get("/v1/audit/checkpoint?fresh=true", headers=_auditor(h))

    async def attempt(statement: str) -> str:
        async with h.runtime.db.engine.connect() as conn:
            try:
                await conn.execute(text(statement))
            except Exception as exc:
                await conn.rollback()
                return str(exc)
            await conn.rollback()
            return "allowed"

    column = {"audit_events": "action", "log_leaves": "leaf_hash", "log_nodes": "hash",
              "log_checkpoints": "origin"}[table]  # fmt: skip
    for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        outcome = h.run(lambda s=statement: attempt(s))
        assert outcome != "allowed", statement
        assert "append-only" in outcome or "permission denied" in outcome, outcome
