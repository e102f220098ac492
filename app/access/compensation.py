"""Who sees which compensation claim, and on which side of it they stand: as SQL, built once per
principal shape like the case relations (``app.access.cases``), compared against the caller's
bind parameters; read and list filter with the one predicate.

A claim is visible to the agency that filed it, to its forum (the legal services authority that
decides it: from the application on, and after it ends, as the record of its own decision), to
the case's owner and the authority seized of it, and to the commissions and audit offices that
see the case (they read the claim's course: parties, amounts, states, dates; not what was written
in it).
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
from app.compensation.models import CompensationClaim
from app.compensation.policy import AUTHORITY_TYPES, FORUM_ROLES, Side, filer_roles


def _acts_as(shape: Shape, roles: frozenset[Role]) -> bool:
    return shape.kind == "client" or bool(shape.roles & roles)


def _holds_case(shape: Shape) -> ColumnElement[bool] | None:
    """The caller holds the claim's case as its owner or as the authority seized."""
    relations = relations_of(shape)
    held = [relations[name] for name in ("owner", "competent_authority") if name in relations]
    if not held:
        return None
    return exists(select(Case.id).where(Case.id == CompensationClaim.case_id, or_(*held)))


def _sides(shape: Shape) -> dict[str, ColumnElement[bool]]:
    found: dict[str, ColumnElement[bool]] = {}
    # A committee's or a court's client is not its members: it files nothing.
    client_files = shape.kind == "client" and shape.agency_type not in AUTHORITY_TYPES
    if client_files or shape.roles & filer_roles(shape.agency_type):
        found[Side.FILER] = CompensationClaim.filed_by_agency_id == caller_agency()
    if shape.agency_type is AgencyType.LEGAL_SERVICES and _acts_as(shape, FORUM_ROLES):
        found[Side.FORUM] = CompensationClaim.forum_agency_id == caller_agency()
    holder = _holds_case(shape)
    if holder is not None:
        found[Side.CASE_HOLDER] = holder
    return found


@functools.cache
def sides_of(shape: Shape) -> Mapping[str, ColumnElement[bool]]:
    """The sides a principal of this shape can stand on, each a condition on the claim row."""
    return MappingProxyType(_sides(shape))


# The oversight relations of the case through which a claim is seen (no side: read only).
_OVERSEERS = {AgencyType.COMMISSION: "commission", AgencyType.AUDIT: "auditor"}


@functools.cache
def overseen_of(shape: Shape) -> ColumnElement[bool] | None:
    """Claims of cases the caller sees as a commission or an audit office."""
    name = _OVERSEERS.get(shape.agency_type)
    clause = relations_of(shape).get(name) if name else None
    if clause is None:
        return None
    return exists(select(Case.id).where(Case.id == CompensationClaim.case_id, clause))


@functools.cache
def visible_of(shape: Shape) -> ColumnElement[bool]:
    clauses = list(sides_of(shape).values())
    overseen = overseen_of(shape)
    if overseen is not None:
        clauses.append(overseen)
    if not clauses:
        return false()
    return clauses[0] if len(clauses) == 1 else or_(*clauses)


def visible_claims(principal: Principal) -> ColumnElement[bool]:
    """The one visibility predicate for compensation claims: read and list filter with it."""
    return visible_of(shape_of(principal))
