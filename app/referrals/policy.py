"""Who may move a referral, from where, to where; which agencies give which service: DOMAIN.md
section 3's referrals as data.

A principal's *sides* on a referral (the referring agency, the receiving agency, the agency
holding the case) come from SQL (``app.access.referrals``); this module turns sides and roles
into actors and decides, for an action, the answer of DOMAIN.md section 5: 403 when the
principal is never an actor of it, 409 (with what it may do now) when it is, but not from the
referral's present state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.auth.permissions import POLICE_AGENCY_TYPES, AgencyType, Permission, Role
from app.auth.principal import Principal
from app.cases.vocab import Stage
from app.documents.schemas import DocumentKind


class ReferralType(StrEnum):
    HOME_VERIFICATION = "home_verification"
    FAMILY_TRACING = "family_tracing"
    SHELTER = "shelter"
    COUNSELLING = "counselling"
    MEDICAL = "medical"
    EDUCATION = "education"
    VOCATIONAL_TRAINING = "vocational_training"
    LEGAL_AID = "legal_aid"


class ReferralReason(StrEnum):  # HTCDS referral reason
    ADDITIONAL_SERVICES_REQUIRED = "AdditionalServicesRequired"
    MIGRATION_OR_CHANGE_OF_LOCATION = "MigrationOrChangeOfLocation"
    OTHER = "Other"


class Status(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


ENDED = frozenset({Status.DECLINED, Status.COMPLETED, Status.WITHDRAWN})

_T, A = ReferralType, AgencyType
_POLICE = set(POLICE_AGENCY_TYPES)
# Who gives each service. Home verification and family tracing: the DCPU (its probation and
# protection officers), an NGO, or the police of her home area; a place to stay: a home or
# shelter; counselling and medical care: NGOs, homes and the DCPU; schooling and vocational
# training: NGOs, homes and the WCD's schemes; legal aid: a legal services authority.
PROVIDERS: dict[ReferralType, frozenset[AgencyType]] = {
    _T.HOME_VERIFICATION: frozenset({A.DCPU, A.NGO, *_POLICE}),
    _T.FAMILY_TRACING: frozenset({A.NGO, A.DCPU, *_POLICE}),
    _T.SHELTER: frozenset({A.SHELTER}),
    _T.COUNSELLING: frozenset({A.NGO, A.SHELTER, A.DCPU}),
    _T.MEDICAL: frozenset({A.NGO, A.SHELTER, A.DCPU}),
    _T.EDUCATION: frozenset({A.NGO, A.SHELTER, A.WCD}),
    _T.VOCATIONAL_TRAINING: frozenset({A.NGO, A.SHELTER, A.WCD}),
    _T.LEGAL_AID: frozenset({A.LEGAL_SERVICES}),
}

# The roles through which an agency gives the service: its case staff; at a legal services
# authority, its legal aid officers.
CASE_STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.POLICE_OFFICER})
AUTHORITY_ROLES = frozenset({Role.CWC_MEMBER, Role.MAGISTRATE})
AUTHORITY_TYPES = frozenset({AgencyType.CWC, AgencyType.MAGISTRATE})


def service_roles(agency_type: AgencyType) -> frozenset[Role]:
    if agency_type is AgencyType.LEGAL_SERVICES:
        return frozenset({Role.LEGAL_AID_OFFICER})
    return CASE_STAFF


def provided_by(agency_type: AgencyType) -> frozenset[ReferralType]:
    """The referral types an agency of this type receives."""
    return frozenset(t for t, types in PROVIDERS.items() if agency_type in types)


# What a completion may name as its result: a document of the case, of these kinds, uploaded by
# the receiving agency. A home verification's result must be its report (DOMAIN.md section 3).
RESULT_KINDS: dict[ReferralType, frozenset[DocumentKind]] = {
    _T.HOME_VERIFICATION: frozenset({DocumentKind.HOME_VERIFICATION_REPORT}),
    _T.FAMILY_TRACING: frozenset({DocumentKind.HOME_VERIFICATION_REPORT, DocumentKind.SIR}),
    _T.SHELTER: frozenset({DocumentKind.CARE_PLAN}),
    _T.COUNSELLING: frozenset({DocumentKind.CARE_PLAN, DocumentKind.MEDICAL_REPORT}),
    _T.MEDICAL: frozenset({DocumentKind.MEDICAL_REPORT}),
    _T.EDUCATION: frozenset({DocumentKind.CARE_PLAN}),
    _T.VOCATIONAL_TRAINING: frozenset({DocumentKind.CARE_PLAN}),
    _T.LEGAL_AID: frozenset(),
}
RESULT_DOCUMENT_REQUIRED = frozenset({_T.HOME_VERIFICATION})

# A case is referred while it is open.
NOT_OPEN = frozenset({Stage.CLOSED, Stage.DECEASED})
# DOMAIN.md section 2: an adult in intermediate or safe custody moves to home_verification when
# a referral for home verification is accepted (ITPA s.17(2)).
HOME_VERIFIABLE = frozenset({Stage.INTERMEDIATE_CUSTODY, Stage.SAFE_CUSTODY})


class Side(StrEnum):
    """How a principal's agency stands to a referral (decided in SQL)."""

    REFERRING = "referring"
    RECEIVING = "receiving"
    # The case's owner or the authority seized, when it did not make the referral itself: it
    # reads its case's referrals.
    CASE_HOLDER = "case_holder"


