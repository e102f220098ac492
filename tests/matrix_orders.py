"""Request builders of the role x endpoint matrix (tests/test_matrix.py) for orders and stage
reports: each makes a case on which the caller's agency is the actor of the route, at a stage the
route acts from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.auth.permissions import AgencyType, Permission
from tests.orders_support import Seized, when

Request = tuple[str, dict[str, Any]]


def _issue(h: Any, c: Any) -> Request:
    """The caller is a member of the CWC (a child's case) or the Magistrate (an adult's) seized
    of a produced case; without the permission any case will do (403 comes first)."""
    if Permission.ORDERS_ISSUE not in c.permissions:
        seized = Seized(h)
        return f"/v1/cases/{seized.case.id}/orders", {"json": seized.order("placement")}
    if AgencyType(c.agency.type) is AgencyType.LEGAL_SERVICES:
        # A legal services authority makes one kind of order: the decision of a claim before it.
        from tests.matrix_compensation import compensation_decision

        return compensation_decision(h, c)
    track = "adult" if AgencyType(c.agency.type) is AgencyType.MAGISTRATE else "child"
    seized = Seized(h, track=track, authority=c.agency, state=c.agency.state)
    body = {**seized.order("placement"), "issuing_members": [str(c.user.id)]}
    return f"/v1/cases/{seized.case.id}/orders", {"json": body}


def _owned(h: Any, c: Any, stage: str = "interim_care", before_exit: str | None = None) -> Any:
    """A case of the caller's agency (assigned to the caller), at ``stage``."""
    seized = Seized(h, owner=c.agency if _creates(c) else None, state=c.agency.state or "IN-MH")
    seized.set_stage(stage, before_exit)
    return seized


def _creates(c: Any) -> bool:
    return AgencyType(c.agency.type) in (
        AgencyType.NGO, AgencyType.POLICE, AgencyType.AHTU, AgencyType.SJPU,
    )  # fmt: skip


def _report(route: str, stage: str, before_exit: str | None = None) -> Callable[[Any, Any], Request]:
    def build(h: Any, c: Any) -> Request:
        seized = _owned(h, c, stage, before_exit)
        body = {"occurred_at": when(minutes=2), "circumstances": "Reported by the home."}
        return f"/v1/cases/{seized.case.id}/{route}", {"json": body}

    return build


def _list(h: Any, c: Any) -> Request:
    """Orders are read by the owner, the authority, rescue parties, commissions and auditors:
    a case of the caller's agency, or before its authority, or in its state."""
    kind = AgencyType(c.agency.type)
    if kind in (AgencyType.CWC, AgencyType.MAGISTRATE):
        track = "adult" if kind is AgencyType.MAGISTRATE else "child"
        seized = Seized(h, track=track, authority=c.agency, state=c.agency.state)
    else:
        seized = _owned(h, c)
    return f"/v1/cases/{seized.case.id}/orders", {}


ORDER_BUILDERS: dict[tuple[str, str], Callable[[Any, Any], Request]] = {
    ("POST", "/v1/cases/{case_id}/orders"): _issue,
    ("GET", "/v1/cases/{case_id}/orders"): _list,
    ("GET", "/v1/deadlines"): lambda h, c: ("/v1/deadlines?status=overdue&owed_by_me=true", {}),
    ("POST", "/v1/cases/{case_id}/absconded-report"): _report("absconded-report", "interim_care"),
    ("POST", "/v1/cases/{case_id}/return-report"): _report("return-report", "absconded", "interim_care"),
    ("POST", "/v1/cases/{case_id}/death-report"): _report("death-report", "interim_care"),
}
