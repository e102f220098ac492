"""Who may move a compensation claim, from where, to where: DOMAIN.md section 3's compensation
claim as data.

A claim is filed (``applied``) by the case's owner, the CWC / Magistrate seized of it, or a legal
services authority giving her legal aid; it is decided by an order of its forum, the legal
services authority before which it is (``decided`` with an award, ``rejected`` with none); the
forum records what it pays (``disbursed`` once the award is paid in full); the filing side may
withdraw it before it is decided.

A principal's *sides* on a claim (the filing agency, the forum, the agency holding the case) come
from SQL (``app.access.compensation``); this module turns sides and roles into actors and decides,
for an action, the answer of DOMAIN.md section 5: 403 when the principal is never an actor of it,
409 (with what it may do now) when it is, but not from the claim's present state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.auth.permissions import AgencyType, Permission, Role
from app.auth.principal import Principal
from app.cases.vocab import Stage


class Scheme(StrEnum):
    # The state's Victim Compensation Scheme under BNSS 2023 s.396 (formerly CrPC s.357A),
    # with NALSA's scheme for women victims of sexual assault and other crimes.
    STATE_VCS = "state_vcs"
    # The Central Victim Compensation Fund (MHA), disbursed through the states' schemes.
    CENTRAL_VCF = "central_vcf"
    # Ujjawala: rescue, rehabilitation and reintegration of victims of trafficking (MWCD).
    UJJAWALA = "ujjawala"
    # Another scheme of a state, or any other: named by ``scheme_name``.
    STATE_SCHEME = "state_scheme"
    OTHER = "other"


NAMED_SCHEMES = frozenset({Scheme.STATE_SCHEME, Scheme.OTHER})


class Status(StrEnum):
    APPLIED = "applied"
    DECIDED = "decided"  # awarded, not yet paid in full
    DISBURSED = "disbursed"  # paid in full
    REJECTED = "rejected"  # decided, awarding nothing
    WITHDRAWN = "withdrawn"


# A claim is open while it waits for a decision or for the money: the forum sees her case
# (``compensation_forum``) exactly while its claim is open.
OPEN = frozenset({Status.APPLIED, Status.DECIDED})
ENDED = frozenset(Status) - OPEN

# A claim is filed on a case that is not closed. (A deceased victim's dependants claim for
# her: BNSS s.396(1).)
NOT_FILED = frozenset({Stage.CLOSED})

CASE_STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.POLICE_OFFICER})
AUTHORITY_ROLES = frozenset({Role.CWC_MEMBER, Role.MAGISTRATE})
AUTHORITY_TYPES = frozenset({AgencyType.CWC, AgencyType.MAGISTRATE})
FORUM_ROLES = frozenset({Role.LEGAL_AID_OFFICER})
# The relation through which a legal services authority files: it gives her legal aid.
LEGAL_AID = "referral:legal_aid"


def filer_roles(agency_type: AgencyType) -> frozenset[Role]:
    """The roles through which an agency of this type files and withdraws claims: a committee's
    or a court's members, a legal services authority's legal aid officers, elsewhere its case
    staff."""
    if agency_type in AUTHORITY_TYPES:
        return AUTHORITY_ROLES
    if agency_type is AgencyType.LEGAL_SERVICES:
        return FORUM_ROLES
    return CASE_STAFF


class Side(StrEnum):
    """How a principal's agency stands to a claim (decided in SQL)."""

    FILER = "filer"
    FORUM = "forum"
    # The case's owner or the authority seized, when it did not file the claim itself.
    CASE_HOLDER = "case_holder"


class Actor(StrEnum):
    FILER = "filer"  # the filing agency's staff, members or legal aid officers
    FORUM = "forum"  # the forum's legal aid officers


@dataclass(frozen=True)
class Step:
    sources: frozenset[Status]
    targets: frozenset[Status]
    actor: Actor


@dataclass(frozen=True)
class Action:
    name: str
    permission: Permission
    step: Step
    # Its own route (``POST /v1/compensation-claims/{id}/<name>``), or made another way: the
    # decision is an order, issued at ``POST /v1/cases/{case_id}/orders``.
    route: bool = True


S, P = Status, Permission
DECISION = "order:compensation_decision"
ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            DECISION,
            P.ORDERS_ISSUE,
            Step(frozenset({S.APPLIED}), frozenset({S.DECIDED, S.REJECTED}), Actor.FORUM),
            route=False,
        ),
        # An instalment leaves the claim decided; the one that completes the award ends it.
        Action(
            "disburse",
            P.COMPENSATION_DISBURSE,
            Step(frozenset({S.DECIDED}), frozenset({S.DECIDED, S.DISBURSED}), Actor.FORUM),
        ),
        Action(
            "withdraw",
            P.COMPENSATION_FILE,
            Step(frozenset({S.APPLIED}), frozenset({S.WITHDRAWN}), Actor.FILER),
        ),
    )
}
ROUTED = [name for name, action in ACTIONS.items() if action.route]


def actors_of(principal: Principal, sides: set[Side]) -> frozenset[Actor]:
    """The actors this principal is on a claim. A machine client acts as its agency's staff,
    never as a committee or a court (whose acts are its named members')."""
    found: set[Actor] = set()
    roles = principal.roles
    if Side.FILER in sides:
        client = principal.kind == "client" and principal.agency_type not in AUTHORITY_TYPES
        if client or roles & filer_roles(principal.agency_type):
            found.add(Actor.FILER)
    if Side.FORUM in sides and (principal.kind == "client" or roles & FORUM_ROLES):
        found.add(Actor.FORUM)
    return frozenset(found)


def step_for(action: Action, actors: frozenset[Actor], status: Status) -> Step | None:
    step = action.step
    return step if status in step.sources and step.actor in actors else None


def allowed_actions(principal: Principal, actors: frozenset[Actor], status: Status) -> list[str]:
    """What this principal may do to the claim now (for 409 answers and the claim's read); the
    decision is named as the order that makes it."""
    return [
        name
        for name, action in ACTIONS.items()
        if principal.can(action.permission) and step_for(action, actors, status) is not None
    ]
