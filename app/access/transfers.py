"""Who sees which transfer, and on which side of it they stand: as SQL, built once per principal
shape like the case relations (``app.access.cases``), compared against the caller's bind
parameters.

A transfer is visible to its sending agency and sending authority from its creation, to the
receiving agency and authority from the request for consultation on (they must read the bundle to
answer), to the escorting unit once named, to the commissions and audit offices of both states
(national ones everywhere), and to the WCDs of both states while it is escalated.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy import ColumnElement, and_, false, or_, true

from app.access.binds import caller_agency, caller_state
from app.access.cases import Shape, shape_of
from app.access.escalation import escalated_now
from app.auth.permissions import AgencyType, Role
from app.auth.principal import Principal
from app.transfers.models import Transfer
from app.transfers.policy import Side

_STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.POLICE_OFFICER})
_AUTHORITY = frozenset({Role.CWC_MEMBER, Role.MAGISTRATE})
_AUTHORITY_TYPES = frozenset({AgencyType.CWC, AgencyType.MAGISTRATE})
# An escorting unit is the police (an SJPU), a DCPU or a home (DOMAIN.md section 3).
ESCORT_AGENCY_TYPES = frozenset(
    {AgencyType.POLICE, AgencyType.AHTU, AgencyType.SJPU, AgencyType.DCPU, AgencyType.SHELTER}
)


def _acts_as(shape: Shape, roles: frozenset[Role]) -> bool:
    return shape.kind == "client" or bool(shape.roles & roles)


def _in_states(shape: Shape) -> ColumnElement[bool]:
    if shape.national:
        return true()
    return or_(Transfer.sending_state == caller_state(), Transfer.receiving_state == caller_state())


def _sides(shape: Shape) -> dict[str, ColumnElement[bool]]:
    found: dict[str, ColumnElement[bool]] = {}
    requested = Transfer.consultation_requested_at.is_not(None)
    if _acts_as(shape, _STAFF):
        found[Side.SENDING_AGENCY] = Transfer.sending_agency_id == caller_agency()
        found[Side.RECEIVING_AGENCY] = and_(Transfer.receiving_agency_id == caller_agency(), requested)
        if shape.agency_type in ESCORT_AGENCY_TYPES:
            found[Side.ESCORT] = Transfer.escort_agency_id == caller_agency()
    if shape.agency_type in _AUTHORITY_TYPES and _acts_as(shape, _AUTHORITY):
        found[Side.SENDING_AUTHORITY] = Transfer.sending_authority_id == caller_agency()
        found[Side.RECEIVING_AUTHORITY] = and_(
            Transfer.receiving_authority_id == caller_agency(), requested
        )
    return found


@functools.cache
def sides_of(shape: Shape) -> Mapping[str, ColumnElement[bool]]:
    """The sides a principal of this shape can stand on, each a condition on the transfer row."""
    return MappingProxyType(_sides(shape))


@functools.cache
def visible_of(shape: Shape) -> ColumnElement[bool]:
    clauses = list(sides_of(shape).values())
    if shape.agency_type is AgencyType.COMMISSION and _acts_as(
        shape, frozenset({Role.COMMISSION_OFFICER})
    ):
        clauses.append(_in_states(shape))
    if shape.agency_type is AgencyType.AUDIT and _acts_as(shape, frozenset({Role.AUDITOR})):
        clauses.append(_in_states(shape))
    if shape.agency_type is AgencyType.WCD and _acts_as(shape, _STAFF) and not shape.national:
        # Oversight: the WCDs of both states, while the transfer is escalated.
        clauses.append(and_(_in_states(shape), escalated_now()))
    if not clauses:
        return false()
    return clauses[0] if len(clauses) == 1 else or_(*clauses)


def visible_transfers(principal: Principal) -> ColumnElement[bool]:
    """The one visibility predicate for transfers: read and list filter with it."""
    return visible_of(shape_of(principal))


def side_columns(principal: Principal) -> Mapping[str, ColumnElement[bool]]:
    return sides_of(shape_of(principal))
