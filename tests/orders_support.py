"""Test support for orders and stage reports: a case at a chosen stage with its owner, its
authority and the people who act on it, and order bodies of each kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.auth.permissions import AgencyType, Role
from tests.harness import Harness
from tests.transfers_support import db_id, staff_role


def when(**ago: float) -> str:
    """A moment in the past (the harness clock runs on real time unless frozen)."""
    return (datetime.now(UTC) - timedelta(**ago)).isoformat()


@dataclass
class Seized:
    """A case owned by an NGO of ``state``, before its CWC (child) or Magistrate (adult), at
    ``stage``; with a shelter of the state, and a member of the authority and owner staff."""

    h: Harness
    track: str = "child"
    stage: str = "produced"
    state: str = "IN-MH"
    owner: Any = None
    authority: Any = None
    shelter: Any = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    case: Any = None

    def __post_init__(self) -> None:
        h = self.h
        kind = AgencyType.CWC if self.track == "child" else AgencyType.MAGISTRATE
        role = Role.CWC_MEMBER if self.track == "child" else Role.MAGISTRATE
        self.owner = self.owner or h.agency(AgencyType.NGO, self.state)
        self.authority = self.authority or h.agency(kind, self.state)
        self.shelter = self.shelter or h.agency(AgencyType.SHELTER, self.state)
        people = {
            "member": (self.authority, role),
            "caseworker": (self.owner, staff_role(self.owner)),
            "supervisor": (self.owner, Role.SUPERVISOR),
            "shelter": (self.shelter, Role.CASEWORKER),
        }
        for name, (agency, granted) in people.items():
            self.users[name] = h.user(agency, granted)
            self.headers[name] = h.auth(self.users[name])
        victim = {
            "track": self.track,
            "sex": "Female",
            "age_claimed": 15 if self.track == "child" else 23,
            "exploitation_types": ["sexual"],
            "home_state": "IN-WB",
            "identity": {"names": ["Sunita Kumari"], "date_of_birth": "2011-05-06"},
        }
        self.case = h.case(
            self.owner,
            authority=self.authority,
            victim=victim,
            state=self.state,
            assign=[self.users["caseworker"]],
        )
        self.set_stage(self.stage)

    def reauth(self) -> None:
        """Fresh tokens (after the test's clock moved past their lifetime)."""
        for name, user in self.users.items():
            self.headers[name] = self.h.auth(user)

    def set_stage(self, stage: str, before_exit: str | None = None) -> None:
        self.h.sql(
            "UPDATE cases SET stage = :s, stage_before_exit = :b WHERE id = :i",
            s=stage,
            b=before_exit,
            i=db_id(self.h, self.case.id),
        )

    def order(self, kind: str, **extra: Any) -> dict[str, Any]:
        """A body for an order of ``kind`` by the authority's member."""
        body: dict[str, Any] = {
            "kind": kind,
            "issuing_members": [str(self.users["member"].id)],
            "occurred_at": when(minutes=5),
            "reasons": "Heard the child and the caseworker.",
        }
        body.update(KIND_FIELDS.get(kind, {}))
        if kind == "placement":
            body["placement_agency_id"] = str(self.shelter.id)
        body.update(extra)
        return body

    def issue(self, kind: str, as_: str = "member", **extra: Any) -> Any:
        return self.h.client.post(
            f"/v1/cases/{self.case.id}/orders", json=self.order(kind, **extra), headers=self.headers[as_]
        )

    def report(self, route: str, as_: str = "caseworker", **extra: Any) -> Any:
        body = {"occurred_at": when(minutes=5), "circumstances": "Left the home at night.", **extra}
        return self.h.client.post(
            f"/v1/cases/{self.case.id}/{route}", json=body, headers=self.headers[as_]
        )

    def read(self, as_: str = "caseworker") -> Any:
        response = self.h.client.get(f"/v1/cases/{self.case.id}", headers=self.headers[as_])
        return response

    def stage_now(self) -> str:
        rows = self.h.sql("SELECT stage FROM cases WHERE id = :i", i=db_id(self.h, self.case.id))
        return str(rows[0][0])


KIND_FIELDS: dict[str, dict[str, Any]] = {
    "age_determination": {"age_determined": 15, "age_basis": "document"},
    "final_order": {"outcome": "restoration"},
    "closure": {"closure_reason": "restored and followed up"},
    "aged_out": {"next_step": "aftercare"},
    "disclosure_permission": {
        "recipient": "District Legal Services Authority",
        "purpose": "compensation",
        "fields": ["names"],
    },
}
