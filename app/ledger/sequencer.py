"""The one sequencer: gives each committed audit event its position in the global order and its
leaf hash, and stores the complete subtrees each new leaf finishes; makes signed checkpoints.

Writers never wait for it: they insert events in their own transactions as before. A batch runs
in one transaction holding the sequencer's lock (PostgreSQL: a transaction-level advisory lock,
so several API processes take turns; SQLite: BEGIN IMMEDIATE), reads committed events that have
no position yet, and appends them. Positions are contiguous because only the lock holder writes
them, and an event is sequenced once because ``log_leaves.event_id`` is unique.

Which events: those on the queue (``log_pending``), where a trigger puts each event in its own
transaction, so an event becomes visible to the sequencer exactly when it commits, however long
its transaction stayed open; the batch removes what it sequenced from the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.ledger import merkle
from app.ledger.leaf import FIELDS, event_document, event_leaf_hash
from app.ledger.models import Checkpoint, LogLeaf, LogNode, LogPending
from app.ledger.signing import LogSigner, checkpoint_text

BATCH = 5000
# The advisory lock's key: "homecoming sequencer" in ASCII, folded to a bigint.
LOCK_KEY = 0x686F6D6573657131


async def _locked(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # the write transaction's BEGIN IMMEDIATE holds SQLite's one write lock
    got = await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    return bool(got.scalar())


async def tree_size(session: AsyncSession) -> int:
    last = (await session.execute(select(func.max(LogLeaf.position)))).scalar()
    return 0 if last is None else int(last) + 1


def frontier(size: int) -> list[merkle.Node]:
    """The complete subtrees a tree of ``size`` leaves ends with (one per set bit of ``size``):
    all that appending a leaf can combine with."""
    nodes, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


async def fetch_nodes(session: AsyncSession, wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
    if not wanted:
        return {}
    rows = await session.execute(
        select(LogNode.level, LogNode.index, LogNode.hash).where(
            tuple_(LogNode.level, LogNode.index).in_(sorted(wanted))
        )
    )
    return {(int(level), int(index)): digest for level, index, digest in rows}


async def _unsequenced(session: AsyncSession, limit: int) -> list[Mapping[str, Any]]:
    """Up to ``limit`` queued events, in the order they occurred. The queue is read first and on
    its own: joined, the planner may walk the whole log by time to find the few it holds."""
    queued = await session.execute(select(LogPending.event_id).limit(limit))
    ids = list(queued.scalars())
    if not ids:
        return []
    statement = (
        select(*[getattr(AuditEvent, name) for name in FIELDS], AuditEvent.nonce)
        .where(AuditEvent.id.in_(ids))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


async def sequence_batch(session: AsyncSession, now: datetime, limit: int = BATCH) -> int:
    """Sequence up to ``limit`` events in the session's transaction; the number sequenced (0 when
    another sequencer holds the lock or nothing is waiting)."""
    if not await _locked(session):
        return 0
    size = await tree_size(session)
    events = await _unsequenced(session, limit)
    if not events:
        return 0
    known = await fetch_nodes(session, set(frontier(size)))
    leaves, nodes = [], []
    for offset, row in enumerate(events):
        position = size + offset
        digest = event_leaf_hash(position, event_document(row), row["nonce"])
        leaves.append(
            {"position": position, "event_id": row["id"], "leaf_hash": digest, "sequenced_at": now}
        )
        for level, index in merkle.completed_by(position):
            if level == 0:
                value = digest
            else:
                value = merkle.node_hash(
                    known[(level - 1, 2 * index)], known[(level - 1, 2 * index + 1)]
                )
            known[(level, index)] = value
            nodes.append({"level": level, "index": index, "hash": value})
    await session.execute(insert(LogLeaf), leaves)
    await session.execute(insert(LogNode), nodes)
    await session.execute(
        delete(LogPending).where(
            LogPending.event_id.in_(select(LogLeaf.event_id).where(LogLeaf.position >= size))
        )
    )
    return len(events)


@dataclass(frozen=True)
class SignedHead:
    tree_size: int
    root_hash: bytes
    signed_at: datetime
    origin: str
    key_fingerprint: str
    signature: bytes


async def root_at(session: AsyncSession, size: int) -> bytes:
    """The tree head of the first ``size`` leaves, from the stored subtrees."""
    wanted = merkle.plan(lambda nodes: merkle.root(nodes, size))
    stored = await fetch_nodes(session, wanted)
    return merkle.root(lambda level, index: stored[(level, index)], size)


async def latest_checkpoint(session: AsyncSession) -> Checkpoint | None:
    found = await session.execute(select(Checkpoint).order_by(Checkpoint.tree_size.desc()).limit(1))
    return found.scalar_one_or_none()


async def make_checkpoint(
    session: AsyncSession,
    signer: LogSigner,
    origin: str,
    now: datetime,
    *,
    size: int | None = None,
) -> Checkpoint | None:
    """Sign the tree at ``size`` (default: all sequenced) unless a checkpoint of that size exists
    already (then that one is the answer); None for an empty log."""
    size = await tree_size(session) if size is None else size
    if size == 0:
        return None
    existing = await session.get(Checkpoint, size)
    if existing is not None:
        return existing
    root_hash = await root_at(session, size)
    signed_at = now.replace(microsecond=0)
    checkpoint = Checkpoint(
        tree_size=size,
        root_hash=root_hash,
        signed_at=signed_at,
        origin=origin,
        key_fingerprint=signer.fingerprint,
        signature=signer.sign(checkpoint_text(origin, size, root_hash, signed_at)),
    )
    session.add(checkpoint)
    await session.flush()
    return checkpoint
