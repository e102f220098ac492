"""Which audit events a principal sees, and what of each: the history and the change feed show an
event of a case to whoever sees the case now, each change in it only where the reader's field set
holds the field that governs it (DOMAIN.md section 5); the audit office's event search covers the
cases of its state (every case, for a national one) and the acts of its state's agencies.

An event keeps its envelope for every reader who sees it (what was done, when, by whom, to which
objects), so that a history is complete; a change whose values the reader may not see keeps its
object and field name with ``"redacted": true`` in place of ``from`` and ``to``. Values of
identity, medical, safety and placement classes were stored as keyed hashes, never in plain
(``app.audit.events``): even so they go only to readers of that class.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from app.access.binds import caller_state
from app.access.cases import (
    AFTERCARE,
    AFTERCARE_FINDINGS,
    ATTRIBUTES,
    CASEWORK,
    CONTEXT,
    CORE,
    DEADLINES,
    JURISDICTION,
    ORDERS,
    SAFETY,
    field_set,
    note_classes,
    visible_cases,
)
from app.access.compensation import visible_claims
from app.access.documents import DOCUMENT_SCOPES, document_grants, readable_classes
from app.access.referrals import visible_referrals
from app.access.transfers import visible_transfers
from app.agencies.models import Agency
from app.audit.models import AuditEvent
from app.auth.permissions import AgencyType, Role
from app.auth.principal import Principal
from app.cases.models import Case
from app.compensation.models import CompensationClaim
from app.referrals.models import Referral
from app.transfers.models import Transfer

# Every field name a case's field set can hold.
CASE_FIELDS = (
    CORE | JURISDICTION | ATTRIBUTES | CONTEXT | CASEWORK | SAFETY | ORDERS | DEADLINES | AFTERCARE
) | AFTERCARE_FINDINGS

# The case field that governs an object of each type in an event, and its changes. Transfers,
# referrals and claims are proceedings on the case, read with its orders (and only by those who
# may see the proceeding itself: ``OBJECT_VISIBILITY``); aftercare records with its aftercare;
# that a rescue was recorded is part of the case. An agency named in an event may be the shelter
# she is placed in (a placement order names it): safety data. Notes and documents go by their
# class (``EventReader.sees_object``).
_BY_OBJECT: dict[str, str] = {
    "case": "id",
    "identity": "id",
    "order": "orders",
    "transfer": "orders",
    "referral": "orders",
    "compensation_claim": "orders",
    "case_report": "stage",
    "follow_up_visit": "aftercare",
    "rehabilitation_service": "aftercare",
    "consent": "aftercare",
    "rescue_event": "id",
    "agency": "placement",
}
# Fields governed otherwise than their object: what a service found (a referral's result) is a
# case report, confidential like a follow-up visit's findings (JJ s.99).
_BY_FIELD: dict[tuple[str, str], str] = {
    ("referral", "result"): "aftercare_findings",
    ("case", "follow_up_visits"): "aftercare",
    ("case", "flags.possible_repeat"): "flags",
    ("case", "flags.trafficker_contact"): "flags",
    ("case", "flags.family_complicity"): "flags",
}
# Objects that have a visibility of their own: an event about one the reader may not see is not
# shown to it at all (DOMAIN.md section 5: as if it did not exist).
OBJECT_VISIBILITY: dict[str, tuple[Any, Callable[[Principal], ColumnElement[bool]]]] = {
    "referral": (Referral, visible_referrals),
    "transfer": (Transfer, visible_transfers),
    "compensation_claim": (CompensationClaim, visible_claims),
}
# An acting agency of these types is where she is: its acts are shown as done by someone only to
# those who may know where she is placed.
_SAFETY_ACTORS = frozenset({AgencyType.SHELTER.value})
_ACTOR_FIELDS = ("actor_id", "agency_id", "client_id", "request_id")


@dataclass(frozen=True, slots=True)
class EventReader:
    """What one reader may see of the events of a case."""

    case_fields: frozenset[str]
    identity_fields: frozenset[str]
    note_classes: frozenset[str]
    document_classes: frozenset[str]

    def sees_object(self, kind: str, classes: Mapping[str, str], object_id: str) -> bool:
        """An object named in an event (``classes``: the class of each note and document the
        event itself gives; one it does not give is withheld)."""
        if kind == "note":
            return classes.get(object_id) in self.note_classes
        if kind == "document":
            return classes.get(object_id) in self.document_classes
        return _BY_OBJECT.get(kind, "") in self.case_fields

    def may_read(self, change: Mapping[str, Any], classes: Mapping[str, str]) -> bool:
        kind, name = str(change.get("object")), str(change.get("field"))
        klass = change.get("class")
        if kind == "identity":
            return name in self.identity_fields
        if kind in ("note", "document"):
            return self.sees_object(kind, classes, str(change.get("id")))
        if klass == "placement":
            return "placement" in self.case_fields
        if klass is not None:
            return klass in self.note_classes
        governing = _BY_FIELD.get((kind, name))
        if governing is None:
            governing = name if kind == "case" else _BY_OBJECT.get(kind, "")
        # A field no rule names is withheld: a new kind of change must be given a rule first.
        return governing in self.case_fields


def reader_for(
    principal: Principal, relations: set[str], *, assigned: bool, family_complicity: bool
) -> EventReader:
    allowed = field_set(principal, relations, assigned=assigned, family_complicity=family_complicity)
    # Documents by class, through relations that read every document of their classes (one that
    # reads only some, such as a transfer's bundle, shows no document in an event).
    unscoped = relations - DOCUMENT_SCOPES.keys()
    documents = readable_classes(document_grants(principal, unscoped, assigned=assigned))
    return EventReader(
        allowed.case_fields,
        frozenset(f.value for f in allowed.identity_fields),
        frozenset(c.value for c in note_classes(principal, relations, assigned=assigned)),
        frozenset(c.value for c in documents),
    )


def _classes(event: Mapping[str, Any]) -> dict[str, str]:
    """The class of each note and document the event records (its ``sensitivity`` change)."""
    return {
        str(c.get("id")): str(c.get("to"))
        for c in event.get("changes") or []
        if c.get("object") in ("note", "document") and c.get("field") == "sensitivity"
    }


@dataclass(frozen=True, slots=True)
class Withheld:
    """The parts of an event a reader may not see: its actor, and objects and changes by index."""

    actor: bool
    objects: frozenset[int]
    changes: frozenset[int]

    @property
    def nothing(self) -> bool:
        return not (self.actor or self.objects or self.changes)


NOTHING_WITHHELD = Withheld(False, frozenset(), frozenset())


def withholds_actor(reader: EventReader, actor_type: str | None) -> bool:
    """Whether ``reader`` may not learn that an agency of ``actor_type`` acted on or read the
    case: her shelter, to a reader that may not know where she is."""
    return actor_type in _SAFETY_ACTORS and "placement" not in reader.case_fields


def withheld_actor_types(reader: EventReader) -> frozenset[str]:
    """The acting agencies' types whose acts on a case ``reader`` sees unattributed."""
    return frozenset(kind for kind in _SAFETY_ACTORS if withholds_actor(reader, kind))


