"""Who may move a transfer, from where, to where: DOMAIN.md section 3's table as data.

A principal's *sides* on a transfer (the sending agency, the sending authority, the receiving
agency, the receiving authority, the escorting unit) come from SQL (``app.access.transfers``);
this module turns sides and roles into the actors of the table and decides, for an action, the
answer of DOMAIN.md section 5: 403 when the principal is never an actor of it, 409 (with the
actions it may take now) when it is, but not from the transfer's present state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.auth.permissions import Permission, Role
from app.auth.principal import Principal
from app.cases.vocab import Track


class Status(StrEnum):
    DRAFT = "draft"
    CONSULTATION_REQUESTED = "consultation_requested"
    CONSULTATION_ANSWERED = "consultation_answered"
    ORDERED = "ordered"
    ESCORT_ASSIGNED = "escort_assigned"
    IN_TRANSIT = "in_transit"
    HANDED_OVER = "handed_over"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ABSCONDED_IN_TRANSIT = "absconded_in_transit"
    REPATRIATED_ABROAD = "repatriated_abroad"


ENDED = frozenset(
    {
        Status.ACCEPTED,
        Status.DECLINED,
        Status.CANCELLED,
        Status.ABSCONDED_IN_TRANSIT,
        Status.REPATRIATED_ABROAD,
    }
)
OPEN = frozenset(Status) - ENDED
# From the order on, the case is in transfer (its stage is ``in_transfer``).
ORDERED_ON = frozenset({Status.ORDERED, Status.ESCORT_ASSIGNED, Status.IN_TRANSIT, Status.HANDED_OVER})
# The receiving side sees the transfer (and the case) from the request for consultation on.
RECEIVER_SEES = frozenset({Status.CONSULTATION_REQUESTED, Status.CONSULTATION_ANSWERED} | ORDERED_ON)
ESCORTING = frozenset({Status.ESCORT_ASSIGNED, Status.IN_TRANSIT, Status.HANDED_OVER})


class Side(StrEnum):
    """How a principal's agency stands to a transfer (decided in SQL)."""

    SENDING_AGENCY = "sending_agency"
    SENDING_AUTHORITY = "sending_authority"
    RECEIVING_AGENCY = "receiving_agency"
    RECEIVING_AUTHORITY = "receiving_authority"
    ESCORT = "escort"


class Actor(StrEnum):
    """The actors DOMAIN.md section 3 names."""

    SENDING_STAFF = "sending_staff"  # caseworker / supervisor (or police officer) of the owner
    SENDING_SUPERVISOR = "sending_supervisor"
    SENDING_AUTHORITY = "sending_authority"  # the CWC / Magistrate seized of the case
    RECEIVING_AUTHORITY = "receiving_authority"
    RECEIVING_SUPERVISOR = "receiving_supervisor"
    # Who answers and declines: the receiving CWC (child); the receiving Magistrate, or where
    # none is named the receiving supervisor (adult).
    RECEIVING_DECIDER = "receiving_decider"
    # Who accepts: the receiving CWC (child) or the receiving supervisor.
    RECEIVING_ACCEPTOR = "receiving_acceptor"
    ESCORT = "escort"


_STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.POLICE_OFFICER})
_AUTHORITY = frozenset({Role.CWC_MEMBER, Role.MAGISTRATE})


@dataclass(frozen=True)
class Step:
    sources: frozenset[Status]
    target: Status
    actors: frozenset[Actor]


@dataclass(frozen=True)
class Action:
    name: str
    permission: Permission
    steps: tuple[Step, ...]

    @property
    def actors(self) -> frozenset[Actor]:
        return frozenset().union(*(step.actors for step in self.steps))


def _step(sources: set[Status], target: Status, *actors: Actor) -> Step:
    return Step(frozenset(sources), target, frozenset(actors))


