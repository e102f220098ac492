"""What a leaf of the log is: one audit event at its position, committed to part by part, so that
an auditor can check an export without the database, and an export can withhold the parts of an
event its reader may not see while still proving them untouched.

An event is served as a JSON object (``event_document``) of exactly these members: ``id``,
``occurred_at`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``actor_type``, ``actor_id``,
``agency_id``, ``roles``, ``client_id``, ``request_id``, ``action``, ``case_id``, ``objects``,
``changes`` (UUIDs in lowercase 8-4-4-4-12 form, absent values ``null``). Its *parts* are the
actor (the six actor members, one object), each object and each change. Every event carries a
random 16-byte nonce, never served; each part has a nonce of its own, the first 16 bytes of
SHA-256(event nonce ‖ label) with the label ``actor``, ``object:<i>`` or ``change:<i>``; its
commitment is hex SHA-256(part nonce ‖ canonical JSON of the part). A part shown with its own
nonce can be checked; a part withheld is given by its commitment, which reveals nothing of it
(the part nonce is secret until the part is shown, and one part's nonce says nothing of another's).

The leaf's bytes are the canonical JSON of ``{"seq": <position>, "event": {"id", "occurred_at",
"action", "case_id", "actor": <commitment>, "objects": [<commitment>...], "changes":
[<commitment>...]}}``; canonical JSON is keys sorted at every depth, no whitespace, UTF-8. The
leaf hash is SHA-256 of a zero byte and those bytes (RFC 9162 section 2.1.1). The position is
part of the leaf so that an event's place is as fixed as its content: two stored events swapped,
or a deletion closed up by renumbering, show at the first position affected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from app.ledger.merkle import leaf_hash

FIELDS = (
    "id", "occurred_at", "actor_type", "actor_id", "agency_id", "roles", "client_id",
    "request_id", "action", "case_id", "objects", "changes",
)  # fmt: skip
# The members of the actor part, and those the leaf holds as they are.
ACTOR = ("actor_type", "actor_id", "agency_id", "roles", "client_id", "request_id")
PLAIN = ("id", "occurred_at", "action", "case_id")
NONCE_BYTES = 16

_IDS = ("id", "actor_id", "agency_id", "client_id", "case_id")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_text(when: datetime) -> str:
    """``when`` in UTC as ``TIME_FORMAT`` writes it. ``isoformat`` makes the same text several
    times faster (an export writes one per event); years before 1000, which ``%Y`` does not pad
    everywhere, go through ``strftime`` itself."""
    utc = when.astimezone(UTC)
    if utc.year < 1000:
        return utc.strftime(TIME_FORMAT)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def event_document(
    row: Mapping[str, Any],
    names: tuple[str, ...] = FIELDS,
    text_of: Callable[[Any], str] = str,
) -> dict[str, Any]:
    """The event as served and committed to: JSON values only (``names``: some of its members;
    ``text_of``: how an id becomes text, for a caller that caches the ids it meets often)."""
    document = {name: row[name] for name in names}
    for name in _IDS:
        value = document.get(name)
        if value is not None and not isinstance(value, str):
            document[name] = text_of(value)
    when = document.get("occurred_at")
    if when is not None and not isinstance(when, str):
        document["occurred_at"] = utc_text(when)
    return document


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def part_nonce(nonce: bytes, label: str) -> bytes:
    return hashlib.sha256(nonce + label.encode()).digest()[:NONCE_BYTES]


def commit(nonce_of_part: bytes, value: Any) -> str:
    return hashlib.sha256(nonce_of_part + canonical(value)).hexdigest()


def parts(event: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of each part of ``event`` (an ``event_document``), in order."""
    found: list[tuple[str, Any]] = [("actor", {name: event[name] for name in ACTOR})]
    found += [(f"object:{i}", o) for i, o in enumerate(event["objects"])]
    found += [(f"change:{i}", c) for i, c in enumerate(event["changes"])]
    return found


def leaf_document(
    position: int, plain: Mapping[str, Any], actor: str, objects: list[str], changes: list[str]
) -> dict[str, Any]:
    """The leaf from the event's plain members and its parts' commitments."""
    event = {name: plain[name] for name in PLAIN}
    event.update(actor=actor, objects=objects, changes=changes)
    return {"seq": position, "event": event}


def commitments(event: Mapping[str, Any], nonce: bytes) -> tuple[str, list[str], list[str]]:
    """The commitments of the actor, of each object and of each change."""
    actor = commit(part_nonce(nonce, "actor"), {name: event[name] for name in ACTOR})
    objects = [commit(part_nonce(nonce, f"object:{i}"), o) for i, o in enumerate(event["objects"])]
    changes = [commit(part_nonce(nonce, f"change:{i}"), c) for i, c in enumerate(event["changes"])]
    return actor, objects, changes


def event_leaf_hash(position: int, event: Mapping[str, Any], nonce: bytes | None) -> bytes:
    """The leaf hash of ``event`` (an ``event_document``) at ``position``. (An event written
    before events had nonces commits with an empty one.)"""
    actor, objects, changes = commitments(event, nonce or b"")
    return leaf_hash(canonical(leaf_document(position, event, actor, objects, changes)))