def withheld(
    event: Mapping[str, Any], reader: EventReader | None, actor_type: str | None = None
) -> Withheld:
    """What of ``event`` ``reader`` may not see (``None``: an event of no case, shown as recorded,
    credentials having been left out when it was written): changes it may not read, objects it
    may not see, and the actor when it is the shelter holding her and the reader may not know
    where she is (``actor_type``: the acting agency's type). The one decision behind the
    history, the feed, the event search and the export."""
    if reader is None:
        return NOTHING_WITHHELD
    actor = withholds_actor(reader, actor_type)
    changes_of, objects_of = event.get("changes") or [], event.get("objects") or []
    if not actor and all(o.get("type") == "case" for o in objects_of):
        # Only the case named (the commonest event): the changes alone decide, and one of the
        # case's own fields, of no class, is read as the field set says.
        fields = reader.case_fields
        if all(
            c.get("object") == "case" and "class" not in c and c.get("field") in fields
            for c in changes_of
        ):
            return NOTHING_WITHHELD
    classes = _classes(event)
    changes = frozenset(i for i, c in enumerate(changes_of) if not reader.may_read(c, classes))
    objects = frozenset(
        i
        for i, o in enumerate(objects_of)
        if not reader.sees_object(str(o.get("type")), classes, str(o.get("id")))
    )
    return Withheld(actor, objects, changes)


