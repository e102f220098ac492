"""The sequenced log (issue 6): each committed audit event's place in one global order and its
leaf hash, the complete subtrees of the Merkle tree over them, and the signed checkpoints.

All three are append-only, as ``audit_events`` is: the API's role may SELECT and INSERT only,
and triggers refuse UPDATE, DELETE and TRUNCATE (``app.ledger.protection``). The fourth table,
``log_pending``, is the sequencer's queue: a trigger on ``audit_events`` adds every new event to
it in the event's own transaction, and the sequencer removes what it has sequenced."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import BIGINT_MAX, Base

# The largest position or tree size a request may name: what the BIGINT columns hold (and what
# an answer's JSON integer carries). Beyond it a parameter is refused as invalid, not looked up.
MAX_POSITION = BIGINT_MAX


class LogLeaf(Base):
    __tablename__ = "log_leaves"

    # 0-based, contiguous: the leaf's index in the Merkle tree.
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Unique: an event is sequenced once, whatever the sequencer does on a retry.
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audit_events.id"), unique=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    sequenced_at: Mapped[datetime]


class LogPending(Base):
    """A committed event not sequenced yet. Filled by a trigger on ``audit_events``
    (``app.ledger.protection.queue``), so no writer can forget it and an event is queued exactly
    when it commits, however long its transaction stayed open."""

    __tablename__ = "log_pending"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class LogNode(Base):
    """A complete subtree: ``2**level`` leaves from ``index * 2**level`` (level 0: the leaf)."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Checkpoint(Base):
    """A signed tree head: the log's origin, size, root and time, signed with Ed25519."""

    __tablename__ = "log_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_at: Mapped[datetime]
    origin: Mapped[str] = mapped_column(String(200))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
