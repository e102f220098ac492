"""Who sees which case, and what of it: the relations of DOMAIN.md section 5 as SQL, and the field
set each relation grants, as data.

A case is visible to a principal through any of its relations; ``visible_cases`` is their OR and is
the only filter get, list and search use. ``relation_columns`` gives the same conditions as labelled
columns, so one SELECT returns a case together with the relations the caller holds to it, from
which ``field_set`` decides what it may read. The conditions are built once per principal shape and
compare against the caller's bind parameters (``app.access.binds``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import ColumnElement, exists, false, literal_column, or_, select, true

from app.access.binds import caller_agency, caller_id, caller_state
from app.access.escalation import escalated_now
from app.access.sql import one_of
from app.auth.permissions import POLICE_AGENCY_TYPES, AgencyType, Permission, Role
from app.auth.principal import Principal
from app.cases.models import Case, CaseAssignee, RescueEvent, RescueEventAgency
from app.cases.vocab import SAFETY_WHEN_FAMILY_COMPLICIT, IdentityField, Purpose, Sensitivity
from app.compensation.models import CompensationClaim
from app.referrals.models import Referral
from app.referrals.policy import PROVIDERS, ReferralType, service_roles
from app.transfers.models import Transfer
from app.transfers.policy import ESCORTING, ORDERED_ON, RECEIVER_SEES, Status

# ---- relations --------------------------------------------------------------------------------

# Roles through which staff of an agency act on its cases (an agency administrator does not).
_CASE_STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.POLICE_OFFICER})
_AUTHORITY_ROLES = frozenset({Role.CWC_MEMBER, Role.MAGISTRATE})


@dataclass(frozen=True, slots=True)
class Shape:
    """What decides which relations a principal can hold: everything about it but its identifiers
    (those are bind parameters, ``app.access.binds``). Relations are built once per shape."""

    kind: str
    agency_type: AgencyType
    roles: frozenset[Role]
    national: bool


def shape_of(principal: Principal) -> Shape:
    return Shape(principal.kind, principal.agency_type, principal.roles, principal.agency_state is None)


def _acts_as(shape: Shape, roles: frozenset[Role]) -> bool:
    """A user holding one of ``roles``, or a machine client of the agency (its scopes limit it)."""
    return shape.kind == "client" or bool(shape.roles & roles)


def _in_state(shape: Shape) -> ColumnElement[bool]:
    """Cases whose rescue, current or home state is the caller's; every case for a national body."""
    if shape.national:
        return true()
    return or_(
        Case.rescue_state == caller_state(),
        Case.current_state == caller_state(),
        Case.home_state == caller_state(),
    )


def _owner(s: Shape) -> ColumnElement[bool] | None:
    return (Case.owner_agency_id == caller_agency()) if _acts_as(s, _CASE_STAFF) else None


def _competent_authority(s: Shape) -> ColumnElement[bool] | None:
    if s.agency_type not in (AgencyType.CWC, AgencyType.MAGISTRATE):
        return None
    return (Case.competent_authority_id == caller_agency()) if _acts_as(s, _AUTHORITY_ROLES) else None


def _rescue_party(s: Shape) -> ColumnElement[bool] | None:
    if not _acts_as(s, _CASE_STAFF):
        return None
    return exists(
        select(RescueEventAgency.agency_id).where(
            RescueEventAgency.rescue_event_id == Case.rescue_event_id,
            RescueEventAgency.agency_id == caller_agency(),
        )
    )


def _commission(s: Shape) -> ColumnElement[bool] | None:
    if s.agency_type is not AgencyType.COMMISSION:
        return None
    return _in_state(s) if _acts_as(s, frozenset({Role.COMMISSION_OFFICER})) else None


def _auditor(s: Shape) -> ColumnElement[bool] | None:
    if s.agency_type is not AgencyType.AUDIT:
        return None
    return _in_state(s) if _acts_as(s, frozenset({Role.AUDITOR})) else None


def _placement(s: Shape) -> ColumnElement[bool] | None:
    """The shelter or home named by the case's current placement order."""
    if s.agency_type is not AgencyType.SHELTER or not _acts_as(s, _CASE_STAFF):
        return None
    return Case.placement_agency_id == caller_agency()


