"""The SQL of a referral's reads, built once per principal shape and bound per request, on both
databases: a read by id brings the referral, the caller's sides, its case's code, track and
stage, and its acts, in one statement. The writes only PostgreSQL speaks are in
``app.referrals.statements_pg``.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Uuid, bindparam, select
from sqlalchemy.orm import aliased

from app.access.cases import Shape
from app.access.referrals import sides_of, visible_of
from app.cases.models import Case
from app.db import AnySelect
from app.referrals.models import Referral, ReferralAct

# The case's code and track ride along with the referral: all a receiving agency sees of the
# case until it accepts. (An alias, so that the visibility's own subqueries on ``cases`` stay
# subqueries of their own rather than correlating with this join.)
REFERRED_CASE = aliased(Case, name="referred_case")

REFERRAL_COLUMNS = tuple(c.name for c in Referral.__table__.c)
# A referral's acts ride along with it, a row each (its columns repeated): one statement reads
# the referral, the caller's sides, its case's stage and everything its answer shows.
ACT_COLUMNS = tuple(c.name for c in ReferralAct.__table__.c)


@functools.cache
def with_sides(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    """SELECT visible referrals with each side the caller can stand on (labelled columns)."""
    sides = sides_of(shape)
    statement: AnySelect = (
        select(
            *Referral.__table__.c,
            REFERRED_CASE.code.label("case_code"),
            REFERRED_CASE.track.label("case_track"),
            REFERRED_CASE.stage.label("case_stage"),
            *[clause.label(f"side_{name}") for name, clause in sides.items()],
        )
        .join(REFERRED_CASE, REFERRED_CASE.id == Referral.case_id)
        .where(visible_of(shape))
    )
    return statement, tuple(sides)


def with_acts(statement: AnySelect, referral_id: Any) -> AnySelect:
    """``statement`` with the acts of its referral (whose id is ``referral_id``), a row per act
    in the order they were entered (``act_``-labelled columns; one row of NULLs for none)."""
    acts = aliased(ReferralAct, name="referral_act")
    return (
        statement.add_columns(*[getattr(acts, name).label(f"act_{name}") for name in ACT_COLUMNS])
        .outerjoin(acts, acts.referral_id == referral_id)
        .order_by(acts.recorded_at, acts.id)
    )


@functools.cache
def by_id(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    """One visible referral (``referral_id``) with its acts, a row per act."""
    statement, names = with_sides(shape)
    statement = with_acts(statement, Referral.id).where(
        Referral.id == bindparam("referral_id", type_=Uuid())
    )
    return statement, names


@functools.cache
def by_ids(shape: Shape) -> tuple[AnySelect, tuple[str, ...]]:
    statement, names = with_sides(shape)
    return statement.where(Referral.id.in_(bindparam("referral_ids", expanding=True))), names
