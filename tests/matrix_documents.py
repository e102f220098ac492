"""Request builders of the role x endpoint matrix (tests/test_matrix.py) for the documents routes:
each acts on a case the caller's agency owns (assigned to the caller) or is seized of, and on a
general document of it, which every holder of documents:read may read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.auth.permissions import CASE_CREATING_AGENCY_TYPES, AgencyType, Role
from tests.documents.support import upload_kwargs

Request = tuple[str, dict[str, Any]]


def _visible_case(h: Any, caller: Any) -> tuple[Any, Any]:
    """(case, its owning agency): as ``_visible_case`` in tests/test_matrix.py (copied, not
    imported, since that module imports this one)."""
    kind = AgencyType(caller.agency.type)
    if kind in (AgencyType.CWC, AgencyType.MAGISTRATE):
        owner = h.agency(AgencyType.NGO)
        return h.case(owner, authority=caller.agency), owner
    if kind in CASE_CREATING_AGENCY_TYPES:
        return h.case(caller.agency, assign=[caller.user] if caller.user else []), caller.agency
    owner = h.agency(AgencyType.NGO)
    return h.case(owner), owner


def _document(h: Any, caller: Any) -> str:
    """A general document of a case visible to the caller, uploaded by the owner's supervisor."""
    case, owner = _visible_case(h, caller)
    uploader = h.auth(h.user(owner, Role.SUPERVISOR))
    made = h.client.post(f"/v1/cases/{case.id}/documents", headers=uploader, **upload_kwargs())
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


DOCUMENT_BUILDERS: dict[tuple[str, str], Callable[[Any, Any], Request]] = {
    ("POST", "/v1/cases/{case_id}/documents"): lambda h, c: (
        f"/v1/cases/{_visible_case(h, c)[0].id}/documents",
        upload_kwargs(),
    ),
    ("GET", "/v1/cases/{case_id}/documents"): lambda h, c: (
        f"/v1/cases/{_visible_case(h, c)[0].id}/documents",
        {},
    ),
    ("GET", "/v1/documents/{document_id}"): lambda h, c: (f"/v1/documents/{_document(h, c)}", {}),
    ("GET", "/v1/documents/{document_id}/content"): lambda h, c: (
        f"/v1/documents/{_document(h, c)}/content",
        {},
    ),
}
DOCUMENT_PREFERRED_TYPES: dict[tuple[str, str], list[AgencyType]] = {}
