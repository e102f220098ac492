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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

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
from app.agencies.models import Agency
from app.audit.models import AuditEvent
from app.auth.permissions import AgencyType, Role
from app.auth.principal import Principal
from app.cases.models import Case
from app.cases.vocab import Sensitivity

# Every field name a case's field set can hold.
CASE_FIELDS = (
    CORE | JURISDICTION | ATTRIBUTES | CONTEXT | CASEWORK | SAFETY | ORDERS | DEADLINES | AFTERCARE
) | AFTERCARE_FINDINGS

# The case field that governs every change of an object type. Transfers, referrals and claims
# are proceedings on the case, read with its orders; aftercare records with its aftercare; that a
# document was filed or a rescue recorded is part of the case itself.
_BY_OBJECT: dict[str, str] = {
    "order": "orders",
    "transfer": "orders",
    "referral": "orders",
    "compensation_claim": "orders",
    "case_report": "stage",
    "follow_up_visit": "aftercare",
    "rehabilitation_service": "aftercare",
    "consent": "aftercare",
    "document": "id",
    "rescue_event": "id",
    "agency": "id",
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


@dataclass(frozen=True, slots=True)
class EventReader:
    """What one reader may see of the changes in a case's events."""

    case_fields: frozenset[str]
    identity_fields: frozenset[str]
    note_classes: frozenset[str]

    def may_read(self, change: Mapping[str, Any]) -> bool:
        kind, name = change.get("object"), change.get("field")
        klass = change.get("class")
        if kind == "identity":
            return name in self.identity_fields
        if klass == "placement":
            return "placement" in self.case_fields
        if kind == "note":
            return (klass or Sensitivity.GENERAL.value) in self.note_classes
        if klass is not None:
            return klass in self.note_classes
        governing = _BY_FIELD.get((str(kind), str(name)))
        if governing is None:
            governing = str(name) if kind == "case" else _BY_OBJECT.get(str(kind), "")
        # A field no rule names is withheld: a new kind of change must be given a rule first.
        return governing in self.case_fields


# Readers of events that belong to no case (an agency, a user, a client): shown as recorded,
# credentials having been left out when it was written.
EVERYTHING = EventReader(CASE_FIELDS, frozenset(), frozenset())


def reader_for(
    principal: Principal, relations: set[str], *, assigned: bool, family_complicity: bool
) -> EventReader:
    allowed = field_set(principal, relations, assigned=assigned, family_complicity=family_complicity)
    return EventReader(
        allowed.case_fields,
        frozenset(f.value for f in allowed.identity_fields),
        frozenset(c.value for c in note_classes(principal, relations, assigned=assigned)),
    )


def redacted(event: Mapping[str, Any], reader: EventReader) -> dict[str, Any]:
    """The event with each change the reader may not see reduced to its object and field."""
    changes = []
    for change in event.get("changes") or []:
        if reader.may_read(change):
            changes.append(change)
            continue
        kept = {k: change[k] for k in ("object", "id", "field", "class") if k in change}
        changes.append({**kept, "redacted": True})
    return {**event, "changes": changes}


def may_read_access_log(principal: Principal, relations: set[str]) -> bool:
    """Who read a case is for the owning agency's supervisors and for audit offices: any other
    relation sees the case, not who else looked at it."""
    if "auditor" in relations:
        return True
    return "owner" in relations and Role.SUPERVISOR in principal.roles


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
            select(Agency.id).where(Agency.id == AuditEvent.agency_id, Agency.state == caller_state())
        ),
    )
    return or_(of_case, of_agency)