def _transfer_of_case(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(select(Transfer.id).where(Transfer.case_id == Case.id, *conditions))


_AUTHORITY_TYPES = (AgencyType.CWC, AgencyType.MAGISTRATE)
# An escorting unit is the police (an SJPU), a DCPU or a home (DOMAIN.md section 3).
_ESCORT_TYPES = frozenset(
    {AgencyType.POLICE, AgencyType.AHTU, AgencyType.SJPU, AgencyType.DCPU, AgencyType.SHELTER}
)


def _party_agency(s: Shape, column_name: str) -> ColumnElement[bool] | None:
    """The caller's agency is the transfer's ``<side>_agency_id`` (staff) or
    ``<side>_authority_id`` (a CWC or Magistrate)."""
    if s.agency_type in _AUTHORITY_TYPES and _acts_as(s, _AUTHORITY_ROLES):
        authority: ColumnElement[bool] = getattr(Transfer, f"{column_name}_authority_id") == (
            caller_agency()
        )
        return authority
    if _acts_as(s, _CASE_STAFF):
        agency: ColumnElement[bool] = getattr(Transfer, f"{column_name}_agency_id") == caller_agency()
        return agency
    return None


def _transfer_sender(s: Shape) -> ColumnElement[bool] | None:
    """The sending side of an accepted transfer: it keeps reading what it recorded, and has lost
    write access (it is no longer the owner or the authority). Before the acceptance it holds
    the case as owner and authority anyway."""
    party = _party_agency(s, "sending")
    if party is None:
        return None
    return _transfer_of_case(Transfer.status == Status.ACCEPTED.value, party)


def _transfer_receiver(s: Shape) -> ColumnElement[bool] | None:
    """The receiving side, from the request for consultation until the transfer ends."""
    party = _party_agency(s, "receiving")
    if party is None:
        return None
    return _transfer_of_case(one_of(Transfer.status, RECEIVER_SEES), party)


def _transfer_receiver_ordered(s: Shape) -> ColumnElement[bool] | None:
    """The receiving side once the transfer is ordered: identity and safety data from here on."""
    party = _party_agency(s, "receiving")
    if party is None:
        return None
    return _transfer_of_case(one_of(Transfer.status, ORDERED_ON), party)


def _transfer_escort(s: Shape) -> ColumnElement[bool] | None:
    if s.agency_type not in _ESCORT_TYPES or not _acts_as(s, _CASE_STAFF):
        return None
    return _transfer_of_case(
        one_of(Transfer.status, ESCORTING), Transfer.escort_agency_id == caller_agency()
    )


def _oversight(s: Shape) -> ColumnElement[bool] | None:
    """The WCDs of both states, while a transfer of the case is escalated (raised, or a transfer
    deadline breached: computed against the request's clock)."""
    if s.agency_type is not AgencyType.WCD or not _acts_as(s, _CASE_STAFF) or s.national:
        return None
    return _transfer_of_case(
        or_(Transfer.sending_state == caller_state(), Transfer.receiving_state == caller_state()),
        escalated_now(),
    )


def _referral(kind: ReferralType) -> Callable[[Shape], ColumnElement[bool] | None]:
    """``referral:<type>``: the agency giving the service, while its referral of this type is
    accepted (not while it is only requested: it decides on the referral alone; and no longer
    once it is completed, declined or withdrawn)."""

    def rule(s: Shape) -> ColumnElement[bool] | None:
        if s.agency_type not in PROVIDERS[kind] or not _acts_as(s, service_roles(s.agency_type)):
            return None
        return exists(
            select(Referral.id).where(
                Referral.case_id == Case.id,
                Referral.receiving_agency_id == caller_agency(),
                # Constants written in, as the partial index ix_referrals_accepted_receiver says.
                Referral.type == literal_column(f"'{kind.value}'"),
                Referral.status == literal_column("'accepted'"),
            )
        )

    return rule


def referral_relation(kind: ReferralType) -> str:
    return f"referral:{kind.value}"


def _compensation_forum(s: Shape) -> ColumnElement[bool] | None:
    """The legal services authority before which a compensation claim of the case is open:
    applied for (it must read the case to decide) or decided and not yet paid in full (it pays
    her). Once the claim is paid in full, rejected or withdrawn its view of the case ends."""
    if s.agency_type is not AgencyType.LEGAL_SERVICES:
        return None
    if not _acts_as(s, frozenset({Role.LEGAL_AID_OFFICER})):
        return None
    return exists(
        select(CompensationClaim.id).where(
            CompensationClaim.case_id == Case.id,
            CompensationClaim.forum_agency_id == caller_agency(),
            # As the partial index ix_compensation_claims_open_forum says.
            CompensationClaim.ended_at.is_(None),
        )
    )


RELATIONS: dict[str, Callable[[Shape], ColumnElement[bool] | None]] = {
    "owner": _owner,
    "competent_authority": _competent_authority,
    "rescue_party": _rescue_party,
    "commission": _commission,
    "auditor": _auditor,
    "placement": _placement,
    "transfer_sender": _transfer_sender,
    "transfer_receiver": _transfer_receiver,
    "transfer_receiver_ordered": _transfer_receiver_ordered,
    "transfer_escort": _transfer_escort,
    "oversight": _oversight,
    "compensation_forum": _compensation_forum,
    **{referral_relation(kind): _referral(kind) for kind in ReferralType},
}

# Relations held internally under a name of their own, shown to callers as another (the
# receiver's field set widens at the order; it is still the receiving side).
PUBLIC_RELATION = {"transfer_receiver_ordered": "transfer_receiver"}


def public_relations(relations: set[str]) -> list[str]:
    return sorted({PUBLIC_RELATION.get(name, name) for name in relations})


@functools.cache
def relations_of(shape: Shape) -> Mapping[str, ColumnElement[bool]]:
    """Shared by every principal of the shape: read-only, so no caller can change another's."""
    found = {}
    for name, rule in RELATIONS.items():
        clause = rule(shape)
        if clause is not None:
            found[name] = clause
    return MappingProxyType(found)


@functools.cache
def visible_of(shape: Shape) -> ColumnElement[bool]:
    clauses = list(relations_of(shape).values())
    if not clauses:
        return false()
    return clauses[0] if len(clauses) == 1 else or_(*clauses)


def relation_columns(principal: Principal) -> Mapping[str, ColumnElement[bool]]:
    """The relations that can hold for this principal, each as a boolean SQL condition over the
    caller's bind parameters. (What a principal may do through them is the route's permission;
    this says only which cases.)"""
    return relations_of(shape_of(principal))


def visible_cases(principal: Principal) -> ColumnElement[bool]:
    """The one visibility predicate for cases: get, list and search all filter with it. Execute
    it with ``caller_params`` (the checked-read helpers do)."""
    return visible_of(shape_of(principal))


# Rescue events the caller's agency took part in (lead or participant).
PARTY_TO_EVENT = exists(
    select(RescueEventAgency.agency_id).where(
        RescueEventAgency.rescue_event_id == RescueEvent.id,
        RescueEventAgency.agency_id == caller_agency(),
    )
)

# Cases the caller's agency owns, for showing a creator what it has just recorded (a creating client
# may hold no read scope).
CREATED_BY_CALLER = Case.owner_agency_id == caller_agency()

# Cases assigned to the calling user.
ASSIGNED_TO_CALLER = exists(
    select(CaseAssignee.user_id).where(
        CaseAssignee.case_id == Case.id, CaseAssignee.user_id == caller_id()
    )
)


# ---- field sets -------------------------------------------------------------------------------

CORE = frozenset(
    {
        "id", "code", "track", "stage", "rescue_event_id", "owner_agency_id",
        "competent_authority_id", "exploitation_types", "opened_at", "closed_at",
        "closure_reason", "version", "created_at", "updated_at", "produced_at",
        "producing_agency_id", "journey_hours",
    }
)  # fmt: skip
JURISDICTION = frozenset(
    {"rescue_state", "current_state", "current_district", "home_state", "home_district",
     "home_country", "village_tracing"}
)  # fmt: skip
ATTRIBUTES = frozenset(
    {"sex", "age_claimed", "age_determined", "age_basis", "nationality", "languages",
     "disability", "interpreter_needed"}
)  # fmt: skip
CONTEXT = frozenset({"trafficking_context", "flags", "references"})
CASEWORK = frozenset({"assignees"})
SAFETY = frozenset({"placement", "placement_agency_id"})
# The orders made on the case (their reading shows only what the field set allows).
ORDERS = frozenset({"orders"})
# The case's deadlines (GET /v1/deadlines; the case list's ``overdue`` filter).
DEADLINES = frozenset({"deadlines"})
# Follow-up visits, rehabilitation services and an adult's consents (their dates, kinds, risk);
# and what was written in them (a visit's findings, a service's notes: case reports that JJ s.99
# keeps confidential), for those holding her.
AFTERCARE = frozenset({"aftercare"})
AFTERCARE_FINDINGS = frozenset({"aftercare_findings"})

ALL_IDENTITY = frozenset(IdentityField)
# What an escort needs to take her home and hand her over, read only with purpose ``escort``.
ESCORT_IDENTITY = frozenset(
    {
        IdentityField.NAMES,
        IdentityField.ALIASES,
        IdentityField.PHOTO_REF,
        IdentityField.DATE_OF_BIRTH,
        IdentityField.FAMILY_NAMES,
        IdentityField.HOME_ADDRESS,
        IdentityField.HOME_VILLAGE,
    }
)
# What the shelter holding her needs to know her by.
PLACEMENT_IDENTITY = frozenset(
    {IdentityField.NAMES, IdentityField.ALIASES, IdentityField.PHOTO_REF, IdentityField.DATE_OF_BIRTH}
)
# What a home verification or family tracing needs to find her family and know them: who she is
# and what she was called, her family's names, where home is and how to reach it. Not her date
# of birth, school, present address, ID numbers or bank details.
TRACING_IDENTITY = frozenset(
    {
        IdentityField.NAMES,
        IdentityField.ALIASES,
        IdentityField.PHOTO_REF,
        IdentityField.FAMILY_NAMES,
        IdentityField.HOME_ADDRESS,
        IdentityField.HOME_VILLAGE,
        IdentityField.PHONES,
    }
)
# What a legal services authority needs to decide a claim and pay her: who she is, her date of
# birth (a child's award is kept in deposit until she comes of age), her identity documents and
# her bank account. Not where she lives or is sheltered, nor her family: the money goes to an
# account, and an address can lead back to her.
COMPENSATION_IDENTITY = frozenset(
    {
        IdentityField.NAMES,
        IdentityField.DATE_OF_BIRTH,
        IdentityField.ID_NUMBERS,
        IdentityField.BANK_DETAILS,
    }
)
# Escort is for the escorting unit of a transfer (a later relation), not for these.
CASE_PURPOSES = frozenset(Purpose) - {Purpose.ESCORT}


@dataclass(frozen=True)
class FieldSet:
    case_fields: frozenset[str]
    identity_fields: frozenset[IdentityField]
    purposes: frozenset[Purpose]

    def __or__(self, other: FieldSet) -> FieldSet:
        return FieldSet(
            self.case_fields | other.case_fields,
            self.identity_fields | other.identity_fields,
            self.purposes | other.purposes,
        )


NOTHING = FieldSet(frozenset(), frozenset(), frozenset())

# What each relation may read. Within the owning agency, identity goes only to supervisors and
# the assigned staff (see ``field_set``); commissions and auditors never receive identity.
FIELD_SETS: dict[str, FieldSet] = {
    "owner": FieldSet(
        CORE
        | JURISDICTION
        | ATTRIBUTES
        | CONTEXT
        | CASEWORK
        | SAFETY
        | ORDERS
        | DEADLINES
        | AFTERCARE
        | AFTERCARE_FINDINGS,
        ALL_IDENTITY,
        CASE_PURPOSES,
    ),
    "competent_authority": FieldSet(
        CORE
        | JURISDICTION
        | ATTRIBUTES
        | CONTEXT
        | CASEWORK
        | SAFETY
        | ORDERS
        | DEADLINES
        | AFTERCARE
        | AFTERCARE_FINDINGS,
        ALL_IDENTITY,
        CASE_PURPOSES,
    ),
    "rescue_party": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES | CONTEXT | ORDERS, frozenset(), frozenset()
    ),
    "commission": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES | CONTEXT | ORDERS | DEADLINES | AFTERCARE,
        frozenset(),
        frozenset(),
    ),
    "auditor": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES | CONTEXT | CASEWORK | ORDERS | DEADLINES | AFTERCARE,
        frozenset(),
        frozenset(),
    ),
    # The shelter she is placed in: where she is (it holds her), who she is to receive and care
    # for her, read for producing her or at her own request; no family or home details.
    "placement": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES | SAFETY | ORDERS | AFTERCARE | AFTERCARE_FINDINGS,
        PLACEMENT_IDENTITY,
        frozenset({Purpose.PRODUCTION, Purpose.VICTIM_REQUEST}),
    ),
    # After an accepted transfer the sending side reads what it recorded, never identity again.
    "transfer_sender": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES | CONTEXT | ORDERS | DEADLINES, frozenset(), frozenset()
    ),
    # The receiving side reads the case to answer the consultation; identity and safety data
    # from the order on (DOMAIN.md section 3).
    "transfer_receiver": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES | CONTEXT | ORDERS | DEADLINES, frozenset(), frozenset()
    ),
    "transfer_receiver_ordered": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES | CONTEXT | SAFETY | ORDERS | DEADLINES,
        ALL_IDENTITY,
        CASE_PURPOSES,
    ),
    "transfer_escort": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES, ESCORT_IDENTITY, frozenset({Purpose.ESCORT})
    ),
    # The WCDs overseeing an escalated transfer: where the case stands, nothing about her.
    "oversight": FieldSet(CORE | JURISDICTION | DEADLINES, frozenset(), frozenset()),
    # The forum of an open compensation claim: what the case is and who she is (the scheme's
    # amounts follow her age, sex and the exploitation), the orders made on it, and, only for
    # purpose ``compensation``, what paying her needs.
    "compensation_forum": FieldSet(
        CORE | ATTRIBUTES | ORDERS, COMPENSATION_IDENTITY, frozenset({Purpose.COMPENSATION})
    ),
    # The agency giving a referred service, while the referral is accepted: only what the service
    # needs. Verifying a home or tracing a family needs where she is from and who her family is,
    # read only for that purpose; legal aid her name, for a legal proceeding, with the case's
    # context and orders; a place to stay, counselling, medical care, schooling and training
    # need no identity (they meet her).
    "referral:home_verification": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES, TRACING_IDENTITY, frozenset({Purpose.HOME_VERIFICATION})
    ),
    "referral:family_tracing": FieldSet(
        CORE | JURISDICTION | ATTRIBUTES, TRACING_IDENTITY, frozenset({Purpose.FAMILY_TRACING})
    ),
    # Legal aid reads her consents and whether her stay is covered (an over-stay is its case to
    # bring), and the services she has, not what was written in them.
    "referral:legal_aid": FieldSet(
        CORE | ATTRIBUTES | CONTEXT | ORDERS | AFTERCARE,
        frozenset({IdentityField.NAMES}),
        frozenset({Purpose.LEGAL_PROCEEDING}),
    ),
    **{
        referral_relation(kind): FieldSet(CORE | ATTRIBUTES, frozenset(), frozenset())
        for kind in (
            ReferralType.SHELTER,
            ReferralType.COUNSELLING,
            ReferralType.MEDICAL,
            ReferralType.EDUCATION,
            ReferralType.VOCATIONAL_TRAINING,
        )
    },
}


