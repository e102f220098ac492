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
import functools
import operator
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Integer, Text, bindparam, cast, func, literal_column, select
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
from app.errors import invalid_field
from app.history.service import invisible_objects
from app.ledger import proofs
from app.ledger.leaf import ACTOR, FIELDS, PLAIN, commit, event_document, part_nonce
from app.ledger.models import Checkpoint, LogLeaf
from app.ledger.sequencer import fetch_nodes, frontier, make_checkpoint, tree_size
from app.ledger.signing import checkpoint_text
from app.runtime import Runtime

FORMAT = "homecoming-log-export/1"
CHUNK = 1000
# Chunks read ahead of the one being written: the database works on the other core meanwhile.
AHEAD = 2


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
        raise invalid_field("from", "empty_range", "from must be less than to.", where="query")
    size = await tree_size(session)
    if end > size:
        raise invalid_field("to", "beyond_log", f"The log has {size} sequenced events.", where="query")
    if consistent_with is not None and consistent_with > end:
        raise invalid_field("consistent_with", "beyond_range", "A tree size at most to.", where="query")
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
# ``TIME_FORMAT`` in PostgreSQL's words ("FM": the year unpadded, as glibc's %Y writes it).
_PG_TIME: ColumnElement[str] = literal_column("""'FMYYYY-MM-DD"T"HH24:MI:SS.US"Z"'""")


def _event_json_in_sql() -> ColumnElement[str]:
    """The event's document (``event_document``) as JSON text, made by PostgreSQL: on the
    export's read the database does this on the other core, while the API writes out lines."""
    members: list[Any] = []
    for name in FIELDS:
        column: Any = getattr(AuditEvent, name)
        if name == "occurred_at":
            column = func.to_char(func.timezone(literal_column("'UTC'"), column), _PG_TIME)
        members += [literal_column(f"'{name}'"), column]
    return cast(func.json_build_object(*members), Text).label("event_json")


