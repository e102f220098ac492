"""Support for the end-to-end journeys: a cast of agencies and people in both states, HTTP helpers
that act as one of them, and ``Journey.check``, which after a step asserts everything a step may
change (stage, owner and authority; who sees the case, through which relations; identity reads
allowed or refused, and logged; the deadlines, their status and who owes them, as each member of
the cast sees them).

Expectations accumulate: a step names only what it changes, and the check compares the whole
picture, so a relation that lingers after it should have ended fails the step that ended it.
Nothing here writes to the database: state is set through the API only, and ``h.sql`` reads it
back."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.agencies.models import Agency
from app.auth.permissions import AgencyType, Role
from tests.documents.support import upload_kwargs
from tests.harness import Harness
from tests.transfers_support import db_id

# The relations whose field set holds the case's deadlines (DOMAIN.md section 7: a deadline is
# visible to whoever sees its case with deadlines in their field set; an agency also sees those
# it owes on a case it sees). Written out here, not imported, so that the app's table is tested.
DEADLINE_RELATIONS = frozenset(
    {
        "owner",
        "competent_authority",
        "commission",
        "auditor",
        "transfer_sender",
        "transfer_receiver",
        "oversight",
    }
)

# (principal, purpose, fields) -> the status an identity read gets.
Probe = tuple[str, str, str]


@dataclass
class Expect:
    """The whole picture after a step. ``sees``: principal -> its relations (space-separated);
    everyone else in the cast gets 404. ``deadlines``: rule -> (statuses in due order,
    space-separated; the agency key that owes it, or None)."""

    stage: str = ""
    owner: str = ""
    authority: str | None = None
    sees: dict[str, str] = field(default_factory=dict)
    identity: dict[Probe, int] = field(default_factory=dict)
    deadlines: dict[str, tuple[str, str | None]] = field(default_factory=dict)


@dataclass
class Journey:
    h: Harness
    agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    agency_of: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    # The principal who reads the case for its owner (a supervisor: identity is not needed).
    reader: dict[str, str] = field(default_factory=dict)
    case_id: str = ""
    expect: Expect = field(default_factory=Expect)
    steps: list[str] = field(default_factory=list)

    # --- the cast -------------------------------------------------------------------------

    def agency(
        self, key: str, kind: AgencyType, state: str, name: str, district: str | None = None
    ) -> Agency:
        """An agency, as the system administrator creates it."""
        made = self.h.agency(kind, state, name=name, district=district)
        self.agencies[key] = made
        return made

    def person(self, key: str, agency_key: str, role: Role, *, reads_for_owner: bool = False) -> Any:
        """A user of an agency, as its agency administrator creates her."""
        user = self.h.user(self.agencies[agency_key], role)
        self.users[key] = user
        self.agency_of[key] = agency_key
        self.headers[key] = self.h.auth(user)
        if reads_for_owner or agency_key not in self.reader:
            self.reader[agency_key] = key
        return user

    def id_of(self, key: str) -> str:
        return str(self.agencies[key].id)

    def user_id(self, key: str) -> str:
        return str(self.users[key].id)

    # --- time ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.h.clock()

    def at(self, **ago: float) -> str:
        """A moment before the (frozen) clock's now, as an act's ``occurred_at``."""
        return (self.now() - timedelta(**ago)).isoformat()

    def advance(self, **delta: float) -> None:
        """Move the clock on; access tokens live ten minutes, so everyone signs in again."""
        self.h.clock.advance(**delta)
        for key, user in self.users.items():
            self.headers[key] = self.h.auth(user)

    # --- acting ----------------------------------------------------------------------------

    def post(self, who: str, path: str, body: Mapping[str, Any], status: int = 200) -> Any:
        response = self.h.client.post(path, json=dict(body), headers=self.headers[who])
        assert response.status_code == status, (who, path, response.status_code, response.text)
        return response.json()

    def put(self, who: str, path: str, body: Mapping[str, Any]) -> Any:
        response = self.h.client.put(path, json=dict(body), headers=self.headers[who])
        assert response.status_code == 200, (who, path, response.status_code, response.text)
        return response.json()

    def assign(self, supervisor: str, *staff: str) -> None:
        """The owner's supervisor names the staff working the case."""
        body = {"user_ids": [self.user_id(s) for s in staff]}
        self.put(supervisor, f"/v1/cases/{self.case_id}/assignees", body)

    def get(self, who: str, path: str) -> Any:
        return self.h.client.get(path, headers=self.headers[who])

    def case_post(self, who: str, route: str, body: Mapping[str, Any], status: int = 200) -> Any:
        return self.post(who, f"/v1/cases/{self.case_id}/{route}", body, status)

    def order(self, who: str, kind: str, status: int = 201, **fields: Any) -> Any:
        """An order by a member of the authority seized, as she signs it."""
        body = {
            "kind": kind,
            "issuing_members": [self.user_id(who)],
            "occurred_at": self.at(minutes=1),
            "reasons": "Heard her, the caseworker and the reports on file.",
            **fields,
        }
        return self.case_post(who, "orders", body, status)

    def transfer(self, who: str, transfer_id: str, action: str, body: Mapping[str, Any]) -> Any:
        return self.post(who, f"/v1/transfers/{transfer_id}/{action}", body)

    def referral(self, who: str, referral_id: str, action: str, body: Mapping[str, Any]) -> Any:
        return self.post(who, f"/v1/referrals/{referral_id}/{action}", body)

    def upload(self, who: str, kind: str, sensitivity: str) -> str:
        response = self.h.client.post(
            f"/v1/cases/{self.case_id}/documents",
            **upload_kwargs(kind=kind, sensitivity=sensitivity, filename="report.pdf"),
            headers=self.headers[who],
        )
        assert response.status_code == 201, (who, kind, response.text)
        return str(response.json()["id"])

    # --- checking ---------------------------------------------------------------------------

    def check(
        self,
        step: str,
        *,
        stage: str | None = None,
        owner: str | None = None,
        authority: str | None = None,
        sees: Mapping[str, str | None] | None = None,
        identity: Mapping[Probe, int] | None = None,
        deadlines: Mapping[str, tuple[str, str | None] | None] | None = None,
    ) -> None:
        """Fold this step's changes into the expectation, then assert all of it."""
        e = self.expect
        e.stage = stage or e.stage
        e.owner = owner or e.owner
        e.authority = authority or e.authority
        _merge(e.sees, sees)
        _merge(e.identity, identity)
        _merge(e.deadlines, deadlines)
        self.steps.append(step)
        self._check_case(step)
        self._check_visibility(step)
        self._check_identity(step)
        self._check_deadlines(step)

    def _check_case(self, step: str) -> None:
        e = self.expect
        read = self.get(self.reader[e.owner], f"/v1/cases/{self.case_id}")
        assert read.status_code == 200, (step, read.text)
        body = read.json()
        assert body["stage"] == e.stage, (step, body["stage"], e.stage)
        assert body["owner_agency_id"] == self.id_of(e.owner), (step, "owner", body)
        wanted = self.id_of(e.authority) if e.authority else None
        assert body["competent_authority_id"] == wanted, (step, "authority", body)
        assert "owner" in body["relations"], (step, body["relations"])

    def _check_visibility(self, step: str) -> None:
        for who in self.users:
            read = self.get(who, f"/v1/cases/{self.case_id}")
            expected = self.expect.sees.get(who)
            if expected is None:
                assert read.status_code == 404, (step, who, read.status_code, read.text)
                # Exactly as if it did not exist: nothing of the case in the answer.
                assert self.case_id not in read.text, (step, who)
                continue
            assert read.status_code == 200, (step, who, read.status_code, read.text)
            assert read.json()["relations"] == sorted(expected.split()), (
                step,
                who,
                read.json()["relations"],
                read.text,
            )

    def _check_identity(self, step: str) -> None:
        refused: dict[str, tuple[str, int]] = {}  # request id -> (who, status)
        for (who, purpose, fields), status in self.expect.identity.items():
            names = fields.split()
            query = "&".join([f"purpose={purpose}", *(f"fields={f}" for f in names)])
            read = self.get(who, f"/v1/cases/{self.case_id}/identity?{query}")
            assert read.status_code == status, (step, who, purpose, fields, read.status_code, read.text)
            request_id = read.headers["X-Request-ID"]
            if status != 200:
                # A refused read returns nothing of her (and is logged as denied, below).
                assert "fields" not in read.json(), (step, who)
                refused[request_id] = (who, status)
                continue
            assert sorted(read.json()["fields"]) == sorted(names), (step, who)
            assert read.headers["Cache-Control"] == "no-store"
            # Logged before the answer: the row is there without waiting for the buffer.
            rows = self.h.sql(
                "SELECT principal_id, purpose, fields, outcome, object_id, status"
                " FROM access_log WHERE request_id = :r AND object_type = 'identity'",
                flush=False,
                r=request_id,
            )
            assert len(rows) == 1, (step, who, rows)
            principal, logged_purpose, logged_fields, outcome, object_id, code = rows[0]
            assert _same_id(principal, self.users[who].id), (step, who, principal)
            assert (logged_purpose, outcome, object_id, code) == (purpose, "read", self.case_id, 200), (
                step,
                who,
                rows[0],
            )
            assert _json_list(logged_fields) == sorted(names), (step, who, logged_fields)
        logged = self._denied_rows(list(refused))
        for request_id, (who, status) in refused.items():
            rows = logged.get(request_id, [])
            assert [(r[0], r[1]) for r in rows] == [("denied", status)], (step, who, rows)
            assert _same_id(rows[0][2], self.users[who].id), (step, who)

    def _denied_rows(self, request_ids: list[str]) -> dict[str, list[Any]]:
        """The refusals' access-log rows, by request id. Refusals go through the buffer, and a
        batch the background task has taken may still be on its way in when the test flushes:
        wait for them (briefly; a row that never comes fails the check)."""
        found: dict[str, list[Any]] = defaultdict(list)
        if not request_ids:
            return found
        marks = ", ".join(f":r{n}" for n in range(len(request_ids)))
        params: dict[str, Any] = {f"r{n}": r for n, r in enumerate(request_ids)}
        for _ in range(100):
            rows = self.h.sql(
                "SELECT request_id, outcome, status, principal_id FROM access_log"
                f" WHERE request_id IN ({marks})",
                **params,
            )
            if {r[0] for r in rows} >= set(request_ids):
                break
            time.sleep(0.02)
        for row in rows:
            found[row[0]].append(tuple(row[1:]))
        return found

    def _deadlines(self, who: str, query: str = "") -> list[dict[str, Any]]:
        read = self.get(who, f"/v1/deadlines?case_id={self.case_id}&limit=200{query}")
        assert read.status_code == 200, (who, read.text)
        items: list[dict[str, Any]] = read.json()["items"]
        assert read.json()["next_cursor"] is None
        return items

    def _check_deadlines(self, step: str) -> None:
        e = self.expect
        items = self._deadlines(self.reader[e.owner])
        by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            by_rule[item["rule_id"]].append(item)
        found: dict[str, tuple[str, str | None]] = {}
        for rule, group in by_rule.items():
            owed = {d["owed_by_agency_id"] for d in group}
            assert len(owed) == 1, (step, rule, owed)
            (owed_id,) = owed
            statuses = " ".join(d["status"] for d in group)  # the list is in due order
            found[rule] = (statuses, self._agency_key(owed_id))
        assert found == e.deadlines, (step, found, e.deadlines)
        # Every member of the cast sees them as its relation says: all of them through a
        # relation that holds deadlines, those its agency owes through another, none unrelated.
        everything = {d["id"] for d in items}
        for who in self.users:
            relations = set((e.sees.get(who) or "").split())
            mine = {d["id"] for d in items if d["owed_by_agency_id"] == self.id_of(self.agency_of[who])}
            if relations & DEADLINE_RELATIONS:
                wanted = everything
            elif relations:
                wanted = mine
            else:
                wanted = set()
            seen = {d["id"] for d in self._deadlines(who)}
            assert seen == wanted, (step, who, len(seen), len(wanted))
            owed_by_me = {d["id"] for d in self._deadlines(who, "&owed_by_me=true")}
            assert owed_by_me == (mine if relations else set()), (step, who, "owed_by_me")

    def _agency_key(self, agency_id: str | None) -> str | None:
        if agency_id is None:
            return None
        for key, agency in self.agencies.items():
            if str(agency.id) == agency_id:
                return key
        raise AssertionError(f"a deadline owed by an agency outside the cast: {agency_id}")

    # --- reading back --------------------------------------------------------------------------

    def due(self, rule: str) -> list[datetime]:
        rows = self.h.sql(
            "SELECT due_at FROM deadlines WHERE case_id = :c AND rule_id = :r ORDER BY occurrence",
            c=db_id(self.h, uuid.UUID(self.case_id)),
            r=rule,
        )
        return [_aware(r[0]) for r in rows]


def _merge(into: dict[Any, Any], changes: Mapping[Any, Any] | None) -> None:
    """Apply a step's changes: a value replaces, ``None`` removes."""
    for key, value in (changes or {}).items():
        if value is None:
            into.pop(key, None)
        else:
            into[key] = value


def _same_id(stored: Any, expected: uuid.UUID) -> bool:
    """A uuid column as either database hands it back (SQLite: 32 hex digits)."""
    return str(stored).replace("-", "") == expected.hex


def _json_list(value: Any) -> list[str]:
    import json

    loaded = json.loads(value) if isinstance(value, str) else value
    return [str(v) for v in loaded]


def _aware(value: Any) -> datetime:
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
