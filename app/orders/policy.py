"""Which orders move a case, and where to: DOMAIN.md section 2's table as data.

An order is issued by the authority seized of the case, of its track: a CWC for a child, a
Magistrate for an adult; a compensation decision by the legal services authority before which
the claim is (``FORUM_KINDS``). Each kind names, per track, the stages it may be issued at and the stage
it moves the case to (``None``: the case keeps its stage). Transfer and escort orders are not
here: they are made only by the transfer's ``order`` and ``assign-escort`` actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.auth.permissions import AgencyType
from app.cases.vocab import Stage, Track


class OrderKind(StrEnum):
    PLACEMENT = "placement"
    SIR_DIRECTION = "sir_direction"
    AGE_DETERMINATION = "age_determination"
    SAFE_CUSTODY = "safe_custody"
    FINAL_ORDER = "final_order"
    CLOSURE = "closure"
    AGED_OUT = "aged_out"
    DISCLOSURE_PERMISSION = "disclosure_permission"
    # BNSS 2023 s.396: the decision on a compensation claim, by its forum (a DLSA / SLSA).
    COMPENSATION_DECISION = "compensation_decision"
    # Made by the transfer's actions only (refused at POST /v1/cases/{case_id}/orders).
    TRANSFER = "transfer"
    ESCORT = "escort"


TRANSFER_KINDS = frozenset({OrderKind.TRANSFER, OrderKind.ESCORT})
# Orders not of the authority seized but of a claim's forum: they decide the claim and leave the
# case as it is.
FORUM_KINDS = frozenset({OrderKind.COMPENSATION_DECISION})

# The authority that issues a track's orders (DOMAIN.md section 2).
AUTHORITY_OF = {Track.CHILD: AgencyType.CWC, Track.ADULT: AgencyType.MAGISTRATE}

S = Stage
# Stages in which she is in someone's care and the case is open (not away, not in transfer).
_IN_CARE_CHILD = frozenset(
    {S.PRODUCED, S.INTERIM_CARE, S.UNDER_INQUIRY, S.RECEIVED_HOME, S.FINAL_ORDER, S.FOLLOW_UP}
)
_IN_CARE_ADULT = frozenset(
    {
        S.PRODUCED,
        S.INTERMEDIATE_CUSTODY,
        S.SAFE_CUSTODY,
        S.HOME_VERIFICATION,
        S.MAGISTRATE_ORDER,
        S.REHABILITATION,
        S.FOLLOW_UP,
    }
)
# A case is closed from any stage but in transfer (the transfer ends first) and closed.
_CLOSABLE = frozenset(Stage) - {S.IN_TRANSFER, S.CLOSED}


@dataclass(frozen=True)
class Move:
    """Issued at one of ``from_stages``; moves the case to ``to`` (``None``: stays where it is;
    a stage mapped in ``to_from`` moves there instead)."""

    from_stages: frozenset[Stage]
    to: Stage | None = None
    to_from: tuple[tuple[Stage, Stage], ...] = ()

    def target(self, stage: Stage) -> Stage:
        return dict(self.to_from).get(stage, self.to or stage)


# A child's inquiry begins with the SIR direction or the age determination.
_INQUIRY = ((S.PRODUCED, S.UNDER_INQUIRY), (S.INTERIM_CARE, S.UNDER_INQUIRY))

MOVES: dict[OrderKind, dict[Track, Move]] = {
    # Model Forms 18/19; ITPA s.17(1): the first placement moves `produced` on; later ones
    # change where she stays without moving the stage.
    OrderKind.PLACEMENT: {
        Track.CHILD: Move(_IN_CARE_CHILD, to_from=((S.PRODUCED, S.INTERIM_CARE),)),
        Track.ADULT: Move(_IN_CARE_ADULT, to_from=((S.PRODUCED, S.INTERMEDIATE_CUSTODY),)),
    },
    # JJ s.36: the social investigation; at home the receiving CWC may direct one too.
    OrderKind.SIR_DIRECTION: {
        Track.CHILD: Move(frozenset({S.PRODUCED, S.INTERIM_CARE, S.RECEIVED_HOME}), to_from=_INQUIRY),
    },
    # JJ s.94: a child stays a child and goes under inquiry; the track change is decided in the
    # service (it depends on the age determined).
    OrderKind.AGE_DETERMINATION: {
        Track.CHILD: Move(frozenset({S.PRODUCED, S.INTERIM_CARE, S.UNDER_INQUIRY}), to_from=_INQUIRY),
        Track.ADULT: Move(frozenset({S.PRODUCED, S.INTERMEDIATE_CUSTODY, S.SAFE_CUSTODY})),
    },
    # ITPA s.17(3).
    OrderKind.SAFE_CUSTODY: {
        Track.ADULT: Move(frozenset({S.PRODUCED, S.INTERMEDIATE_CUSTODY}), to=S.SAFE_CUSTODY),
    },
    # JJ s.37, s.40 (after the transfer, or where home is in the district: no transfer); ITPA
    # s.17 (before the transfer).
    OrderKind.FINAL_ORDER: {
        Track.CHILD: Move(frozenset({S.UNDER_INQUIRY, S.RECEIVED_HOME}), to=S.FINAL_ORDER),
        Track.ADULT: Move(frozenset({S.SAFE_CUSTODY, S.HOME_VERIFICATION}), to=S.MAGISTRATE_ORDER),
    },
    # JJ s.40(4).
    OrderKind.CLOSURE: {
        Track.CHILD: Move(_CLOSABLE, to=S.CLOSED),
        Track.ADULT: Move(_CLOSABLE, to=S.CLOSED),
    },
    # Model Rule 25: she turned 18 (aftercare, or the adult track).
    OrderKind.AGED_OUT: {
        Track.CHILD: Move(_IN_CARE_CHILD | {S.ABSCONDED}, to=S.AGED_OUT),
    },
    # JJ s.74(1) proviso: the committee may permit a disclosure in the child's interest.
    OrderKind.DISCLOSURE_PERMISSION: {
        Track.CHILD: Move(frozenset(Stage) - {S.CLOSED}),
        Track.ADULT: Move(frozenset(Stage) - {S.CLOSED}),
    },
    # A claim is decided whatever the case's stage, closed included: her right to compensation
    # does not end with her case file (the claim's own state decides: app.compensation).
    OrderKind.COMPENSATION_DECISION: {
        Track.CHILD: Move(frozenset(Stage)),
        Track.ADULT: Move(frozenset(Stage)),
    },
}

# The statute each kind is issued under, when the order does not name its own.
LEGAL_BASIS: dict[OrderKind, dict[Track, str]] = {
    OrderKind.PLACEMENT: {Track.CHILD: "JJ Act s.37; Forms 18/19", Track.ADULT: "ITPA 1956 s.17(1)"},
    OrderKind.SIR_DIRECTION: {Track.CHILD: "JJ Act 2015 s.36"},
    OrderKind.AGE_DETERMINATION: {Track.CHILD: "JJ Act 2015 s.94", Track.ADULT: "JJ Act 2015 s.94"},
    OrderKind.SAFE_CUSTODY: {Track.ADULT: "ITPA 1956 s.17(3)"},
    OrderKind.FINAL_ORDER: {Track.CHILD: "JJ Act 2015 s.37, s.40", Track.ADULT: "ITPA 1956 s.17"},
    OrderKind.CLOSURE: {Track.CHILD: "JJ Act 2015 s.40(4)", Track.ADULT: "ITPA 1956 s.17"},
    OrderKind.AGED_OUT: {Track.CHILD: "JJ Model Rules 2016 r.25"},
    OrderKind.DISCLOSURE_PERMISSION: {Track.CHILD: "JJ Act 2015 s.74(1)", Track.ADULT: "BNS 2023 s.72"},
    OrderKind.COMPENSATION_DECISION: {Track.CHILD: "BNSS 2023 s.396", Track.ADULT: "BNSS 2023 s.396"},
}  # fmt: skip


class ChildOutcome(StrEnum):
    RESTORATION = "restoration"
    INSTITUTIONAL_CARE = "institutional_care"
    FOSTER_CARE = "foster_care"
    SPONSORSHIP = "sponsorship"


class AdultOutcome(StrEnum):
    RELEASE_TO_FAMILY = "release_to_family"
    RELEASE_ON_OWN = "release_on_own"
    PROTECTIVE_HOME = "protective_home"
    VOLUNTARY_SHELTER = "voluntary_shelter"


OUTCOMES: dict[Track, frozenset[str]] = {
    Track.CHILD: frozenset(ChildOutcome),
    Track.ADULT: frozenset(AdultOutcome),
}
# A final order that sends her home starts the follow-up visits (DOMAIN.md section 7).
HOME_OUTCOMES = frozenset({ChildOutcome.RESTORATION.value, AdultOutcome.RELEASE_TO_FAMILY.value})


def kinds_now(track: Track, stage: Stage) -> list[str]:
    """The order kinds the authority of the case may issue at this stage (for 409 answers)."""
    return sorted(
        f"order:{kind.value}"
        for kind, moves in MOVES.items()
        if kind not in FORUM_KINDS and track in moves and stage in moves[track].from_stages
    )


ADULT_AGE = 18
