"""Test support for referrals: a case with its owner and authority in Maharashtra, an agency in
her home state that gives the service, the people of both sides, and a way to walk a referral
to any state through the HTTP API, each step by its real actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.auth.permissions import POLICE_AGENCY_TYPES, AgencyType, Role
from tests.documents.support import upload_kwargs
from tests.harness import Harness
from tests.transfers_support import db_id

# The agency that gives each service, unless a test names one.
DEFAULT_PROVIDER = {
    "home_verification": AgencyType.DCPU,
    "family_tracing": AgencyType.NGO,
    "shelter": AgencyType.SHELTER,
    "counselling": AgencyType.NGO,
    "medical": AgencyType.DCPU,
    "education": AgencyType.WCD,
    "vocational_training": AgencyType.NGO,
    "legal_aid": AgencyType.LEGAL_SERVICES,
}
TYPES = sorted(DEFAULT_PROVIDER)
IDENTITY = {
    "names": ["Sunita Kumari"],
    "aliases": ["Munni"],
    "home_village": "Basanti",
    "home_address": "Ward 4, Basanti",
    "family_names": ["Ramesh Das"],
    "phones": ["+919830012345"],
    "date_of_birth": "2011-05-06",
    "bank_details": "SBI 0001",
}
PATH = {
    "requested": [],
    "accepted": ["accept"],
    "declined": ["decline"],
    "completed": ["accept", "complete"],
    "withdrawn": ["withdraw"],
}
REASON = {"reason": "No counsellor free this month."}


def service_role(agency: Any) -> Role:
    """The role through which an agency gives a service."""
    kind = AgencyType(agency.type)
    if kind is AgencyType.LEGAL_SERVICES:
        return Role.LEGAL_AID_OFFICER
    return Role.POLICE_OFFICER if kind in POLICE_AGENCY_TYPES else Role.CASEWORKER


@dataclass
class Referred:
    """A case owned by an NGO of Maharashtra before its CWC (a child) or Magistrate (an adult),
    at ``stage``, and an agency of West Bengal giving the service ``type``. Every agency may be
    given (a test's caller) or is made."""

    h: Harness
    type: str = "home_verification"
    track: str = "child"
    stage: str | None = None
    owner: Any = None
    authority: Any = None
    receiver: Any = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    case: Any = None
    referral_id: str | None = None

    def __post_init__(self) -> None:
        h = self.h
        kind = AgencyType.CWC if self.track == "child" else AgencyType.MAGISTRATE
        self.owner = self.owner or h.agency(AgencyType.NGO, "IN-MH")
        self.authority = self.authority or h.agency(kind, self.owner.state or "IN-MH")
        self.receiver = self.receiver or h.agency(DEFAULT_PROVIDER[self.type], "IN-WB")
        people = {
            "owner_caseworker": (self.owner, _staff(self.owner)),
            "owner_supervisor": (self.owner, Role.SUPERVISOR),
            "authority": (self.authority, Role.CWC_MEMBER if self.track == "child" else Role.MAGISTRATE),
            "receiver": (self.receiver, service_role(self.receiver)),
        }
        if AgencyType(self.receiver.type) is not AgencyType.LEGAL_SERVICES:
            people["receiver_supervisor"] = (self.receiver, Role.SUPERVISOR)
        for name, (agency, role) in people.items():
            self.users[name] = h.user(agency, role)
        self.reauth()
        victim = {
            "track": self.track,
            "sex": "Female",
            "age_claimed": 15 if self.track == "child" else 23,
            "exploitation_types": ["sexual"],
            "home_state": "IN-WB",
            "home_district": "South 24 Parganas",
            "identity": IDENTITY,
        }
        self.case = h.case(
            self.owner,
            authority=self.authority,
            victim=victim,
            assign=[self.users["owner_caseworker"]],
            state=self.owner.state or "IN-MH",
        )
        stage = self.stage or ("under_inquiry" if self.track == "child" else "safe_custody")
        self.set_stage(stage)

    def set_stage(self, stage: str) -> None:
        self.h.sql("UPDATE cases SET stage = :s WHERE id = :i", s=stage, i=db_id(self.h, self.case.id))

    def reauth(self) -> None:
        """Fresh access tokens for everyone, at the clock's time."""
        self.headers.update({name: self.h.auth(user) for name, user in self.users.items()})

    # --- acting ----------------------------------------------------------------------------

    def body(self, **changes: Any) -> dict[str, Any]:
        return {
            "type": self.type,
            "receiving_agency_id": str(self.receiver.id),
            "reason": "AdditionalServicesRequired",
            "notes": "Please verify the family at the address on file before restoration.",
            **changes,
        }

    def create(self, as_: str = "owner_caseworker", **changes: Any) -> Any:
        response = self.h.client.post(
            f"/v1/cases/{self.case.id}/referrals", json=self.body(**changes), headers=self.headers[as_]
        )
        if response.status_code == 201:
            self.referral_id = response.json()["id"]
        return response

    def actor_of(self, action: str) -> str:
        return "owner_caseworker" if action == "withdraw" else "receiver"

    def report(self, as_: str = "receiver", kind: str = "home_verification_report") -> str:
        """A general document of the case uploaded by ``as_`` (the receiver, once accepted)."""
        response = self.h.client.post(
            f"/v1/cases/{self.case.id}/documents",
            **upload_kwargs(kind=kind, sensitivity="general"),
            headers=self.headers[as_],
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def body_for(self, action: str) -> dict[str, Any]:
        if action in ("decline", "withdraw"):
            return dict(REASON)
        if action == "complete":
            body: dict[str, Any] = {"result": "The family was found and is willing."}
            if self.type == "home_verification":
                body["document_id"] = self.report()
            return body
        return {}

    def post(self, action: str, as_: str | None = None, body: dict[str, Any] | None = None) -> Any:
        return self.h.client.post(
            f"/v1/referrals/{self.referral_id}/{action}",
            json=self.body_for(action) if body is None else body,
            headers=self.headers[as_ or self.actor_of(action)],
        )

    def to(self, status: str) -> Referred:
        """Create the referral (as the owner's caseworker) and walk it to ``status``."""
        if self.referral_id is None:
            response = self.create()
            assert response.status_code == 201, response.text
        for action in PATH[status]:
            response = self.post(action)
            assert response.status_code == 200, (action, response.text)
        return self

    def read(self, as_: str = "owner_caseworker") -> Any:
        return self.h.client.get(f"/v1/referrals/{self.referral_id}", headers=self.headers[as_])

    def case_read(self, as_: str) -> Any:
        return self.h.client.get(f"/v1/cases/{self.case.id}", headers=self.headers[as_])

    def identity(self, as_: str, query: str) -> Any:
        return self.h.client.get(f"/v1/cases/{self.case.id}/identity?{query}", headers=self.headers[as_])


def _staff(agency: Any) -> Role:
    return Role.POLICE_OFFICER if AgencyType(agency.type) in POLICE_AGENCY_TYPES else Role.CASEWORKER
