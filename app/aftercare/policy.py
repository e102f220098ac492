"""Life after the final order (DOMAIN.md sections 1, 2 and 7) as data: where follow-up visits and
rehabilitation services are recorded, what moves the case, and what covers an adult's stay in a
shelter."""

from __future__ import annotations

from enum import StrEnum

from app.cases.vocab import Stage, Track


class RiskLevel(StrEnum):
    """The reassessed risk at a follow-up visit (re-trafficking, harm at home)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Recommendation(StrEnum):
    CONTINUE = "continue"  # the next visit as scheduled
    REVIEW = "review"  # the CWC / Magistrate should look at the case again
    CLOSE = "close"  # the visits can end: a closure order is proposed


class ServiceType(StrEnum):
    SHELTER = "shelter"
    COUNSELLING = "counselling"
    MEDICAL = "medical"
    EDUCATION = "education"
    VOCATIONAL_TRAINING = "vocational_training"
    LIVELIHOOD = "livelihood"
    LEGAL_AID = "legal_aid"
    FINANCIAL_ASSISTANCE = "financial_assistance"
    DOCUMENTATION = "documentation"  # ration card, Aadhaar, bank account
    OTHER = "other"


class ServiceStatus(StrEnum):
    ONGOING = "ongoing"
    COMPLETED = "completed"
    DISCONTINUED = "discontinued"


class ConsentPurpose(StrEnum):
    """What an adult consents to (DOMAIN.md section 1), each recorded on its own."""

    SHELTER_STAY = "shelter_stay"
    DATA_SHARING = "data_sharing"  # with one named agency
    MEDICAL_EXAMINATION = "medical_examination"


# Who records visits, services and consents: the agency holding her (the owner, at home after the
# transfer: the home DCPU or NGO) and the shelter she is placed in. The authority orders; it does
# not record these facts.
RECORDERS = frozenset({"owner", "placement"})
VISITORS = frozenset({"owner"})

S = Stage
# A follow-up visit is made once she is home under a final order (DOMAIN.md section 2): the first
# one moves the case to follow_up.
VISIT_STAGES: dict[Track, frozenset[Stage]] = {
    Track.CHILD: frozenset({S.FINAL_ORDER, S.FOLLOW_UP}),
    Track.ADULT: frozenset({S.REHABILITATION, S.FOLLOW_UP}),
}
FIRST_VISIT_MOVES = frozenset({S.FINAL_ORDER, S.REHABILITATION})

# Services are given while the case is open and she is in someone's care (not on the way home:
# the escort has her; not away).
SERVICE_STAGES = frozenset(Stage) - {S.CLOSED, S.DECEASED, S.IN_TRANSFER, S.ABSCONDED, S.RESCUED}

# An adult's stay is covered by the Magistrate's order in force or by her consent. Orders cover
# for the periods the law gives them (the ITPA s.17 deadlines); a protective-home final order for
# as long as it runs; a voluntary-shelter final order only with her consent.
COVERING_RULES = {"ITPA17_INTERMEDIATE", "ITPA17_SAFE_CUSTODY"}
PROTECTIVE_OUTCOMES = frozenset({"protective_home"})
CONSENT_STAGES = frozenset(Stage) - {S.CLOSED, S.DECEASED}


def aftercare_actions(track: Track, stage: Stage, relations: set[str]) -> list[str]:
    """What the holder may record now (by route name, for a case's 409 answers)."""
    actions = []
    if relations & VISITORS and stage in VISIT_STAGES[track]:
        actions.append("follow-up-visit")
    if relations & RECORDERS and stage in SERVICE_STAGES:
        actions.append("rehabilitation-service")
    if relations & RECORDERS and track is Track.ADULT and stage in CONSENT_STAGES:
        actions.append("consent")
    return actions


def first_visit_moves(stage: Stage) -> bool:
    return stage in FIRST_VISIT_MOVES


def starts_rehabilitation(
    track: Track, stage: Stage, home: tuple[str | None, str | None], here: tuple[str | None, str | None]
) -> bool:
    """An adult whose home is in the district where she is needs no transfer: the first service
    after the Magistrate's order begins her rehabilitation (DOMAIN.md section 2)."""
    return track is Track.ADULT and stage is S.MAGISTRATE_ORDER and None not in home and home == here
