"""The auditor's export: the sequenced events in [from, to) as NDJSON, with what it takes to
check them offline against a signed checkpoint (``app.ledger.verify``; the format is written out
in the README, so that an auditor can write a verifier of their own).

The first line is the header: the format, the range, the checkpoint signed at tree size ``to``
(signed now if the log has none of that size), the hashes of the complete subtrees covering
[0, from) (RFC 9162: with them and the leaves of the range, the root at ``to`` can be
recomputed), and a consistency proof from a tree size the caller names (a checkpoint it kept)
to ``to``. Then one line per position:

* ``{"seq", "leaf_hash", "event"}``: an event in the caller's scope, as it was hashed;
* ``{"seq", "leaf_hash", "withheld": true}``: an event outside it (another state's), by hash
  only, which still lets the tree be checked;
* ``{"seq", "leaf_hash", "event": null}``: a leaf whose event is no longer in the database.

The range is read in chunks of positions (an index range each), so memory stays flat however
long the range is, and no cursor or transaction stays open while the client reads slowly.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy import Integer, Text, bindparam, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_params
from app.access.events import audit_scope
from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.db import AnySelect
from app.errors import Problem
from app.ledger import proofs
from app.ledger.leaf import FIELDS, event_document
from app.ledger.models import Checkpoint, LogLeaf
from app.ledger.sequencer import fetch_nodes, frontier, make_checkpoint, tree_size
from app.ledger.signing import checkpoint_text
from app.runtime import Runtime

FORMAT = "homecoming-log-export/1"
CHUNK = 2000


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def checkpoint_document(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint as the API and the export show it: its fields and the text that is signed."""
    text = checkpoint_text(
        checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash, checkpoint.signed_at
    ).decode()
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.tree_size,
        "root_hash": b64(checkpoint.root_hash),
        "signed_at": text.splitlines()[3],
        "key_fingerprint": checkpoint.key_fingerprint,
        "signature": b64(checkpoint.signature),
        "text": text,
    }


def _invalid(name: str, message: str, kind: str) -> Problem:
    return Problem(422, message, errors=[{"loc": ["query", name], "type": kind, "msg": message}])


async def export_header(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    first: int,
    end: int,
    consistent_with: int | None,
) -> dict[str, Any]:
    """Check the range against the log and build the header (signing the checkpoint at ``end``
    if none exists: the caller's transaction stores it)."""
    if first >= end:
        raise _invalid("from", "from is before to.", "empty_range")
    size = await tree_size(session)
    if end > size:
        raise _invalid("to", f"The log has {size} sequenced events.", "beyond_log")
    if consistent_with is not None and consistent_with > end:
        raise _invalid("consistent_with", "A tree size at most to.", "beyond_range")
    checkpoint = await make_checkpoint(
        session, runtime.log_signer, runtime.settings.log_origin, runtime.now(), size=end
    )
    assert checkpoint is not None  # end > 0
    prefix = frontier(first)
    stored = await fetch_nodes(session, set(prefix))
    consistency = None
    if consistent_with is not None:
        path, _, _ = await proofs.consistency(session, consistent_with, end)
        consistency = {"first": consistent_with, "second": end, "path": [b64(p) for p in path]}
    return {
        "format": FORMAT,
        "from": first,
        "to": end,
        "scope": principal.agency_state or "national",
        "checkpoint": checkpoint_document(checkpoint),
        "prefix": [
            {"level": level, "index": index, "hash": b64(stored[(level, index)])}
            for level, index in prefix
        ],
        "consistency": consistency,
    }


# The event's JSON members are read as the text stored and written out as they are: parsing
# and serialising them again would be most of the export's work, and the verifier parses the
# line anyway (any valid JSON text of the same values hashes the same once made canonical).
_RAW = ("roles", "objects", "changes")
_SCALARS = tuple(name for name in FIELDS if name not in _RAW)


def _chunk_statement(principal: Principal) -> AnySelect:
    """The leaves of one chunk of positions with their events (if still there) and whether each
    is in the caller's scope."""
    return (
        select(
            LogLeaf.position,
            LogLeaf.leaf_hash,
            LogLeaf.event_id,
            *[getattr(AuditEvent, name) for name in _SCALARS],
            *[cast(getattr(AuditEvent, name), Text).label(name) for name in _RAW],
            audit_scope(principal).label("in_scope"),
        )
        .outerjoin(AuditEvent, AuditEvent.id == LogLeaf.event_id)
        .where(
            LogLeaf.position >= bindparam("lo", type_=Integer()),
            LogLeaf.position < bindparam("hi", type_=Integer()),
        )
        .order_by(LogLeaf.position)
    )


def _line(row: dict[str, Any]) -> bytes:
    line: dict[str, Any] = {"seq": row["position"], "leaf_hash": b64(row["leaf_hash"])}
    if row["id"] is None:
        line["event"] = None
    elif row["in_scope"]:
        # The event last, its scalar members first: the JSON members go in before its two
        # closing braces.
        line["event"] = event_document(row, _SCALARS)
        head = orjson.dumps(line)
        members = b"".join(b',"%s":%s' % (name.encode(), row[name].encode()) for name in _RAW)
        return head[:-2] + members + b"}}\n"
    else:
        line["withheld"] = True
    return orjson.dumps(line) + b"\n"


async def _chunk(runtime: Runtime, statement: AnySelect, params: dict[str, Any]) -> list[dict[str, Any]]:
    driver = runtime.db.driver
    if driver is not None:
        rows = await driver.fetch(statement, params)
        if rows is not None:
            return rows
    async with runtime.db.session(write=False) as session:
        return [dict(r._mapping) for r in await session.execute(statement, params)]


async def export_lines(
    runtime: Runtime, principal: Principal, header: dict[str, Any]
) -> AsyncIterator[bytes]:
    """The header, then the range's lines, a chunk at a time. The next chunk is read while this
    one is written out (the database works on the other core meanwhile); at most two are held."""
    yield orjson.dumps(header) + b"\n"
    statement = _chunk_statement(principal)
    params = caller_params(principal, runtime.now())
    first, end = header["from"], header["to"]

    def read(lo: int) -> asyncio.Task[list[dict[str, Any]]]:
        bounds = {"lo": lo, "hi": min(lo + CHUNK, end)}
        return asyncio.ensure_future(_chunk(runtime, statement, params | bounds))

    ahead = read(first)
    try:
        for lo in range(first, end, CHUNK):
            rows = await ahead
            if lo + CHUNK < end:
                ahead = read(lo + CHUNK)
            yield b"".join(_line(row) for row in rows)
    finally:
        # A client that went away: the read started for it is not left running.
        ahead.cancel()
