"""What a leaf of the log is: one audit event in a canonical byte form that an auditor can
rebuild from an export without the database.

The canonical form is the event as a JSON object with exactly these members, keys sorted at every
depth, no whitespace, UTF-8: ``id``, ``occurred_at`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``),
``actor_type``, ``actor_id``, ``agency_id``, ``roles``, ``client_id``, ``request_id``, ``action``,
``case_id``, ``objects``, ``changes`` (UUIDs in lowercase 8-4-4-4-12 form, absent values ``null``).
Its leaf hash is SHA-256 of a zero byte and those bytes (RFC 9162 section 2.1.1)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from app.ledger.merkle import leaf_hash

FIELDS = (
    "id", "occurred_at", "actor_type", "actor_id", "agency_id", "roles", "client_id",
    "request_id", "action", "case_id", "objects", "changes",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def event_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """The event as exported (and hashed): JSON values only."""
    return {name: _plain(row[name]) for name in FIELDS}


def canonical(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(dict(document), option=orjson.OPT_SORT_KEYS)


def event_leaf_hash(document: Mapping[str, Any]) -> bytes:
    return leaf_hash(canonical(document))
