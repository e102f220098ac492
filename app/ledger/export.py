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
from app.access.events import (
    EventReader,
    Withheld,
    audit_scope,
    hidden_by,
    objects_to_check,
    reader_for,
    withheld,
)
from app.agencies.models import Agency
from app.audit.models import AuditEvent
from app.auth.current import CLOCK
from app.auth.principal import Principal
from app.db import AnySelect
from app.errors import Problem
from app.history.service import invisible_objects
from app.ledger import proofs
from app.ledger.leaf import ACTOR, FIELDS, PLAIN, commit, event_document, part_nonce
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


# The event's JSON members are read as the text stored; an event shown whole is written out
# with them as they are (parsing and serialising them again would be much of the export's work,
# and the verifier parses the line anyway: any JSON text of the same values commits the same).
_RAW = ("roles", "objects", "changes")
_SCALARS = tuple(name for name in FIELDS if name not in _RAW)


def _chunk_statement(principal: Principal) -> AnySelect:
    """The leaves of one chunk of positions with their events (if still there), the acting
    agency's type, and whether each is in the caller's scope."""
    return (
        select(
            LogLeaf.position,
            LogLeaf.leaf_hash,
            LogLeaf.event_id,
            *[getattr(AuditEvent, name) for name in _SCALARS],
            *[cast(getattr(AuditEvent, name), Text).label(name) for name in _RAW],
            AuditEvent.nonce,
            Agency.type.label("actor_agency_type"),
            audit_scope(principal).label("in_scope"),
        )
        .outerjoin(AuditEvent, AuditEvent.id == LogLeaf.event_id)
        .outerjoin(Agency, Agency.id == AuditEvent.agency_id)
        .where(
            LogLeaf.position >= bindparam("lo", type_=Integer()),
            LogLeaf.position < bindparam("hi", type_=Integer()),
        )
        .order_by(LogLeaf.position)
    )


def _whole(line: dict[str, Any], scalars: dict[str, Any], row: dict[str, Any]) -> bytes:
    """An event shown whole, with its nonce: the verifier derives every part's nonce itself."""
    line["nonce"] = (row["nonce"] or b"").hex()
    # The event last, its scalar members first: the JSON members go in before its two closing
    # braces.
    line["event"] = scalars
    head = orjson.dumps(line)
    members = b"".join(b',"%s":%s' % (name.encode(), row[name].encode()) for name in _RAW)
    return head[:-2] + members + b"}}\n"


def _parted(line: dict[str, Any], event: dict[str, Any], nonce: bytes, hold: Withheld) -> bytes:
    """An event shown in part: each part with its own nonce, or withheld as its commitment."""

    def part(label: str, value: Any, hidden: bool) -> dict[str, Any]:
        own = part_nonce(nonce, label)
        return {"commitment": commit(own, value)} if hidden else {"value": value, "nonce": own.hex()}

    actor = {name: event[name] for name in ACTOR}
    line["event"] = {name: event[name] for name in PLAIN}
    line["parts"] = {
        "actor": part("actor", actor, hold.actor),
        "objects": [part(f"object:{i}", o, i in hold.objects) for i, o in enumerate(event["objects"])],
        "changes": [part(f"change:{i}", c, i in hold.changes) for i, c in enumerate(event["changes"])],
    }
    return orjson.dumps(line) + b"\n"


def _parsed(row: dict[str, Any], case_id: str | None) -> dict[str, Any]:
    """An event's objects and changes as values. Most events name only their case and change
    nothing or little: their stored text is recognised as it is (either way the JSON is written
    out), rather than parsed."""
    raw_objects, raw_changes = row["objects"], row["changes"]
    if case_id is not None and raw_objects in (
        f'[{{"type": "case", "id": "{case_id}"}}]',
        f'[{{"type":"case","id":"{case_id}"}}]',
    ):
        objects: list[Any] = [{"type": "case", "id": case_id}]
    else:
        objects = orjson.loads(raw_objects)
    changes = [] if raw_changes == "[]" else orjson.loads(raw_changes)
    return {"objects": objects, "changes": changes}


async def _lines(
    runtime: Runtime, principal: Principal, reader: EventReader, rows: list[dict[str, Any]]
) -> bytes:
    """A chunk's lines: an event out of the caller's scope, or about a referral, transfer or
    claim it may not see, by its leaf hash alone; one of its scope whole, or in part when its
    field set withholds a part (``app.access.events.withheld``, as its event search does)."""
    # The events of the caller's scope, their objects and changes parsed (what is withheld is
    # decided on them); the scalar members made once.
    shown: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for row in rows:
        if row["id"] is not None and row["in_scope"]:
            scalars = event_document(row, _SCALARS)
            shown[row["position"]] = (scalars, _parsed(row, scalars["case_id"]))
    invisible = await _invisible(runtime, principal, [p for _, p in shown.values()])
    out = []
    for row in rows:
        line: dict[str, Any] = {"seq": row["position"], "leaf_hash": b64(row["leaf_hash"])}
        if row["id"] is None:
            out.append(orjson.dumps({**line, "event": None}) + b"\n")
            continue
        found = shown.get(row["position"])
        if found is None or hidden_by(found[1], invisible):
            out.append(orjson.dumps({**line, "withheld": True}) + b"\n")
            continue
        scalars, parsed = found
        of_case = reader if row["case_id"] is not None else None
        hold = withheld(parsed, of_case, row["actor_agency_type"])
        if hold.nothing:
            out.append(_whole(line, scalars, row))
        else:
            event = {**scalars, **parsed, "roles": orjson.loads(row["roles"])}
            out.append(_parted(line, event, row["nonce"] or b"", hold))
    return b"".join(out)


async def _invisible(
    runtime: Runtime, principal: Principal, events: list[dict[str, Any]]
) -> set[tuple[str, str]]:
    wanted = objects_to_check(events)
    if not wanted:
        return set()
    found: set[tuple[str, str]] = set()
    async with runtime.db.session(write=False) as session:
        session.info[CLOCK] = runtime.now
        found = await invisible_objects(session, principal, wanted)
    return found


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
    # An audit office holds one relation to every case it sees: one reader serves the export.
    reader = reader_for(principal, {"auditor"}, assigned=False, family_complicity=True)
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
            yield await _lines(runtime, principal, reader, rows)
    finally:
        # A client that went away: the read started for it is not left running.
        ahead.cancel()
