"""Request builders of the role x endpoint matrix (tests/test_matrix.py) for the referral routes:
each makes a referral on which the caller's agency is the actor of the route (the referring
owner or authority, the receiving agency), in a state the route acts from. And, for a legal
services authority, whose officers reach a case only through an accepted legal_aid referral,
the case reads of the other routes made on such a case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from app.auth.permissions import AgencyType, Permission
from app.referrals.policy import ACTIONS, provided_by
from tests.documents.support import upload_kwargs
from tests.referrals.support import Referred

Request = tuple[str, dict[str, Any]]
B = Callable[[Any, Any], Request]

_AUTHORITIES = (AgencyType.CWC, AgencyType.MAGISTRATE)
# The service an agency is asked for, by preference, among those it gives.
_PREFERRED = ["counselling", "home_verification", "legal_aid", "shelter", "education"]


def _kind(caller: Any) -> AgencyType:
    return AgencyType(caller.agency.type)


def _referring(h: Any, c: Any) -> Referred:
    """A referral made by the caller's agency: as the case's owner, or as the CWC / Magistrate
    seized of it (made by one of its members)."""
    if _kind(c) in _AUTHORITIES:
        track = "adult" if _kind(c) is AgencyType.MAGISTRATE else "child"
        referred = Referred(h, type="counselling", track=track, authority=c.agency)
        made = referred.create(as_="authority")
        assert made.status_code == 201, made.text
        return referred
    return Referred(h, type="counselling", owner=c.agency).to("requested")


def _receiving(h: Any, c: Any, status: str) -> Referred:
    """A referral asked of the caller's agency, of a service it gives, walked to ``status``."""
    given = {t.value for t in provided_by(_kind(c))}
    kind = next(t for t in _PREFERRED if t in given)
    return Referred(h, type=kind, receiver=c.agency).to(status)


def _create(h: Any, c: Any) -> Request:
    if _kind(c) in _AUTHORITIES:
        track = "adult" if _kind(c) is AgencyType.MAGISTRATE else "child"
        referred = Referred(h, type="counselling", track=track, authority=c.agency)
    else:
        referred = Referred(h, type="counselling", owner=c.agency)
    return f"/v1/cases/{referred.case.id}/referrals", {"json": referred.body()}


def _read(h: Any, c: Any) -> Request:
    if _kind(c) in (AgencyType.COMMISSION, AgencyType.AUDIT):
        referred = Referred(h).to("requested")  # a case of the caller's state
    elif _kind(c) is AgencyType.LEGAL_SERVICES:
        referred = _receiving(h, c, "requested")
    else:
        referred = _referring(h, c)
    return f"/v1/referrals/{referred.referral_id}", {}


def _action(referred: Referred, action: str) -> Request:
    return f"/v1/referrals/{referred.referral_id}/{action}", {"json": referred.body_for(action)}


_PLAIN: dict[tuple[str, str], B] = {
    ("POST", "/v1/cases/{case_id}/referrals"): _create,
    ("GET", "/v1/referrals/{referral_id}"): _read,
    ("GET", "/v1/referrals"): lambda h, c: ("/v1/referrals?direction=incoming", {}),
    ("POST", "/v1/referrals/{referral_id}/accept"): lambda h, c: _action(
        _receiving(h, c, "requested"), "accept"
    ),
    ("POST", "/v1/referrals/{referral_id}/decline"): lambda h, c: _action(
        _receiving(h, c, "requested"), "decline"
    ),
    ("POST", "/v1/referrals/{referral_id}/complete"): lambda h, c: _action(
        _receiving(h, c, "accepted"), "complete"
    ),
    ("POST", "/v1/referrals/{referral_id}/withdraw"): lambda h, c: _action(_referring(h, c), "withdraw"),
}

_PERMISSIONS = {
    "/v1/cases/{case_id}/referrals": Permission.REFERRALS_CREATE,
    "/v1/referrals/{referral_id}": Permission.REFERRALS_READ,
    "/v1/referrals": Permission.REFERRALS_READ,
    **{f"/v1/referrals/{{referral_id}}/{name}": a.permission for name, a in ACTIONS.items()},
}


def _or_any(permission: Permission, build: B) -> B:
    """A caller without the route's permission is refused before the referral is looked at
    (403): any referral will do, so one of an NGO's is made instead of one the caller acts on."""

    def builder(h: Any, c: Any) -> Request:
        if permission in c.permissions:
            return build(h, c)
        stranger = SimpleNamespace(agency=h.agency(AgencyType.NGO, "IN-MH"), permissions=frozenset())
        return build(h, stranger)

    return builder


REFERRAL_BUILDERS = {
    (method, path): _or_any(_PERMISSIONS[path], build) for (method, path), build in _PLAIN.items()
}
REFERRAL_PREFERRED_TYPES: dict[tuple[str, str], list[AgencyType]] = {}


# ---- case reads through an accepted legal_aid referral ----------------------------------------


def _legal_aid_case(h: Any, c: Any) -> Referred:
    return Referred(h, type="legal_aid", receiver=c.agency).to("accepted")


def _document(h: Any, c: Any) -> str:
    """A general document of a case referred to the caller's authority for legal aid."""
    referred = _legal_aid_case(h, c)
    made = h.client.post(
        f"/v1/cases/{referred.case.id}/documents",
        headers=referred.headers["owner_supervisor"],
        **upload_kwargs(),
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _case_route(suffix: str = "") -> B:
    return lambda h, c: (f"/v1/cases/{_legal_aid_case(h, c).case.id}{suffix}", {})


_LEGAL_AID: dict[tuple[str, str], B] = {
    ("GET", "/v1/cases/{case_id}"): _case_route(),
    ("GET", "/v1/cases/{case_id}/identity"): _case_route(
        "/identity?purpose=legal_proceeding&fields=names"
    ),
    ("GET", "/v1/cases/{case_id}/notes"): _case_route("/notes"),
    ("GET", "/v1/cases/{case_id}/orders"): _case_route("/orders"),
    ("GET", "/v1/cases/{case_id}/documents"): _case_route("/documents"),
    ("GET", "/v1/cases/{case_id}/follow-up-visits"): _case_route("/follow-up-visits"),
    ("GET", "/v1/cases/{case_id}/rehabilitation-services"): _case_route("/rehabilitation-services"),
    ("GET", "/v1/cases/{case_id}/consents"): _case_route("/consents"),
    ("GET", "/v1/cases/{case_id}/history"): _case_route("/history"),
    ("GET", "/v1/documents/{document_id}"): lambda h, c: (f"/v1/documents/{_document(h, c)}", {}),
    ("GET", "/v1/documents/{document_id}/content"): lambda h, c: (
        f"/v1/documents/{_document(h, c)}/content",
        {},
    ),
}


def through_legal_aid(builders: Mapping[tuple[str, str], B]) -> dict[tuple[str, str], B]:
    """The given routes' builders, except for a caller of a legal services authority: its
    officers read a case only while a legal_aid referral of it to their authority is accepted,
    so their request is made on such a case."""

    def wrap(route: tuple[str, str]) -> B:
        build = builders[route]

        def builder(h: Any, c: Any) -> Request:
            if _kind(c) is AgencyType.LEGAL_SERVICES:
                return _LEGAL_AID[route](h, c)
            return build(h, c)

        return builder

    return {route: wrap(route) for route in _LEGAL_AID}