# Which note classes each relation may read (identity-class notes also need a purpose).
NOTE_CLASSES: dict[str, frozenset[Sensitivity]] = {
    "owner": frozenset(Sensitivity),
    "competent_authority": frozenset(Sensitivity),
    "rescue_party": frozenset({Sensitivity.GENERAL}),
    "commission": frozenset({Sensitivity.GENERAL}),
    "auditor": frozenset({Sensitivity.GENERAL}),
    "placement": frozenset({Sensitivity.GENERAL, Sensitivity.MEDICAL_COUNSELLING}),
    "transfer_sender": frozenset({Sensitivity.GENERAL}),
    "transfer_receiver": frozenset({Sensitivity.GENERAL, Sensitivity.MEDICAL_COUNSELLING}),
    "transfer_receiver_ordered": frozenset(Sensitivity),
    "transfer_escort": frozenset({Sensitivity.GENERAL}),
    "oversight": frozenset(),
    "compensation_forum": frozenset({Sensitivity.GENERAL}),
    # A service reads the notes its work needs: counsellors, doctors and the home taking her in
    # read the medical and counselling notes too.
    "referral:home_verification": frozenset({Sensitivity.GENERAL}),
    "referral:family_tracing": frozenset({Sensitivity.GENERAL}),
    "referral:shelter": frozenset({Sensitivity.GENERAL, Sensitivity.MEDICAL_COUNSELLING}),
    "referral:counselling": frozenset({Sensitivity.GENERAL, Sensitivity.MEDICAL_COUNSELLING}),
    "referral:medical": frozenset({Sensitivity.GENERAL, Sensitivity.MEDICAL_COUNSELLING}),
    "referral:education": frozenset({Sensitivity.GENERAL}),
    "referral:vocational_training": frozenset({Sensitivity.GENERAL}),
    "referral:legal_aid": frozenset({Sensitivity.GENERAL}),
}
# Relations through which notes are written: the owning agency, the authority seized and the
# shelter she is placed in.
NOTE_WRITERS = frozenset({"owner", "competent_authority", "placement"})