def _chunk_statement(principal: Principal, in_sql: bool = False) -> AnySelect:
    """The leaves of one chunk of positions with their events (if still there), the acting
    agency's type, and whether each is in the caller's scope. The event's members come as
    columns (made into its JSON by ``_event_json``), or, ``in_sql`` (PostgreSQL only), as the
    JSON text itself."""
    event: list[Any] = (
        [_event_json_in_sql()]
        if in_sql
        else [
            *[getattr(AuditEvent, name) for name in _SCALARS],
            cast(AuditEvent.roles, Text).label("roles"),
        ]
    )
    return (
        select(
            LogLeaf.position,
            LogLeaf.leaf_hash,
            AuditEvent.id,
            AuditEvent.case_id,
            AuditEvent.nonce,
            # What the export decides on: the event's objects and changes.
            cast(AuditEvent.objects, Text).label("objects"),
            cast(AuditEvent.changes, Text).label("changes"),
            *event,
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


def _event_json(row: Mapping[str, Any], text_of: Callable[[Any], str]) -> str:
    """The event's JSON text from its columns: the scalar members made here, the JSON members as
    stored."""
    scalars = orjson.dumps(event_document(row, _SCALARS, text_of)).decode()
    members = "".join(f',"{name}":{row[name]}' for name in _RAW)
    return scalars[:-1] + members + "}"


def _whole(position: int, leaf_hash: str, nonce: bytes | None, event_json: str) -> bytes:
    """An event shown whole, with its nonce: the verifier derives every part's nonce itself."""
    nonce_hex = (nonce or b"").hex()
    return (
        f'{{"seq":{position},"leaf_hash":"{leaf_hash}","nonce":"{nonce_hex}","event":{event_json}}}\n'
    ).encode()


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


def _parsed(row: Mapping[str, Any]) -> dict[str, Any]:
    """An event's objects and changes as values. Most events name only their case and change
    nothing or little: their stored text is recognised as it is, rather than parsed."""
    raw_objects, raw_changes = row["objects"], row["changes"]
    case_id = row["case_id"]
    objects: list[Any] | None = None
    if case_id is not None:
        text = str(case_id)
        if raw_objects in (
            f'[{{"type": "case", "id": "{text}"}}]',
            f'[{{"type":"case","id":"{text}"}}]',
        ):
            objects = [{"type": "case", "id": text}]
    if objects is None:
        objects = orjson.loads(raw_objects)
    changes = [] if raw_changes == "[]" else orjson.loads(raw_changes)
    return {"objects": objects, "changes": changes}


async def _lines(
    runtime: Runtime,
    principal: Principal,
    reader: EventReader,
    rows: Sequence[Mapping[str, Any]],
    event_json: Callable[[Mapping[str, Any]], str],
) -> bytes:
    """A chunk's lines: an event out of the caller's scope, or about a referral, transfer or
    claim it may not see, by its leaf hash alone; one of its scope whole, or in part when its
    field set withholds a part (``app.access.events.withheld``, as its event search does)."""
    # The events of the caller's scope, their objects and changes parsed: what is withheld is
    # decided on them.
    shown = {row["position"]: _parsed(row) for row in rows if row["id"] is not None and row["in_scope"]}
    invisible = await _invisible(runtime, principal, list(shown.values()))
    out = []
    for row in rows:
        position, leaf_hash = row["position"], b64(row["leaf_hash"])
        if row["id"] is None:
            out.append(orjson.dumps({"seq": position, "leaf_hash": leaf_hash, "event": None}) + b"\n")
            continue
        parsed = shown.get(position)
        if parsed is None or hidden_by(parsed, invisible):
            out.append(orjson.dumps({"seq": position, "leaf_hash": leaf_hash, "withheld": True}) + b"\n")
            continue
        of_case = reader if row["case_id"] is not None else None
        hold = withheld(parsed, of_case, row["actor_agency_type"])
        if hold.nothing:
            out.append(_whole(position, leaf_hash, row["nonce"], event_json(row)))
        else:
            line = {"seq": position, "leaf_hash": leaf_hash}
            out.append(_parted(line, orjson.loads(event_json(row)), row["nonce"] or b"", hold))
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


async def _chunk(
    runtime: Runtime, statements: tuple[AnySelect, AnySelect], params: dict[str, Any]
) -> tuple[Sequence[Mapping[str, Any]], Callable[[Mapping[str, Any]], str]]:
    """A chunk's rows, and how to read an event's JSON text from one: on PostgreSQL as the
    driver returns them, the text made there (``statements[1]``), else through a session, the
    text made here (``statements[0]``)."""
    driver = runtime.db.driver
    if driver is not None:
        records = await driver.records(statements[1], params)
        if records is not None:
            return records, operator.itemgetter("event_json")
    async with runtime.db.session(write=False) as session:
        rows = [dict(r._mapping) for r in await session.execute(statements[0], params)]
    # A chunk's events name few agencies, actors and clients, many times each: each id's text is
    # made once.
    text_of = functools.lru_cache(maxsize=None)(str)
    return rows, functools.partial(_event_json, text_of=text_of)


async def export_lines(
    runtime: Runtime, principal: Principal, header: dict[str, Any]
) -> AsyncIterator[bytes]:
    """The header, then the range's lines, a chunk at a time, with the next ``AHEAD`` chunks
    being read meanwhile (so at most ``AHEAD + 1`` are held)."""
    yield orjson.dumps(header) + b"\n"
    statements = (_chunk_statement(principal), _chunk_statement(principal, in_sql=True))
    params = caller_params(principal, runtime.now())
    # An audit office holds one relation to every case it sees: one reader serves the export.
    reader = reader_for(principal, {"auditor"}, assigned=False, family_complicity=True)
    first, end = header["from"], header["to"]
    starts = iter(range(first, end, CHUNK))
    Read = tuple[Sequence[Mapping[str, Any]], Callable[[Mapping[str, Any]], str]]
    reading: deque[asyncio.Task[Read]] = deque()

    def read_next() -> None:
        lo = next(starts, None)
        if lo is not None:
            bounds = {"lo": lo, "hi": min(lo + CHUNK, end)}
            reading.append(asyncio.ensure_future(_chunk(runtime, statements, params | bounds)))

    for _ in range(AHEAD + 1):
        read_next()
    try:
        while reading:
            rows, event_json = await reading.popleft()
            read_next()
            yield await _lines(runtime, principal, reader, rows, event_json)
    finally:
        # A client that went away: the reads started for it are not left running.
        for task in reading:
            task.cancel()