S, A, P = Status, Actor, Permission
ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "request-consultation",
            P.TRANSFERS_DIRECT,
            (_step({S.DRAFT}, S.CONSULTATION_REQUESTED, A.SENDING_AUTHORITY),),
        ),
        Action(
            "answer-consultation",
            P.TRANSFERS_ANSWER,
            (_step({S.CONSULTATION_REQUESTED}, S.CONSULTATION_ANSWERED, A.RECEIVING_DECIDER),),
        ),
        # From consultation_requested only once the consultation's deadline has passed
        # (``may_order_unanswered``).
        Action(
            "order",
            P.TRANSFERS_DIRECT,
            (
                _step(
                    {S.CONSULTATION_ANSWERED, S.CONSULTATION_REQUESTED},
                    S.ORDERED,
                    A.SENDING_AUTHORITY,
                ),
            ),
        ),
        Action(
            "assign-escort",
            P.TRANSFERS_DIRECT,
            (_step({S.ORDERED}, S.ESCORT_ASSIGNED, A.SENDING_AUTHORITY),),
        ),
        Action("depart", P.TRANSFERS_ESCORT, (_step({S.ESCORT_ASSIGNED}, S.IN_TRANSIT, A.ESCORT),)),
        Action("hand-over", P.TRANSFERS_ESCORT, (_step({S.IN_TRANSIT}, S.HANDED_OVER, A.ESCORT),)),
        Action(
            "accept",
            P.TRANSFERS_ACCEPT,
            (_step({S.HANDED_OVER}, S.ACCEPTED, A.RECEIVING_ACCEPTOR),),
        ),
        Action(
            "decline",
            P.TRANSFERS_ANSWER,
            (
                _step(
                    {S.CONSULTATION_ANSWERED, S.ORDERED, S.HANDED_OVER},
                    S.DECLINED,
                    A.RECEIVING_DECIDER,
                ),
            ),
        ),
        Action(
            "cancel",
            P.TRANSFERS_CANCEL,
            (
                _step(
                    {S.DRAFT, S.CONSULTATION_REQUESTED, S.CONSULTATION_ANSWERED},
                    S.CANCELLED,
                    A.SENDING_SUPERVISOR,
                ),
                _step({S.ORDERED, S.ESCORT_ASSIGNED}, S.CANCELLED, A.SENDING_AUTHORITY),
            ),
        ),
        Action(
            "report-absconded",
            P.TRANSFERS_ESCORT,
            (_step({S.ESCORT_ASSIGNED, S.IN_TRANSIT}, S.ABSCONDED_IN_TRANSIT, A.ESCORT),),
        ),
        Action(
            "border-handover",
            P.TRANSFERS_DIRECT,
            (_step({S.ORDERED, S.ESCORT_ASSIGNED}, S.REPATRIATED_ABROAD, A.SENDING_AUTHORITY),),
        ),
    )
}

# Escalation is a flag, not a state: raised by a supervisor, CWC or Magistrate of either side.
ESCALATORS = frozenset(
    {A.SENDING_SUPERVISOR, A.SENDING_AUTHORITY, A.RECEIVING_SUPERVISOR, A.RECEIVING_AUTHORITY}
)


@dataclass(frozen=True)
class TransferFacts:
    """What the actors depend on besides the principal."""

    status: Status
    track: Track
    receiving_authority_named: bool
    escalated: bool
    consultation_overdue: bool
    foreign_national: bool


def actors_of(principal: Principal, sides: set[Side], facts: TransferFacts) -> frozenset[Actor]:
    """The actors of the table this principal is on this transfer. A machine client acts as its
    agency's staff (its scopes never include the decisions: ``MACHINE_FORBIDDEN``)."""
    roles = principal.roles
    staff = principal.kind == "client" or bool(roles & _STAFF)
    supervisor = Role.SUPERVISOR in roles
    authority = bool(roles & _AUTHORITY)
    found: set[Actor] = set()
    if Side.SENDING_AGENCY in sides:
        if staff:
            found.add(A.SENDING_STAFF)
        if supervisor:
            found.add(A.SENDING_SUPERVISOR)
    if Side.SENDING_AUTHORITY in sides and authority:
        found.add(A.SENDING_AUTHORITY)
    if Side.RECEIVING_AUTHORITY in sides and authority:
        found.add(A.RECEIVING_AUTHORITY)
    if Side.RECEIVING_AGENCY in sides and supervisor:
        found.add(A.RECEIVING_SUPERVISOR)
    if Side.ESCORT in sides and staff:
        found.add(A.ESCORT)
    # The receiving decider and acceptor depend on the track and on who was named.
    if facts.track is Track.CHILD or facts.receiving_authority_named:
        if A.RECEIVING_AUTHORITY in found:
            found.add(A.RECEIVING_DECIDER)
    elif A.RECEIVING_SUPERVISOR in found:
        found.add(A.RECEIVING_DECIDER)
    if A.RECEIVING_SUPERVISOR in found or (
        facts.track is Track.CHILD and A.RECEIVING_AUTHORITY in found
    ):
        found.add(A.RECEIVING_ACCEPTOR)
    return frozenset(found)


def step_for(action: Action, actors: frozenset[Actor], facts: TransferFacts) -> Step | None:
    """The step this principal may take now, if any."""
    for step in action.steps:
        if facts.status in step.sources and actors & step.actors:
            if (
                action.name == "order"
                and facts.status is Status.CONSULTATION_REQUESTED
                and not facts.consultation_overdue
            ):
                continue
            if action.name == "border-handover" and not facts.foreign_national:
                continue  # a foreign national's alone (Model Rule 81(5))
            return step
    return None


def allowed_actions(principal: Principal, actors: frozenset[Actor], facts: TransferFacts) -> list[str]:
    """What this principal may do to the transfer now (for 409 answers and the transfer's read)."""
    found = [
        name
        for name, action in ACTIONS.items()
        if principal.can(action.permission) and step_for(action, actors, facts) is not None
    ]
    if may_escalate(principal, actors, facts):
        found.append("escalate")
    return found


# An escalation shows the transfer to both states' WCDs and commissions: not while it is a draft,
# which only the sending side sees.
ESCALATABLE = OPEN - {Status.DRAFT}


def may_escalate(principal: Principal, actors: frozenset[Actor], facts: TransferFacts) -> bool:
    return (
        principal.can(Permission.TRANSFERS_ESCALATE)
        and bool(actors & ESCALATORS)
        and facts.status in ESCALATABLE
        and not facts.escalated
    )