def sees_identity_within(principal: Principal, relation: str, *, assigned: bool) -> bool:
    """Within the owner, identity goes only to supervisors and the assigned staff; within a
    receiving agency (no one is assigned there yet), to its supervisors and to the receiving
    CWC or Magistrate. Every other relation grants its field set to all its staff."""
    if relation == "owner":
        return Role.SUPERVISOR in principal.roles or assigned
    if relation == "transfer_receiver_ordered":
        return bool(principal.roles & (_AUTHORITY_ROLES | {Role.SUPERVISOR}))
    return True


def note_classes(principal: Principal, relations: set[str], *, assigned: bool) -> frozenset[Sensitivity]:
    """The note classes ``principal`` may read on a case it holds ``relations`` to. Within the
    owner, only supervisors and assigned staff read beyond ``general`` (as with identity);
    commissions, auditors and machine clients read ``general`` only."""
    readable: set[Sensitivity] = set()
    for name in relations:
        classes = set(NOTE_CLASSES[name])
        if not sees_identity_within(principal, name, assigned=assigned):
            classes &= (
                {Sensitivity.GENERAL, Sensitivity.MEDICAL_COUNSELLING}
                if (name == "transfer_receiver_ordered")
                else {Sensitivity.GENERAL}
            )
        readable |= classes
    if principal.kind == "client" or not principal.can(Permission.IDENTITY_READ):
        readable &= {Sensitivity.GENERAL}
    return frozenset(readable)