class Actor(StrEnum):
    REFERRER = "referrer"  # the referring agency's staff, or its CWC / Magistrate members
    RECEIVER = "receiver"  # the receiving agency's staff (legal aid officers at legal services)


@dataclass(frozen=True)
class Step:
    sources: frozenset[Status]
    target: Status
    actor: Actor


@dataclass(frozen=True)
class Action:
    name: str
    permission: Permission
    step: Step
    event: str  # the audit event's suffix: referral.<event>


S, P = Status, Permission
ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "accept",
            P.REFERRALS_ANSWER,
            Step(frozenset({S.REQUESTED}), S.ACCEPTED, Actor.RECEIVER),
            "accepted",
        ),
        Action(
            "decline",
            P.REFERRALS_ANSWER,
            Step(frozenset({S.REQUESTED}), S.DECLINED, Actor.RECEIVER),
            "declined",
        ),
        Action(
            "complete",
            P.REFERRALS_ANSWER,
            Step(frozenset({S.ACCEPTED}), S.COMPLETED, Actor.RECEIVER),
            "completed",
        ),
        Action(
            "withdraw",
            P.REFERRALS_WITHDRAW,
            Step(frozenset({S.REQUESTED, S.ACCEPTED}), S.WITHDRAWN, Actor.REFERRER),
            "withdrawn",
        ),
    )
}


def actors_of(principal: Principal, sides: set[Side]) -> frozenset[Actor]:
    """The actors this principal is on a referral. A machine client acts as its agency's staff,
    never as a committee or a court (whose acts are its named members')."""
    found: set[Actor] = set()
    if Side.REFERRING in sides:
        if principal.agency_type in AUTHORITY_TYPES:
            if principal.roles & AUTHORITY_ROLES:
                found.add(Actor.REFERRER)
        elif principal.kind == "client" or principal.roles & CASE_STAFF:
            found.add(Actor.REFERRER)
    if Side.RECEIVING in sides and (
        principal.kind == "client" or principal.roles & service_roles(principal.agency_type)
    ):
        found.add(Actor.RECEIVER)
    return frozenset(found)


def step_for(action: Action, actors: frozenset[Actor], status: Status) -> Step | None:
    """The step this principal may take now, if any."""
    step = action.step
    return step if status in step.sources and step.actor in actors else None


def allowed_actions(principal: Principal, actors: frozenset[Actor], status: Status) -> list[str]:
    """What this principal may do to the referral now (for 409 answers and the referral's read)."""
    return [
        name
        for name, action in ACTIONS.items()
        if principal.can(action.permission) and step_for(action, actors, status) is not None
    ]
