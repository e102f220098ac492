"""The only writer of audit events.

Called inside the request's transaction, so an event exists exactly when its change does (or, for
a change made in one statement, its row is built here and written by that statement). Values of
encrypted classes are replaced by a keyed hash (equal values stay comparable, nothing is disclosed);
credentials are left out altogether. Past events are never rewritten, so the hash key is never rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.context import request_id_var
from app.db import time_ordered_id, utcnow
from app.ledger.leaf import NONCE_BYTES


class FieldClass(StrEnum):
    PLAIN = "plain"
    IDENTITY = "identity"
    MEDICAL_COUNSELLING = "medical_counselling"
    SAFETY = "safety"
    PLACEMENT = "placement"
    CREDENTIAL = "credential"


HASHED_CLASSES = frozenset(
    {FieldClass.IDENTITY, FieldClass.MEDICAL_COUNSELLING, FieldClass.SAFETY, FieldClass.PLACEMENT}
)

_IDENTITY_FIELDS = (
    "names", "aliases", "date_of_birth", "photo_ref", "family_names", "home_address",
    "home_village", "present_address", "school", "phones", "id_numbers", "bank_details",
)  # fmt: skip

# (object type, field) -> class, for every field that is not plain. Resources register theirs here.
FIELD_CLASSES: dict[tuple[str, str], FieldClass] = {
    ("user", "password"): FieldClass.CREDENTIAL,
    ("user", "password_hash"): FieldClass.CREDENTIAL,
    ("user", "activation_code"): FieldClass.CREDENTIAL,
    ("user", "reset_code"): FieldClass.CREDENTIAL,
    ("user", "code_hash"): FieldClass.CREDENTIAL,
    ("client", "secret"): FieldClass.CREDENTIAL,
    ("client", "secret_hash"): FieldClass.CREDENTIAL,
    ("case", "placement"): FieldClass.PLACEMENT,
    **{("identity", field): FieldClass.IDENTITY for field in _IDENTITY_FIELDS},
}


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # user | client | system
    id: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(
            kind=principal.kind,
            id=principal.id,
            agency_id=principal.agency_id,
            roles=tuple(sorted(r.value for r in principal.roles)),
        )


SYSTEM = Actor(kind="system")


@dataclass(frozen=True, slots=True)
class ObjectRef:
    type: str
    id: uuid.UUID


@dataclass(slots=True)
class Change:
    object: ObjectRef
    field: str
    new: Any
    old: Any = None
    # For values whose class is decided per row (a note's sensitivity), not by the field.
    klass: FieldClass | None = None


class EventHasher:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: Any) -> str:
        canonical = orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS)
        return "hmac-sha256:" + hmac.new(self._key, canonical, hashlib.sha256).hexdigest()


_hasher: EventHasher | None = None


def configure_event_hasher(key: bytes) -> None:
    global _hasher
    _hasher = EventHasher(key)


def _redact(change: Change) -> dict[str, Any] | None:
    klass = change.klass or FIELD_CLASSES.get((change.object.type, change.field), FieldClass.PLAIN)
    if klass is FieldClass.CREDENTIAL:
        return None
    entry: dict[str, Any] = {
        "object": change.object.type,
        "id": str(change.object.id),
        "field": change.field,
    }
    if klass in HASHED_CLASSES:
        if _hasher is None:
            raise RuntimeError("the event hasher is not configured")
        entry["class"] = klass.value
        entry["from"] = None if change.old is None else _hasher(change.old)
        entry["to"] = None if change.new is None else _hasher(change.new)
    else:
        entry["from"] = _jsonable(change.old)
        entry["to"] = _jsonable(change.new)
    return entry


def _jsonable(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=str))


def event_values(
    actor: Actor,
    action: str,
    objects: list[ObjectRef],
    changes: list[Change] | None = None,
    *,
    case_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The ``audit_events`` row of one event, every column given, its sensitive values already
    reduced (as ``record_event`` writes it; a write that must be one statement carries it)."""
    redacted = [entry for change in changes or [] if (entry := _redact(change)) is not None]
    return {
        "id": time_ordered_id(),
        "occurred_at": utcnow(),
        "actor_type": actor.kind,
        "actor_id": actor.id,
        "agency_id": actor.agency_id,
        "roles": list(actor.roles),
        "client_id": actor.id if actor.kind == "client" else None,
        # A system event (a repeat-victim flag on another agency's case) must not be linkable
        # to the request that caused it.
        "request_id": None if actor.kind == "system" else request_id_var.get(),
        "action": action,
        "case_id": case_id,
        "objects": [{"type": o.type, "id": str(o.id)} for o in objects],
        "changes": redacted,
        "nonce": secrets.token_bytes(NONCE_BYTES),
    }


async def record_event(
    session: AsyncSession,
    actor: Actor,
    action: str,
    objects: list[ObjectRef],
    changes: list[Change] | None = None,
    *,
    case_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Write one audit event in the caller's transaction and return its id."""
    values = event_values(actor, action, objects, changes, case_id=case_id)
    await session.execute(insert(AuditEvent).values(**values))
    event_id: uuid.UUID = values["id"]
    return event_id
