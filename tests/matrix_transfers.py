"""Request builders of the role x endpoint matrix (tests/test_matrix.py) for the transfer routes:
each makes a transfer on which the caller's agency is the actor of the route, in a state the
route acts from."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from app.auth.permissions import AgencyType, Permission
from app.transfers.policy import ACTIONS
from tests.transfers_support import World

Request = tuple[str, dict[str, Any]]


def _is(caller: Any, *types: AgencyType) -> bool:
    return AgencyType(caller.agency.type) in types


def _track(caller: Any) -> str:
    return "adult" if _is(caller, AgencyType.MAGISTRATE) else "child"


def _sending(h: Any, caller: Any, nationality: str = "IN") -> World:
    """The caller's agency sends: as the owner's staff, or as the authority seized."""
    if _is(caller, AgencyType.CWC, AgencyType.MAGISTRATE):
        return World(h, track=_track(caller), sending_authority=caller.agency, nationality=nationality)
    return World(h, sending_agency=caller.agency, nationality=nationality)


def _receiving(h: Any, caller: Any) -> World:
    """The caller's agency receives: as the home CWC / Magistrate, or as the home agency (an
    adult's, with no Magistrate named, when the caller is a supervisor who must decide)."""
    if _is(caller, AgencyType.CWC, AgencyType.MAGISTRATE):
        home = caller.agency.state
        return World(
            h,
            track=_track(caller),
            receiving_authority=caller.agency,
            receiving_agency=h.agency(AgencyType.NGO, home),
            sending_agency=h.agency(AgencyType.NGO, "IN-DL"),
        )
    return World(
        h,
        track="adult",
        receiving_agency=caller.agency,
        name_receiving_authority=False,
        sending_agency=h.agency(AgencyType.NGO, "IN-DL"),
    )


def _action(world: World, status: str, action: str, body: dict[str, Any] | None = None) -> Request:
    world.to(status)
    return (
        f"/v1/transfers/{world.transfer_id}/{action}",
        {"json": world.body_for(action) if body is None else body},
    )


def _create(h: Any, c: Any) -> Request:
    world = World(h, sending_agency=c.agency)
    body = {"receiving_agency_id": str(world.receiving_agency.id), "reasons": "Home is traced."}
    body["receiving_authority_id"] = str(world.receiving_authority.id)
    return f"/v1/cases/{world.case.id}/transfers", {"json": body}


def _read(h: Any, c: Any) -> Request:
    world = _sending(h, c) if not _is(c, AgencyType.COMMISSION, AgencyType.AUDIT) else World(h)
    world.to("draft")
    return f"/v1/transfers/{world.transfer_id}", {}


def _escort(h: Any, c: Any, status: str, action: str) -> Request:
    return _action(World(h, escort_agency=c.agency), status, action)


def _cancel(h: Any, c: Any) -> Request:
    world = _sending(h, c)
    # Before the order the sending supervisor cancels; after it, the CWC / Magistrate.
    status = "ordered" if _is(c, AgencyType.CWC, AgencyType.MAGISTRATE) else "draft"
    return _action(world, status, "cancel")


def _accept(h: Any, c: Any) -> Request:
    if _is(c, AgencyType.CWC):
        world = World(
            h,
            receiving_authority=c.agency,
            receiving_agency=h.agency(AgencyType.NGO, c.agency.state),
            sending_agency=h.agency(AgencyType.NGO, "IN-DL"),
        )
    else:
        world = World(h, receiving_agency=c.agency, sending_agency=h.agency(AgencyType.NGO, "IN-DL"))
    return _action(world, "handed_over", "accept")


def _escalate(h: Any, c: Any) -> Request:
    return _action(_sending(h, c), "consultation_requested", "escalate")


B = Callable[[Any, Any], Request]


def _or_any(permission: Permission, build: B, stand_in: AgencyType) -> B:
    """A caller without the route's permission is refused before the transfer is looked at
    (403): any transfer will do, so a default one is made instead of one the caller acts on."""

    def builder(h: Any, c: Any) -> Request:
        if permission in c.permissions:
            return build(h, c)
        stranger = SimpleNamespace(agency=h.agency(stand_in, "IN-MH"), permissions=frozenset())
        return build(h, stranger)

    return builder


_PLAIN: dict[tuple[str, str], B] = {
    ("POST", "/v1/cases/{case_id}/transfers"): _create,
    ("GET", "/v1/transfers/{transfer_id}"): _read,
    ("GET", "/v1/transfers"): lambda h, c: ("/v1/transfers", {}),
    ("POST", "/v1/transfers/{transfer_id}/request-consultation"): lambda h, c: _action(
        _sending(h, c), "draft", "request-consultation"
    ),
    ("POST", "/v1/transfers/{transfer_id}/answer-consultation"): lambda h, c: _action(
        _receiving(h, c), "consultation_requested", "answer-consultation"
    ),
    ("POST", "/v1/transfers/{transfer_id}/order"): lambda h, c: _action(
        _sending(h, c), "consultation_answered", "order"
    ),
    ("POST", "/v1/transfers/{transfer_id}/assign-escort"): lambda h, c: _action(
        _sending(h, c), "ordered", "assign-escort"
    ),
    ("POST", "/v1/transfers/{transfer_id}/border-handover"): lambda h, c: _action(
        _sending(h, c, nationality="BD"), "ordered", "border-handover"
    ),
    ("POST", "/v1/transfers/{transfer_id}/depart"): lambda h, c: _escort(
        h, c, "escort_assigned", "depart"
    ),
    ("POST", "/v1/transfers/{transfer_id}/hand-over"): lambda h, c: _escort(
        h, c, "in_transit", "hand-over"
    ),
    ("POST", "/v1/transfers/{transfer_id}/report-absconded"): lambda h, c: _escort(
        h, c, "in_transit", "report-absconded"
    ),
    ("POST", "/v1/transfers/{transfer_id}/accept"): _accept,
    ("POST", "/v1/transfers/{transfer_id}/decline"): lambda h, c: _action(
        _receiving(h, c), "consultation_answered", "decline"
    ),
    ("POST", "/v1/transfers/{transfer_id}/cancel"): _cancel,
    ("POST", "/v1/transfers/{transfer_id}/escalate"): _escalate,
}

_PERMISSIONS = {
    "/v1/cases/{case_id}/transfers": Permission.TRANSFERS_CREATE,
    "/v1/transfers/{transfer_id}": Permission.TRANSFERS_READ,
    "/v1/transfers": Permission.TRANSFERS_READ,
    "/v1/transfers/{transfer_id}/escalate": Permission.TRANSFERS_ESCALATE,
    **{f"/v1/transfers/{{transfer_id}}/{name}": a.permission for name, a in ACTIONS.items()},
}
TRANSFER_BUILDERS = {
    (method, path): _or_any(
        _PERMISSIONS[path],
        build,
        AgencyType.SJPU if _PERMISSIONS[path] is Permission.TRANSFERS_ESCORT else AgencyType.NGO,
    )
    for (method, path), build in _PLAIN.items()
}

# The escorting unit is the police, a DCPU or a home: a caseworker or supervisor (or a machine
# client) escorting is made in a DCPU, not an NGO.
_ESCORT_TYPES = [AgencyType.POLICE, AgencyType.DCPU]
TRANSFER_PREFERRED_TYPES: dict[tuple[str, str], list[AgencyType]] = {
    ("POST", f"/v1/transfers/{{transfer_id}}/{action}"): _ESCORT_TYPES
    for action in ("depart", "hand-over", "report-absconded")
}
