"""Request builders of the role x endpoint matrix (tests/test_matrix.py) for the compensation
routes: each makes a claim on which the caller's agency is the actor of the route (the filing
owner, authority or legal aid authority; the forum), in a state the route acts from. And the
forum's decision, an order (``POST /v1/cases/{case_id}/orders``), for a legal aid officer."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from app.auth.permissions import AgencyType, Permission
from app.compensation.policy import ACTIONS
from tests.compensation.support import AWARD, Claimed
from tests.referrals.support import Referred

Request = tuple[str, dict[str, Any]]
B = Callable[[Any, Any], Request]

_AUTHORITIES = (AgencyType.CWC, AgencyType.MAGISTRATE)


def _kind(caller: Any) -> AgencyType:
    return AgencyType(caller.agency.type)


def _track(caller: Any) -> str:
    return "adult" if _kind(caller) is AgencyType.MAGISTRATE else "child"


def _filing_case(h: Any, c: Any) -> Claimed:
    """A case on which the caller's agency files: as its authority, as a legal services
    authority giving her legal aid (an accepted legal_aid referral; another authority is the
    forum), or as its owner."""
    if _kind(c) in _AUTHORITIES:
        return Claimed(h, track=_track(c), authority=c.agency)
    if _kind(c) is AgencyType.LEGAL_SERVICES:
        claimed = Claimed(h, forum=c.agency)
        referred = Referred(h, type="legal_aid", owner=claimed.owner, receiver=c.agency)
        referred.case = claimed.case
        assert referred.create().status_code == 201
        assert referred.post("accept").status_code == 200
        # Its officers (the claim's "forum" people) file before the SLSA of her home state.
        claimed.forum = h.agency(AgencyType.LEGAL_SERVICES, "IN-WB")
        return claimed
    return Claimed(h, owner=c.agency)


def _filer(c: Any) -> str:
    if _kind(c) in _AUTHORITIES:
        return "authority"
    return "forum" if _kind(c) is AgencyType.LEGAL_SERVICES else "owner_caseworker"


def _create(h: Any, c: Any) -> Request:
    claimed = _filing_case(h, c)
    return f"/v1/cases/{claimed.case.id}/compensation-claims", {"json": claimed.body()}


def _filed(h: Any, c: Any) -> Claimed:
    """A claim filed by the caller's agency, waiting for a decision."""
    claimed = _filing_case(h, c)
    made = claimed.file(as_=_filer(c))
    assert made.status_code == 201, made.text
    return claimed


def _read(h: Any, c: Any) -> Request:
    if _kind(c) in (AgencyType.COMMISSION, AgencyType.AUDIT):
        claimed = Claimed(h).to("applied")  # a case of the caller's state
    elif _kind(c) is AgencyType.LEGAL_SERVICES:
        claimed = Claimed(h, forum=c.agency).to("applied")
    else:
        claimed = _filed(h, c)
    return f"/v1/compensation-claims/{claimed.claim_id}", {}


def _disburse(h: Any, c: Any) -> Request:
    forum = c.agency if _kind(c) is AgencyType.LEGAL_SERVICES else None
    claimed = Claimed(h, forum=forum).to("decided")
    return f"/v1/compensation-claims/{claimed.claim_id}/disburse", {"json": {"amount_paise": AWARD}}


def _withdraw(h: Any, c: Any) -> Request:
    claimed = _filed(h, c)
    return f"/v1/compensation-claims/{claimed.claim_id}/withdraw", {"json": claimed.body_for("withdraw")}


_PLAIN: dict[tuple[str, str], B] = {
    ("POST", "/v1/cases/{case_id}/compensation-claims"): _create,
    ("GET", "/v1/compensation-claims/{claim_id}"): _read,
    ("GET", "/v1/compensation-claims"): lambda h, c: ("/v1/compensation-claims?direction=incoming", {}),
    ("POST", "/v1/compensation-claims/{claim_id}/disburse"): _disburse,
    ("POST", "/v1/compensation-claims/{claim_id}/withdraw"): _withdraw,
}

_PERMISSIONS = {
    "/v1/cases/{case_id}/compensation-claims": Permission.COMPENSATION_FILE,
    "/v1/compensation-claims/{claim_id}": Permission.COMPENSATION_READ,
    "/v1/compensation-claims": Permission.COMPENSATION_READ,
    **{f"/v1/compensation-claims/{{claim_id}}/{n}": a.permission for n, a in ACTIONS.items() if a.route},
}


def _or_any(permission: Permission, build: B) -> B:
    """A caller without the route's permission is refused before the claim is looked at (403):
    any claim will do, so one of an NGO's is made instead of one the caller acts on."""

    def builder(h: Any, c: Any) -> Request:
        if permission in c.permissions:
            return build(h, c)
        stranger = SimpleNamespace(agency=h.agency(AgencyType.NGO, "IN-MH"), permissions=frozenset())
        return build(h, stranger)

    return builder


COMPENSATION_BUILDERS = {
    (method, path): _or_any(_PERMISSIONS[path], build) for (method, path), build in _PLAIN.items()
}


def compensation_decision(h: Any, c: Any) -> Request:
    """The forum's decision on a claim before the caller's legal services authority."""
    claimed = Claimed(h, forum=c.agency).to("applied")
    body = {**claimed.decision(), "issuing_members": [str(c.user.id)]}
    return f"/v1/cases/{claimed.case.id}/orders", {"json": body}
