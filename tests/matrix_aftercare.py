"""Request builders of the role x endpoint matrix (tests/test_matrix.py) for follow-up visits,
rehabilitation services and consents: a case of the caller's agency (when its type owns cases;
otherwise any case, and the answer is the 403 or 404 the matrix expects of a caller without the
permission) at a stage the route acts from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.matrix_orders import _creates
from tests.orders_support import Seized, when

Request = tuple[str, dict[str, Any]]


def _case(h: Any, c: Any, stage: str, track: str = "child") -> Seized:
    owner = c.agency if _creates(c) else None
    seized = Seized(h, track=track, owner=owner, state=c.agency.state or "IN-MH")
    seized.set_stage(stage)
    return seized


def _visit(h: Any, c: Any) -> Request:
    seized = _case(h, c, "final_order")
    body = {"occurred_at": when(minutes=2), "findings": "At home, in school.", "risk_level": "low"}
    return f"/v1/cases/{seized.case.id}/follow-up-visits", {"json": body}


def _service_body() -> dict[str, Any]:
    return {"occurred_at": when(minutes=3), "type": "counselling", "scheme": "Mission Vatsalya"}


def _start_service(h: Any, c: Any) -> Request:
    seized = _case(h, c, "interim_care")
    return f"/v1/cases/{seized.case.id}/rehabilitation-services", {"json": _service_body()}


def _end_service(h: Any, c: Any) -> Request:
    seized = _case(h, c, "interim_care")
    started = h.client.post(
        f"/v1/cases/{seized.case.id}/rehabilitation-services",
        json=_service_body(),
        headers=seized.headers["caseworker"],
    )
    assert started.status_code == 201, started.text
    body = {"occurred_at": when(minutes=1), "status": "completed", "outcome": "Sessions done."}
    route = f"/v1/cases/{seized.case.id}/rehabilitation-services/{started.json()['id']}/end"
    return route, {"json": body}


def _consent_body() -> dict[str, Any]:
    return {
        "occurred_at": when(minutes=3),
        "purpose": "shelter_stay",
        "given": True,
        "how_recorded": "In Bengali, form SC-1 signed",
    }


def _consent(h: Any, c: Any) -> Request:
    seized = _case(h, c, "safe_custody", track="adult")
    return f"/v1/cases/{seized.case.id}/consents", {"json": _consent_body()}


def _withdraw(h: Any, c: Any) -> Request:
    seized = _case(h, c, "safe_custody", track="adult")
    given = h.client.post(
        f"/v1/cases/{seized.case.id}/consents",
        json=_consent_body(),
        headers=seized.headers["caseworker"],
    )
    assert given.status_code == 201, given.text
    body = {"occurred_at": when(minutes=1), "note": "She wants to go home."}
    return f"/v1/cases/{seized.case.id}/consents/{given.json()['id']}/withdraw", {"json": body}


def _read(route: str, track: str = "child") -> Callable[[Any, Any], Request]:
    """Read by the owner, the authority, commissions and auditors: a case of the caller's agency,
    or before its authority, or in its state."""

    def build(h: Any, c: Any) -> Request:
        from app.auth.permissions import AgencyType

        kind = AgencyType(c.agency.type)
        if kind in (AgencyType.CWC, AgencyType.MAGISTRATE):
            own = "adult" if kind is AgencyType.MAGISTRATE else "child"
            seized = Seized(h, track=own, authority=c.agency, state=c.agency.state)
        else:
            seized = _case(h, c, "follow_up", track=track)
        return f"/v1/cases/{seized.case.id}/{route}", {}

    return build


AFTERCARE_BUILDERS: dict[tuple[str, str], Callable[[Any, Any], Request]] = {
    ("POST", "/v1/cases/{case_id}/follow-up-visits"): _visit,
    ("GET", "/v1/cases/{case_id}/follow-up-visits"): _read("follow-up-visits"),
    ("POST", "/v1/cases/{case_id}/rehabilitation-services"): _start_service,
    ("POST", "/v1/cases/{case_id}/rehabilitation-services/{service_id}/end"): _end_service,
    ("GET", "/v1/cases/{case_id}/rehabilitation-services"): _read("rehabilitation-services"),
    ("POST", "/v1/cases/{case_id}/consents"): _consent,
    ("POST", "/v1/cases/{case_id}/consents/{consent_id}/withdraw"): _withdraw,
    ("GET", "/v1/cases/{case_id}/consents"): _read("consents", track="adult"),
}