def redacted(
    event: Mapping[str, Any], reader: EventReader | None, actor_type: str | None = None
) -> dict[str, Any]:
    """The event as ``reader`` may see it (``withheld``): a change it may not read keeps its
    object and field, ``redacted: true`` in place of its values (a note's or document's, not even
    the object's id or class); an object it may not see keeps its type; an act of her shelter
    is not attributed."""
    hold = withheld(event, reader, actor_type)
    if hold.nothing:
        return dict(event)
    changes = []
    for i, change in enumerate(event.get("changes") or []):
        if i not in hold.changes:
            changes.append(change)
            continue
        # A note's or document's id and class are its own: the reader learns only that one of
        # them changed.
        kept: tuple[str, ...] = ("object", "field")
        if change.get("object") not in ("note", "document"):
            kept += ("id", "class")
        changes.append({**{k: change[k] for k in kept if k in change}, "redacted": True})
    objects = [
        {"type": o.get("type"), "redacted": True} if i in hold.objects else o
        for i, o in enumerate(event.get("objects") or [])
    ]
    shown = {**event, "changes": changes, "objects": objects}
    if hold.actor:
        shown.update(dict.fromkeys(_ACTOR_FIELDS), roles=[], actor_withheld=True)
    return shown


def hidden_by(event: Mapping[str, Any], invisible: set[tuple[str, str]]) -> bool:
    """Whether the event is about an object with a visibility of its own that the reader may not
    see (``invisible``: such objects, as (type, id))."""
    if not invisible:
        return False
    return any((str(o.get("type")), str(o.get("id"))) in invisible for o in event.get("objects") or [])


def objects_to_check(events: Sequence[Mapping[str, Any]]) -> dict[str, set[uuid.UUID]]:
    """The objects with a visibility of their own named in ``events``, by type."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for event in events:
        for o in event.get("objects") or []:
            if o.get("type") in OBJECT_VISIBILITY:
                wanted.setdefault(str(o["type"]), set()).add(uuid.UUID(str(o["id"])))
    return wanted


def may_read_access_log(principal: Principal, relations: set[str]) -> bool:
    """Who read a case is for the owning agency's supervisors and for audit offices: any other
    relation sees the case, not who else looked at it."""
    if "auditor" in relations:
        return True
    return "owner" in relations and Role.SUPERVISOR in principal.roles


# The acting agency, under a name of its own (a query that already joins ``agencies`` for the
# acting agency's type must not correlate this subquery with it).
_ACTING = aliased(Agency, name="acting_agency")


def audit_scope(principal: Principal) -> ColumnElement[bool]:
    """The events an audit office may search and export in full: those of cases it sees (its
    state's; every case for a national office), and those of no case acted by an agency of its
    state. Execute with the caller's bind parameters."""
    if principal.agency_type is not AgencyType.AUDIT:
        return false()  # ``audit:read`` is an audit office's alone; nothing for anyone else
    if principal.agency_state is None:
        return true()
    of_case = exists(select(Case.id).where(Case.id == AuditEvent.case_id, visible_cases(principal)))
    of_agency = and_(
        AuditEvent.case_id.is_(None),
        exists(
            select(_ACTING.id).where(_ACTING.id == AuditEvent.agency_id, _ACTING.state == caller_state())
        ),
    )
    return or_(of_case, of_agency)
