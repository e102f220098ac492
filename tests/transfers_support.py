"""Test support for transfers: the agencies and people of both sides, a case ready to transfer,
and a way to walk a transfer to any state through the HTTP API, each step by its real actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.auth.permissions import POLICE_AGENCY_TYPES, AgencyType, Role
from tests.documents.support import upload_kwargs
from tests.harness import Harness

# The path from draft to each state, as (action, actor, body).
GIRL_OFFICERS = [{"name": "SI Meena Patil", "rank": "Sub-Inspector", "woman": True}]
BODIES: dict[str, dict[str, Any]] = {
    "answer-consultation": {"answer": "agree", "reason": "The family is verified and willing."},
    "order": {"reasons": "Restoration to the family in her home district."},
    "assign-escort": {"officers": GIRL_OFFICERS, "travel_advance_paid": True},
    "depart": {"mode": "train"},
    "hand-over": {"receiving_officer": "Smt. Rina Das"},
    "accept": {},
    "decline": {"reason": "No place in the home."},
    "cancel": {"reason": "Needed as a witness at trial."},
    "report-absconded": {"circumstances": "Left the train at Nagpur."},
    "border-handover": {"external_reference": "MEA/2026/BD/0142"},
    "escalate": {"reason": "No answer for ten days."},
}
PATH = {
    "draft": [],
    "consultation_requested": ["request-consultation"],
    "consultation_answered": ["request-consultation", "answer-consultation"],
    "ordered": ["request-consultation", "answer-consultation", "order"],
    "escort_assigned": ["request-consultation", "answer-consultation", "order", "assign-escort"],
    "in_transit": ["request-consultation", "answer-consultation", "order", "assign-escort", "depart"],
    "handed_over": [
        "request-consultation", "answer-consultation", "order", "assign-escort", "depart",
        "hand-over",
    ],
    "accepted": [
        "request-consultation", "answer-consultation", "order", "assign-escort", "depart",
        "hand-over", "accept",
    ],
}  # fmt: skip


@dataclass
class World:
    """Both sides of a transfer. Every agency may be given (a test's caller) or is made."""

    h: Harness
    track: str = "child"
    sending_agency: Any = None
    sending_authority: Any = None
    receiving_agency: Any = None
    receiving_authority: Any = None
    escort_agency: Any = None
    name_receiving_authority: bool = True
    # A foreign national (for a border hand-over): her country, her home state the border state's.
    nationality: str = "IN"
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    case: Any = None
    transfer_id: str | None = None

    def __post_init__(self) -> None:
        h = self.h
        authority_type = AgencyType.CWC if self.track == "child" else AgencyType.MAGISTRATE
        self.sending_agency = self.sending_agency or h.agency(AgencyType.NGO, "IN-MH")
        sending_state = self.sending_agency.state
        self.sending_authority = self.sending_authority or h.agency(authority_type, sending_state)
        self.receiving_agency = self.receiving_agency or h.agency(AgencyType.NGO, "IN-WB")
        home = self.receiving_agency.state
        if self.name_receiving_authority:
            self.receiving_authority = self.receiving_authority or h.agency(authority_type, home)
        self.escort_agency = self.escort_agency or h.agency(AgencyType.SJPU, sending_state)
        authority_role = Role.CWC_MEMBER if self.track == "child" else Role.MAGISTRATE
        people = {
            "sending_caseworker": (self.sending_agency, staff_role(self.sending_agency)),
            "sending_supervisor": (self.sending_agency, Role.SUPERVISOR),
            "sending_authority": (self.sending_authority, authority_role),
            "receiving_supervisor": (self.receiving_agency, Role.SUPERVISOR),
            "escort": (self.escort_agency, staff_role(self.escort_agency)),
        }
        if self.receiving_authority is not None:
            people["receiving_authority"] = (self.receiving_authority, authority_role)
        for name, (agency, role) in people.items():
            self.users[name] = h.user(agency, role)
        self.reauth()
        victim = {
            "track": self.track,
            "sex": "Female",
            "age_claimed": 14 if self.track == "child" else 24,
            "exploitation_types": ["sexual"],
            "home_state": home,
            "home_district": "South 24 Parganas",
            "nationality": self.nationality,
            "home_country": self.nationality,
            "identity": {"names": ["Sunita Kumari"], "home_village": "Basanti"},
        }
        self.case = h.case(
            self.sending_agency,
            authority=self.sending_authority,
            victim=victim,
            state=sending_state,
        )
        # Produced and under inquiry (the orders that get her there are another issue's).
        stage = "under_inquiry" if self.track == "child" else "magistrate_order"
        h.sql("UPDATE cases SET stage = :s WHERE id = :i", s=stage, i=db_id(h, self.case.id))

    def reauth(self) -> None:
        """Fresh access tokens for everyone, at the clock's time (after a test moved it)."""
        self.headers.update({name: self.h.auth(user) for name, user in self.users.items()})

    # --- acting ----------------------------------------------------------------------------

    def actor_of(self, action: str) -> str:
        decider = "receiving_authority" if self.receiving_authority else "receiving_supervisor"
        return {
            "request-consultation": "sending_authority",
            "answer-consultation": decider,
            "order": "sending_authority",
            "assign-escort": "sending_authority",
            "depart": "escort",
            "hand-over": "escort",
            "accept": "receiving_supervisor",
            "decline": decider,
            "report-absconded": "escort",
            "border-handover": "sending_authority",
        }[action]

    def create(self, as_: str = "sending_caseworker") -> Any:
        body: dict[str, Any] = {
            "receiving_agency_id": str(self.receiving_agency.id),
            "reasons": "Her family in West Bengal is traced and verified.",
        }
        if self.receiving_authority is not None:
            body["receiving_authority_id"] = str(self.receiving_authority.id)
        response = self.h.client.post(
            f"/v1/cases/{self.case.id}/transfers", json=body, headers=self.headers[as_]
        )
        if response.status_code == 201:
            self.transfer_id = response.json()["id"]
        return response

    def document(self, sensitivity: str = "general", kind: str = "care_plan") -> str:
        """A document of the case's file, uploaded by the sending supervisor."""
        response = self.h.client.post(
            f"/v1/cases/{self.case.id}/documents",
            **upload_kwargs(kind=kind, sensitivity=sensitivity),
            headers=self.headers["sending_supervisor"],
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def body_for(self, action: str) -> dict[str, Any]:
        if action == "request-consultation":
            return {"document_ids": [self.document()]}
        body = dict(BODIES[action])
        if action == "assign-escort":
            body["escort_agency_id"] = str(self.escort_agency.id)
        return body

    def post(self, action: str, as_: str | None = None, body: dict[str, Any] | None = None) -> Any:
        headers = self.headers[as_ or self.actor_of(action)]
        return self.h.client.post(
            f"/v1/transfers/{self.transfer_id}/{action}",
            json=self.body_for(action) if body is None else body,
            headers=headers,
        )

    def to(self, status: str) -> World:
        """Create the transfer and walk it to ``status``, each step by its actor."""
        done: list[str] = []
        if self.transfer_id is None:
            response = self.create()
            assert response.status_code == 201, response.text
        else:
            acts = self.read("sending_authority").json()["acts"]
            # Escalation is a flag, not a step on the way.
            done = [a["action"] for a in acts[1:] if a["action"] != "escalate"]
        assert PATH[status][: len(done)] == done, (done, status)
        for action in PATH[status][len(done) :]:
            response = self.post(action)
            assert response.status_code == 200, (action, response.text)
        return self

    def read(self, as_: str = "sending_caseworker") -> Any:
        return self.h.client.get(f"/v1/transfers/{self.transfer_id}", headers=self.headers[as_])


def staff_role(agency: Any) -> Role:
    """A caseworker, or in a police unit a police officer."""
    police = AgencyType(agency.type) in POLICE_AGENCY_TYPES
    return Role.POLICE_OFFICER if police else Role.CASEWORKER


def db_id(h: Harness, value: Any) -> Any:
    """A uuid as the database compares it (SQLite keeps 32 hex digits)."""
    return value.hex if h.runtime.db.is_sqlite else value
