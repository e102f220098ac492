"""Test support for compensation claims: a case owned by an NGO of Maharashtra before its CWC (a
child) or Magistrate (an adult), a legal services authority (the forum) with two legal aid
officers, and a way to walk a claim to any state through the HTTP API, each step by its real
actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.transfers_support import db_id, staff_role

IDENTITY = {
    "names": ["Sunita Kumari"],
    "aliases": ["Munni"],
    "date_of_birth": "2011-05-06",
    "family_names": ["Ramesh Das"],
    "home_address": "Ward 4, Basanti",
    "home_village": "Basanti",
    "present_address": "Asha Sadan, Room 3",
    "phones": ["+919830012345"],
    "id_numbers": ["AADHAAR 1234 5678 9012"],
    "bank_details": "SBI 000111222333 IFSC SBIN0000001",
}
# Words of her identity that must never appear in an error or a read that carries no identity.
SECRETS = ("Sunita", "Munni", "Basanti", "Ramesh", "98300", "1234 5678", "000111222333", "Asha Sadan")
AWARD = 30_000_000  # Rs 3,00,000 in paise
PATH = {
    "applied": [],
    "decided": ["decide"],
    "disbursed": ["decide", "disburse"],
    "rejected": ["reject"],
    "withdrawn": ["withdraw"],
}


def when(**ago: float) -> str:
    return (datetime.now(UTC) - timedelta(**ago)).isoformat()


@dataclass
class Claimed:
    """A case at ``stage`` with its owner, its authority and a forum; every agency may be given
    (a test's caller) or is made."""

    h: Harness
    track: str = "child"
    stage: str | None = None
    owner: Any = None
    authority: Any = None
    forum: Any = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    case: Any = None
    claim_id: str | None = None

    def __post_init__(self) -> None:
        h = self.h
        kind = AgencyType.CWC if self.track == "child" else AgencyType.MAGISTRATE
        self.owner = self.owner or h.agency(AgencyType.NGO, "IN-MH")
        self.authority = self.authority or h.agency(kind, self.owner.state or "IN-MH")
        self.forum = self.forum or h.agency(AgencyType.LEGAL_SERVICES, "IN-MH")
        people = {
            "owner_caseworker": (self.owner, staff_role(self.owner)),
            "owner_supervisor": (self.owner, Role.SUPERVISOR),
            "authority": (self.authority, Role.CWC_MEMBER if self.track == "child" else Role.MAGISTRATE),
            "forum": (self.forum, Role.LEGAL_AID_OFFICER),
            "forum_2": (self.forum, Role.LEGAL_AID_OFFICER),
        }
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
        self.set_stage(self.stage or ("under_inquiry" if self.track == "child" else "safe_custody"))

    def set_stage(self, stage: str) -> None:
        self.h.sql("UPDATE cases SET stage = :s WHERE id = :i", s=stage, i=db_id(self.h, self.case.id))

    def reauth(self) -> None:
        """Fresh access tokens for everyone, at the clock's time."""
        self.headers.update({name: self.h.auth(user) for name, user in self.users.items()})

    # --- acting ----------------------------------------------------------------------------

    def body(self, **changes: Any) -> dict[str, Any]:
        return {
            "scheme": "state_vcs",
            "forum_agency_id": str(self.forum.id),
            "amount_claimed_paise": 50_000_000,
            "application_reference": "DLSA/MUM/VC/112/2026",
            "notes": "Applied with the FIR and the medical report; she needs the money for school.",
            **changes,
        }

    def file(self, as_: str = "owner_caseworker", **changes: Any) -> Any:
        response = self.h.client.post(
            f"/v1/cases/{self.case.id}/compensation-claims",
            json=self.body(**changes),
            headers=self.headers[as_],
        )
        if response.status_code == 201:
            self.claim_id = response.json()["id"]
        return response

    def decision(self, amount: int = AWARD, as_: str = "forum", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "compensation_decision",
            "claim_id": self.claim_id,
            "amount_awarded_paise": amount,
            "issuing_members": [str(self.users[as_].id)] if as_ in self.users else [],
            "occurred_at": datetime.now(UTC).isoformat(),
            "reasons": "Heard the victim through her counsel; the scheme's schedule applies.",
        }
        if amount == 0:
            body["refusal_reason"] = "The offence is not one the scheme covers."
        body.update(extra)
        return body

    def decide(self, amount: int = AWARD, as_: str = "forum", **extra: Any) -> Any:
        return self.h.client.post(
            f"/v1/cases/{self.case.id}/orders",
            json=self.decision(amount, as_=as_, **extra),
            headers=self.headers[as_],
        )

    def actor_of(self, action: str) -> str:
        return "owner_caseworker" if action == "withdraw" else "forum"

    def body_for(self, action: str, amount: int = AWARD) -> dict[str, Any]:
        if action == "withdraw":
            return {"reason": "She has chosen to pursue the claim in her home state."}
        return {"amount_paise": amount, "reference": "NEFT UTR 0042"}

    def post(self, action: str, as_: str | None = None, body: dict[str, Any] | None = None) -> Any:
        return self.h.client.post(
            f"/v1/compensation-claims/{self.claim_id}/{action}",
            json=self.body_for(action) if body is None else body,
            headers=self.headers[as_ or self.actor_of(action)],
        )

    def to(self, status: str) -> Claimed:
        """File the claim (as the owner's caseworker) and walk it to ``status``."""
        if self.claim_id is None:
            response = self.file()
            assert response.status_code == 201, response.text
        for step in PATH[status]:
            if step in ("decide", "reject"):
                response = self.decide(AWARD if step == "decide" else 0)
                assert response.status_code == 201, (step, response.text)
            else:
                response = self.post(step)
                assert response.status_code == 200, (step, response.text)
        return self

    def read(self, as_: str = "owner_caseworker") -> Any:
        return self.h.client.get(f"/v1/compensation-claims/{self.claim_id}", headers=self.headers[as_])

    def case_read(self, as_: str) -> Any:
        return self.h.client.get(f"/v1/cases/{self.case.id}", headers=self.headers[as_])

    def identity(self, as_: str, query: str) -> Any:
        return self.h.client.get(f"/v1/cases/{self.case.id}/identity?{query}", headers=self.headers[as_])

    def person(self, name: str, agency: Any, role: Role) -> dict[str, str]:
        """Another person, kept with the others (so that ``reauth`` renews their token too)."""
        self.users[name] = self.h.user(agency, role)
        self.headers[name] = self.h.auth(self.users[name])
        return self.headers[name]
