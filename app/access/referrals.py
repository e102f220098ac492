"""Who sees which referral, and on which side of it they stand: as SQL, built once per principal
shape like the case relations (``app.access.cases``), compared against the caller's bind
parameters; read and list filter with the one predicate.

A referral is visible to the agency that made it, to the agency asked (from the request on: it
must read the referral to decide; what it reads of the case is the case's code and track, on the
referral, until it accepts and the case relation ``referral:<type>`` opens the case itself), to
the case's owner and the authority seized of it, and to the commissions and audit offices that
see the case.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy import ColumnElement, exists, false, or_, select

from app.access.binds import caller_agency
from app.access.cases import Shape, relations_of, shape_of
from app.auth.permissions import AgencyType, Role
from app.auth.principal import Principal
from app.cases.models import Case
from app.referrals.models import Referral
from app.referrals.policy import (
    AUTHORITY_ROLES,
    AUTHORITY_TYPES,
    CASE_STAFF,
    Side,
    provided_by,
    service_roles,
)


def _acts_as(shape: Shape, roles: frozenset[Role]) -> bool:
    return shape.kind == "client" or bool(shape.roles & roles)


def _own_roles(shape: Shape) -> frozenset[Role]:
    """The roles through which the caller's agency refers: a committee's or a court's members;
    anywhere else its case staff."""
    return AUTHORITY_ROLES if shape.agency_type in AUTHORITY_TYPES else CASE_STAFF


def _holds_case(shape: Shape) -> ColumnElement[bool] | None:
    """The caller holds the referral's case as its owner or as the authority seized."""
    relations = relations_of(shape)
    held = [relations[name] for name in ("owner", "competent_authority") if name in relations]
    if not held:
        return None
    return exists(select(Case.id).where(Case.id == Referral.case_id, or_(*held)))


def _sides(shape: Shape) -> dict[str, ColumnElement[bool]]:
    found: dict[str, ColumnElement[bool]] = {}
    if _acts_as(shape, _own_roles(shape)):
        found[Side.REFERRING] = Referral.referring_agency_id == caller_agency()
    if provided_by(shape.agency_type) and _acts_as(shape, service_roles(shape.agency_type)):
        found[Side.RECEIVING] = Referral.receiving_agency_id == caller_agency()
    holder = _holds_case(shape)
    if holder is not None:
        found[Side.CASE_HOLDER] = holder
    return found


@functools.cache
def sides_of(shape: Shape) -> Mapping[str, ColumnElement[bool]]:
    """The sides a principal of this shape can stand on, each a condition on the referral row."""
    return MappingProxyType(_sides(shape))


# The oversight relations of the case through which a referral is seen (no side: read only).
_OVERSEERS = {AgencyType.COMMISSION: "commission", AgencyType.AUDIT: "auditor"}


@functools.cache
def overseen_of(shape: Shape) -> ColumnElement[bool] | None:
    """Referrals of cases the caller sees as a commission or an audit office."""
    name = _OVERSEERS.get(shape.agency_type)
    clause = relations_of(shape).get(name) if name else None
    if clause is None:
        return None
    return exists(select(Case.id).where(Case.id == Referral.case_id, clause))


@functools.cache
def visible_of(shape: Shape) -> ColumnElement[bool]:
    clauses = list(sides_of(shape).values())
    overseen = overseen_of(shape)
    if overseen is not None:
        clauses.append(overseen)
    if not clauses:
        return false()
    return clauses[0] if len(clauses) == 1 else or_(*clauses)


def visible_referrals(principal: Principal) -> ColumnElement[bool]:
    """The one visibility predicate for referrals: read and list filter with it."""
    return visible_of(shape_of(principal))