def field_set(
    principal: Principal,
    relations: set[str],
    *,
    assigned: bool,
    family_complicity: bool,
) -> FieldSet:
    """What ``principal`` may read of a case it holds ``relations`` to."""
    granted = NOTHING
    for name in relations:
        allowed = FIELD_SETS[name]
        if not sees_identity_within(principal, name, assigned=assigned):
            # Unassigned staff of the owner: no identity, and no safety data (the placement).
            allowed = FieldSet(allowed.case_fields - SAFETY, frozenset(), frozenset())
        granted = granted | allowed
    if principal.kind == "client" or not principal.can(Permission.IDENTITY_READ):
        granted = FieldSet(granted.case_fields - SAFETY, frozenset(), frozenset())
    authority = "competent_authority" in relations or (
        "transfer_receiver_ordered" in relations and principal.agency_type in _AUTHORITY_TYPES
    )
    if family_complicity and not authority:
        police = principal.agency_type in POLICE_AGENCY_TYPES
        if not police:
            granted = FieldSet(
                granted.case_fields,
                granted.identity_fields - SAFETY_WHEN_FAMILY_COMPLICIT,
                granted.purposes,
            )
    return granted


def for_purpose(
    principal: Principal,
    relations: set[str],
    *,
    assigned: bool,
    family_complicity: bool,
    purpose: Purpose,
) -> FieldSet:
    """What ``principal`` may read of a case's identity for ``purpose``: the identity fields of
    only those relations that allow that purpose. (Merging first would let one relation's
    purpose open another's fields: an escorting home that also owns a case must not read her
    bank details "to escort" her.)"""
    granted = NOTHING
    for name in relations:
        one = field_set(principal, {name}, assigned=assigned, family_complicity=family_complicity)
        if purpose in one.purposes:
            granted = granted | FieldSet(one.case_fields, one.identity_fields, frozenset({purpose}))
    return granted
