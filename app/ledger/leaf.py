"""What a leaf of the log is: one audit event at its position, in a canonical byte form that an
auditor can rebuild from an export without the database.

The leaf's bytes are the JSON object ``{"seq": <position>, "event": <event>}``, keys sorted at
every depth, no whitespace, UTF-8. The event has exactly these members: ``id``, ``occurred_at``
(UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``actor_type``, ``actor_id``, ``agency_id``, ``roles``,
``client_id``, ``request_id``, ``action``, ``case_id``, ``objects``, ``changes`` (UUIDs in
lowercase 8-4-4-4-12 form, absent values ``null``). The leaf hash is SHA-256 of a zero byte and
those bytes (RFC 9162 section 2.1.1).

The position is part of the leaf so that an event's place is as fixed as its content: two
stored events swapped, or a deletion closed up by renumbering, show at the first position
affected, without another copy of the log to compare with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from app.ledger.merkle import leaf_hash

FIELDS = (
    "id", "occurred_at", "actor_type", "actor_id", "agency_id", "roles", "client_id",
    "request_id", "action", "case_id", "objects", "changes",
)  # fmt: skip


_IDS = ("id", "actor_id", "agency_id", "client_id", "case_id")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def event_document(row: Mapping[str, Any], names: tuple[str, ...] = FIELDS) -> dict[str, Any]:
    """The event as exported (and hashed): JSON values only (``names``: some of its members)."""
    document = {name: row[name] for name in names}
    for name in _IDS:
        value = document.get(name)
        if value is not None:
            document[name] = str(value)
    when = document.get("occurred_at")
    if isinstance(when, datetime):
        document["occurred_at"] = when.astimezone(UTC).strftime(TIME_FORMAT)
    return document


def canonical(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(dict(document), option=orjson.OPT_SORT_KEYS)


def leaf_bytes(position: int, event: Mapping[str, Any]) -> bytes:
    """The bytes hashed for the event ``event`` (an ``event_document``) at ``position``."""
    return orjson.dumps({"seq": position, "event": event}, option=orjson.OPT_SORT_KEYS)


def event_leaf_hash(position: int, event: Mapping[str, Any]) -> bytes:
    return leaf_hash(leaf_bytes(position, event))
