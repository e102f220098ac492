"""Benchmark data: N cases over states, agencies, stages and tracks, skewed like reality, with
rescue events, identity records encrypted exactly as the app does and about ten history events per
case. Reproducible from a seed (every value but the vault's random nonces); bulk-loaded with COPY.

    python -m bench.seed --cases 1000000 --seed 7

Reads the database and keys from the HOMECOMING_* settings (run as the schema owner). Writes what
the driver needs (case ids, tokens, timings, sizes) to bench/results/seed.json.

The shape of the data: most rescues happen in a few destination states (Maharashtra, Delhi,
Karnataka, Gujarat, Tamil Nadu); victims come home to a wider set of source states, 30% of them to
West Bengal (the largest), and 40% of cases sit in interim care, the stage where cases wait longest.
Each rescue event has one to five victims, led by the rescue state's police with an NGO taking part;
the NGO owns the case and, for a child, a Child Welfare Committee of that state is seized of it.
About one case in ten has an open transfer to an NGO and the CWC of her home state: every child in
transfer (ordered, escort assigned, in transit or handed over, with their deadlines) and a fifth of
the children still waiting (a draft, or a consultation asked or answered). About one case in
eight has a referral: every adult in home_verification an accepted home verification by her home
state's DCPU, a fifth of the children under inquiry a home verification their CWC asked for, and
some cases in care counselling (asked or accepted) or, near the end, completed vocational training.
Referrals take their randomness from the case's id, so a seed gives the same cases and transfers
as before they were added. Deadlines (DOMAIN.md section 7) follow each case's stage the same way:
production met, a child's inquiry open before the final order and met after, an adult's custody
period open in custody, and the eight follow-up visits of a case in follow-up, the first met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app import admin
from app.auth.models import AuthSession
from app.auth.permissions import AgencyType, Role
from app.cases.identity import encrypt_identity
from app.cases.models import CaseAssignee
from app.cases.schemas import IdentityInput
from app.config import get_settings
from app.ledger.sequencer import make_checkpoint
from app.runtime import Runtime, build_runtime
from bench.log import LEAF_COLUMNS, NODE_COLUMNS, LogBuilder, history_event

HOME_STATES = ["IN-WB", "IN-JH", "IN-BR", "IN-OD", "IN-AS", "IN-UP", "IN-MP", "IN-CG", "IN-RJ"]
RESCUE_STATES = {"IN-MH": 0.45, "IN-DL": 0.25, "IN-KA": 0.1, "IN-GJ": 0.1, "IN-TN": 0.1}
LARGEST_HOME = "IN-WB"
COMMON_STAGE = "interim_care"
STAGES = [
    "rescued", "produced", "under_inquiry", "home_verification", "in_transfer",
    "received_home", "final_order", "rehabilitation", "follow_up", "closed",
]  # fmt: skip
EXPLOITATION = ["sexual", "labour", "bonded_labour", "begging", "forced_marriage", "cyber_enabled"]
EVENT_ACTIONS = ["case.updated", "case.note_added", "case.assignees_set", "case.updated"]
BASE = datetime(2026, 10, 1, tzinfo=UTC)  # data times are fixed, so a seed gives the same data
BATCH = 5_000
RESULTS = Path(__file__).parent / "results"


@dataclass
class Agencies:
    ngos: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    police: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    cwcs: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    dcpus: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    commissions: dict[str, uuid.UUID] = field(default_factory=dict)
    # S3: the NGOs that receive the pool of requested referrals, and a national audit office.
    s3_receivers: list[uuid.UUID] = field(default_factory=list)
    audit: uuid.UUID | None = None


async def _agencies(runtime: Runtime) -> Agencies:
    made = Agencies()
    async with runtime.db.transaction() as session:
        for state in [*RESCUE_STATES, *HOME_STATES]:
            rescue = state in RESCUE_STATES
            for kind, count, into in (
                (AgencyType.NGO, 6 if rescue else 3, made.ngos),
                (AgencyType.AHTU, 2 if rescue else 1, made.police),
                (AgencyType.CWC, 2 if rescue else 1, made.cwcs),
                # The home state's DCPU verifies homes (DOMAIN.md section 3: referrals).
                (AgencyType.DCPU, 0 if rescue else 1, made.dcpus),
            ):
                for number in range(count):
                    name = f"Bench {kind.value.upper()} {state} {number + 1} (DEMO)"
                    agency = await admin.create_agency(session, name, kind, state)
                    into.setdefault(state, []).append(agency.id)
            commission = await admin.create_agency(
                session, f"Bench Commission {state} (DEMO)", AgencyType.COMMISSION, state
            )
            made.commissions[state] = commission.id
        for number in range(S3_RECEIVERS):
            receiver = await admin.create_agency(
                session, f"Bench S3 receiving NGO {number + 1} (DEMO)", AgencyType.NGO, "IN-MH"
            )
            made.s3_receivers.append(receiver.id)
        audit = await admin.create_agency(session, "Bench audit office (DEMO)", AgencyType.AUDIT, None)
        made.audit = audit.id
    return made


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass
class Batch:
    events: list[tuple[Any, ...]] = field(default_factory=list)
    event_agencies: list[tuple[Any, ...]] = field(default_factory=list)
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    identities: list[tuple[Any, ...]] = field(default_factory=list)
    exploitation: list[tuple[Any, ...]] = field(default_factory=list)
    history: list[tuple[Any, ...]] = field(default_factory=list)
    transfers: list[tuple[Any, ...]] = field(default_factory=list)
    transfer_acts: list[tuple[Any, ...]] = field(default_factory=list)
    referrals: list[tuple[Any, ...]] = field(default_factory=list)
    referral_acts: list[tuple[Any, ...]] = field(default_factory=list)
    deadlines: list[tuple[Any, ...]] = field(default_factory=list)


CASE_COLUMNS = (
    "id", "code", "rescue_event_id", "track", "stage", "owner_agency_id", "competent_authority_id",
    "rescue_state", "current_state", "home_state", "home_country", "village_tracing",
    "flag_trafficker_contact", "flag_family_complicity", "flag_possible_repeat", "references",
    "sex", "age_claimed", "nationality", "languages", "interpreter_needed", "trafficking_context",
    "opened_at", "version", "created_at", "updated_at",
)  # fmt: skip
IDENTITY_COLUMNS = (
    "case_id",
    "names",
    "date_of_birth",
    "phones",
    "home_village",
    "version",
    "updated_at",
)
EVENT_COLUMNS = (
    "id", "occurred_at", "recorded_at", "state", "rescue_type", "lead_agency_id", "created_by_agency_id",
)  # fmt: skip
TRANSFER_COLUMNS = (
    "id", "case_id", "status", "track", "sending_agency_id", "sending_authority_id",
    "sending_state", "receiving_agency_id", "receiving_authority_id", "receiving_state",
    "escort_agency_id", "stage_before", "escalated", "consultation_due_at", "escort_due_at",
    "acceptance_due_at", "consultation_requested_at", "consultation_answer", "version",
    "created_by", "created_at", "updated_at",
)  # fmt: skip
TRANSFER_ACT_COLUMNS = (
    "id", "transfer_id", "action", "from_status", "to_status", "actor_id", "actor_agency_id",
    "data", "occurred_at", "recorded_at",
)  # fmt: skip
REFERRAL_COLUMNS = (
    "id", "case_id", "type", "status", "reason", "notes", "referring_agency_id",
    "receiving_agency_id", "stage_before", "result_document_id", "occurred_at", "ended_at",
    "version", "created_by", "created_at", "updated_at",
)  # fmt: skip
REFERRAL_ACT_COLUMNS = (
    "id", "referral_id", "action", "from_status", "to_status", "actor_id", "actor_agency_id",
    "data", "occurred_at", "recorded_at",
)  # fmt: skip
DEADLINE_COLUMNS = (
    "id", "case_id", "rule_id", "occurrence", "source_type", "source_id", "owed_by_agency_id",
    "informational", "started_at", "due_at", "met_at", "waived_reason",
)  # fmt: skip
_INQUIRING = ("produced", "interim_care", "under_inquiry", "in_transfer", "received_home")
_DECIDED = ("final_order", "follow_up", "closed")
# The acts that bring a referral to each status (after its creation).
REFERRAL_PATH = {"requested": (), "accepted": ("accept",), "completed": ("accept", "complete")}
WAITING = ("draft", "consultation_requested", "consultation_answered")
MOVING = ("ordered", "escort_assigned", "in_transit", "handed_over")
HISTORY_COLUMNS = (
    "id", "occurred_at", "actor_type", "actor_id", "agency_id", "roles", "action", "case_id",
    "objects", "changes", "nonce",
)  # fmt: skip


def _generate(
    runtime: Runtime, rng: random.Random, agencies: Agencies, cases: int
) -> Iterator[tuple[Batch, list[tuple[uuid.UUID, uuid.UUID, str, str]]]]:
    """Batches of rows, and for each case (id, owner, rescue state, home state)."""
    number = 0
    states, weights = list(RESCUE_STATES), list(RESCUE_STATES.values())
    while number < cases:
        batch, made = Batch(), []
        while len(batch.cases) < BATCH and number < cases:
            rescue_state = rng.choices(states, weights)[0]
            occurred = BASE - timedelta(seconds=rng.randrange(86400 * 700))
            event_id, police = _uuid(rng), rng.choice(agencies.police[rescue_state])
            ngo = rng.choice(agencies.ngos[rescue_state])
            batch.events.append(
                (event_id, occurred, occurred + timedelta(hours=6), rescue_state, "raid", police, police)
            )
            batch.event_agencies += [(event_id, police, "lead"), (event_id, ngo, "participant")]
            for _ in range(min(rng.randint(1, 5), cases - number)):
                case_id = _uuid(rng)
                child = rng.random() < 0.6
                age = rng.randint(9, 17) if child else rng.randint(18, 40)
                # At least 15% of cases in the largest home state, in a common stage.
                home = LARGEST_HOME if rng.random() < 0.3 else rng.choice(HOME_STATES)
                stage = COMMON_STAGE if rng.random() < 0.4 else rng.choice(STAGES)
                updated = occurred + timedelta(seconds=rng.randrange(86400 * 60))
                authority = rng.choice(agencies.cwcs[rescue_state]) if child else None
                batch.cases.append(
                    (
                        case_id, f"BN-{occurred.year}-{number:07d}", event_id,
                        "child" if child else "adult", stage, ngo, authority, rescue_state,
                        rescue_state, home, "IN", "unknown", False, False, False, "{}", "Female",
                        age, "IN", "[]", False,
                        "{}", occurred, 1, occurred, updated,
                    )
                )  # fmt: skip
                identity = IdentityInput(
                    names=[f"Bench Person {number}"],
                    date_of_birth=f"{2026 - age}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    phones=[f"9{number:09d}"],
                    home_village=f"Village {rng.randrange(5000)}",
                )
                sealed = encrypt_identity(runtime.cipher, case_id, identity)
                batch.identities.append(
                    (case_id, sealed["names"], sealed["date_of_birth"], sealed["phones"],
                     sealed["home_village"], 1, occurred)
                )  # fmt: skip
                for kind in rng.sample(EXPLOITATION, rng.choice((1, 1, 2))):
                    batch.exploitation.append((case_id, kind))
                batch.history += _history(rng, case_id, ngo, occurred, updated, stage)
                if child:
                    _transfer(rng, batch, agencies, case_id, ngo, authority, rescue_state, home,
                              stage, updated)  # fmt: skip
                _referral(batch, agencies, case_id, child, ngo, authority, rescue_state, home,
                          stage, updated)  # fmt: skip
                _deadlines(batch, case_id, child, ngo, authority, stage, occurred, updated)
                made.append((case_id, ngo, rescue_state, home))
                number += 1
        yield batch, made


def _transfer(
    rng: random.Random,
    batch: Batch,
    agencies: Agencies,
    case_id: uuid.UUID,
    ngo: uuid.UUID,
    cwc: uuid.UUID | None,
    rescue_state: str,
    home: str,
    stage: str,
    updated: datetime,
) -> None:
    """An open transfer for a child in transfer, and for a fifth of those still waiting."""
    if stage == "in_transfer":
        status, before = rng.choice(MOVING), "under_inquiry"
    elif stage in ("produced", "interim_care", "under_inquiry") and rng.random() < 0.2:
        status, before = rng.choice(WAITING), None
    else:
        return
    transfer_id = _uuid(rng)
    created = updated - timedelta(days=rng.randint(3, 40))
    requested = None if status == "draft" else created + timedelta(days=1)
    escort = rng.choice(agencies.police[rescue_state]) if status in MOVING[1:] else None
    actor = uuid.UUID(int=ngo.int ^ 1)
    batch.transfers.append(
        (
            transfer_id, case_id, status, "child", ngo, cwc, rescue_state,
            rng.choice(agencies.ngos[home]), rng.choice(agencies.cwcs[home]), home, escort,
            before, rng.random() < 0.05,
            requested + timedelta(days=7) if requested else None,
            created + timedelta(days=20) if escort else None,
            updated + timedelta(days=2) if status == "handed_over" else None,
            requested, "agree" if status not in WAITING[:2] else None, 1, actor, created, updated,
        )
    )  # fmt: skip
    batch.transfer_acts.append(
        (_uuid(rng), transfer_id, "create", None, "draft", actor, ngo,
         '{"reasons":"Family traced."}', created, created)
    )  # fmt: skip


def _referral(
    batch: Batch,
    agencies: Agencies,
    case_id: uuid.UUID,
    child: bool,
    ngo: uuid.UUID,
    cwc: uuid.UUID | None,
    rescue_state: str,
    home: str,
    stage: str,
    updated: datetime,
) -> None:
    """A referral for about one case in eight (see the module's docstring). Its randomness comes
    from the case's id, not the shared generator, so adding referrals changed no other row."""
    draw = case_id.int % 100
    if stage == "home_verification" and not child:
        kind, status, referrer = "home_verification", "accepted", ngo
        receiver = agencies.dcpus[home][0]
    elif stage == "under_inquiry" and child and cwc is not None and draw < 20:
        kind, status, referrer = "home_verification", "requested", cwc
        receiver = agencies.dcpus[home][0]
    elif stage in ("interim_care", "rehabilitation") and draw < 15:
        kind, status, referrer = "counselling", ("requested", "accepted")[draw % 2], ngo
        receiver = next(n for n in agencies.ngos[rescue_state] if n != ngo)
    elif stage in ("follow_up", "closed") and draw < 25:
        kind, status, referrer = "vocational_training", "completed", ngo
        receiver = agencies.ngos[home][draw % len(agencies.ngos[home])]
    else:
        return
    rng = random.Random(case_id.int)
    referral_id = _uuid(rng)
    made = updated - timedelta(days=rng.randint(2, 30))
    actor = uuid.UUID(int=referrer.int ^ 1)
    acts = REFERRAL_PATH[status]
    times = [made + timedelta(days=step + 1) for step in range(len(acts))]
    ended = times[-1] if status == "completed" else None
    batch.referrals.append(
        (
            referral_id, case_id, kind, status, "AdditionalServicesRequired",
            "Please take this case on.", referrer, receiver,
            "safe_custody" if kind == "home_verification" and status == "accepted" else None,
            None, made, ended, 1 + len(acts), actor, made, max([made, *times]),
        )
    )  # fmt: skip
    batch.referral_acts.append(
        (_uuid(rng), referral_id, "create", None, "requested", actor, referrer,
         '{"reason":"AdditionalServicesRequired"}', made, made)
    )  # fmt: skip
    before, receiving_actor = "requested", uuid.UUID(int=receiver.int ^ 1)
    for action, at in zip(acts, times, strict=True):
        after = {"accept": "accepted", "complete": "completed"}[action]
        data = '{"result":"Done."}' if action == "complete" else "{}"
        batch.referral_acts.append(
            (_uuid(rng), referral_id, action, before, after, receiving_actor, receiver, data, at, at)
        )
        before = after


def _deadlines(
    batch: Batch,
    case_id: uuid.UUID,
    child: bool,
    ngo: uuid.UUID,
    cwc: uuid.UUID | None,
    stage: str,
    occurred: datetime,
    updated: datetime,
) -> None:
    """The deadlines a case at this stage has (see the module's docstring); randomness from the
    case's id, so no other row changes."""
    rng = random.Random(case_id.int ^ 0xD1)
    found: list[tuple[str, int, uuid.UUID | None, datetime, datetime, datetime | None]] = []
    if stage != "rescued":
        produced = occurred + timedelta(hours=rng.randint(4, 30))
        if child:
            due = occurred + timedelta(hours=24)
            found.append(("JJ31_PRODUCTION", 1, ngo, occurred, due, produced))
            if stage in _INQUIRING or stage in _DECIDED:
                decided = updated if stage in _DECIDED else None
                found.append(
                    ("JJ36_FINAL_ORDER", 1, cwc, produced, produced + timedelta(days=122), decided)
                )
        elif stage == "produced":
            found.append(("ITPA17_INTERMEDIATE", 1, None, produced, produced + timedelta(days=10), None))
    if stage == "follow_up":
        for n in range(1, 9):
            start = updated - timedelta(days=30)
            met = updated if n == 1 else None
            found.append(("FOLLOW_UP_VISIT", n, ngo, start, start + timedelta(days=91 * n), met))
    for rule_id, occurrence, owed_by, started, due, met in found:
        batch.deadlines.append(
            (_uuid(rng), case_id, rule_id, occurrence, "case", case_id, owed_by, False, started,
             due, met, None)
        )  # fmt: skip


def _history(
    rng: random.Random,
    case_id: uuid.UUID,
    owner: uuid.UUID,
    opened: datetime,
    updated: datetime,
    stage: str,
) -> list[tuple[Any, ...]]:
    """About ten events: the creation, then changes spread between opening and the last update."""
    roles = '["caseworker"]'
    objects = _json([{"type": "case", "id": str(case_id)}])
    actor = uuid.UUID(int=owner.int ^ 1)  # a stand-in staff id of the owner
    span = max(1, int((updated - opened).total_seconds()))
    times = sorted(opened + timedelta(seconds=rng.randrange(span)) for _ in range(rng.randint(7, 12)))
    rows = [
        (_uuid(rng), opened, "user", actor, owner, roles, "case.created", case_id, objects, "[]",
         rng.randbytes(16))
    ]  # fmt: skip
    for at in times:
        action = rng.choice(EVENT_ACTIONS)
        changes = (
            _json([{"object": "case", "id": str(case_id), "field": "stage", "from": None, "to": stage}])
            if action == "case.updated"
            else "[]"
        )
        rows.append(
            (_uuid(rng), at, "user", actor, owner, roles, action, case_id, objects, changes,
             rng.randbytes(16))
        )  # fmt: skip
    return rows


# S3's pool: requested referrals of the services an NGO gives, to a few receiving NGOs (one
# open referral of a type from a case to an agency: several agencies make a pool larger than
# four times the cases).
S3_TYPES = ("counselling", "medical", "education", "vocational_training")
S3_RECEIVERS = 16


def _s3_pool(
    batch: Batch,
    agencies: Agencies,
    made: list[tuple[uuid.UUID, uuid.UUID, str, str]],
    stages: dict[uuid.UUID, str],
    wanted: int,
) -> list[str]:
    """Up to ``wanted`` requested referrals (one per open case, service type and receiving NGO)
    with their creation acts; a line each, "<id> <receiver's number>". Drawn from the case's id."""
    lines: list[str] = []
    for case_id, owner, _, _ in made:
        if stages[case_id] in ("closed", "deceased"):
            continue  # a closed case's referral cannot be accepted
        rng = random.Random(case_id.int ^ 0x5353)
        made_at = BASE - timedelta(days=1)
        actor = uuid.UUID(int=owner.int ^ 1)
        for number, receiver in enumerate(agencies.s3_receivers):
            for kind in S3_TYPES:
                if len(lines) >= wanted:
                    return lines
                referral_id = _uuid(rng)
                batch.referrals.append(
                    (
                        referral_id, case_id, kind, "requested", "AdditionalServicesRequired",
                        "Please take this case on.", owner, receiver, None, None, made_at,
                        None, 1, actor, made_at, made_at,
                    )
                )  # fmt: skip
                batch.referral_acts.append(
                    (_uuid(rng), referral_id, "create", None, "requested", actor, owner,
                     '{"reason":"AdditionalServicesRequired"}', made_at, made_at)
                )  # fmt: skip
                lines.append(f"{referral_id} {number + 1}")
    return lines


async def _copy(connection: asyncpg.Connection, batch: Batch) -> None:
    for table, rows, columns in (
        ("rescue_events", batch.events, EVENT_COLUMNS),
        ("rescue_event_agencies", batch.event_agencies, ("rescue_event_id", "agency_id", "role")),
        ("cases", batch.cases, CASE_COLUMNS),
        ("identity_records", batch.identities, IDENTITY_COLUMNS),
        ("case_exploitation_types", batch.exploitation, ("case_id", "type")),
        ("audit_events", batch.history, HISTORY_COLUMNS),
        ("transfers", batch.transfers, TRANSFER_COLUMNS),
        ("transfer_acts", batch.transfer_acts, TRANSFER_ACT_COLUMNS),
        ("referrals", batch.referrals, REFERRAL_COLUMNS),
        ("referral_acts", batch.referral_acts, REFERRAL_ACT_COLUMNS),
        ("deadlines", batch.deadlines, DEADLINE_COLUMNS),
    ):
        await connection.copy_records_to_table(table, records=rows, columns=columns)


async def _principals(
    runtime: Runtime,
    agencies: Agencies,
    target: tuple[uuid.UUID, uuid.UUID, str, str],
    rng: random.Random,
) -> dict[str, str]:
    """A caseworker of the NGO owning the target case (assigned to it), the commission officer of
    the largest home state, a caseworker of each S3 receiving NGO and a national auditor; an
    access token each (valid a day)."""
    now = datetime.now(UTC)
    case_id, owner, rescue_state, _ = target
    tokens = {}
    async with runtime.db.transaction() as session:
        hashed = await runtime.passwords.hash("bench password not used")
        for name, agency_id, agency_type, state, role in (
            ("caseworker", owner, AgencyType.NGO, rescue_state, Role.CASEWORKER),
            ("commission", agencies.commissions[LARGEST_HOME], AgencyType.COMMISSION, LARGEST_HOME,
             Role.COMMISSION_OFFICER),
            *[
                (f"s3_{n + 1}", receiver, AgencyType.NGO, "IN-MH", Role.CASEWORKER)
                for n, receiver in enumerate(agencies.s3_receivers)
            ],
            ("auditor", agencies.audit, AgencyType.AUDIT, None, Role.AUDITOR),
        ):  # fmt: skip
            assert agency_id is not None
            user = await admin.create_user(
                session, runtime, agency_id, f"bench.{name}.{rng.randrange(10**9)}", [role], "",
                password_hash=hashed,
            )  # fmt: skip
            auth = AuthSession(user_id=user.id, created_at=now, expires_at=now + timedelta(days=1))
            session.add(auth)
            await session.flush()
            if name == "caseworker":
                session.add(CaseAssignee(case_id=case_id, user_id=user.id))
            tokens[name] = runtime.tokens.issue_access(
                kind="user", subject_id=user.id, agency_id=agency_id, agency_type=agency_type,
                agency_state=state, roles=[role.value], scopes=[], session_id=auth.id,
                authz_version=1, now=now,
            )  # fmt: skip
    return tokens


async def _size(connection: asyncpg.Connection) -> dict[str, Any]:
    database = await connection.fetchval("SELECT pg_database_size(current_database())")
    tables = await connection.fetch(
        "SELECT relname, pg_total_relation_size(oid) AS bytes FROM pg_class"
        " WHERE relkind = 'r' AND relname IN ('cases', 'identity_records', 'audit_events',"
        " 'rescue_events', 'case_exploitation_types', 'transfers', 'transfer_acts', 'referrals',"
        " 'referral_acts', 'deadlines', 'log_leaves', 'log_nodes')"
        " ORDER BY relname"
    )
    return {"database_bytes": database, "tables": {r["relname"]: r["bytes"] for r in tables}}


async def _sign_checkpoint(runtime: Runtime) -> int:
    """A signed checkpoint over the whole seeded log, as the API would make one."""
    async with runtime.db.transaction() as session:
        made = await make_checkpoint(
            session, runtime.log_signer, runtime.settings.log_origin, datetime.now(UTC)
        )
        return 0 if made is None else made.tree_size


async def seed(cases: int, rng: random.Random, s3_pool: int = 0) -> dict[str, Any]:
    settings = get_settings()
    runtime = build_runtime(settings)
    agencies = await _agencies(runtime)
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    started = time.perf_counter()
    target = None
    counted = {"cases": 0, "events": 0, "transfers": 0, "referrals": 0, "deadlines": 0}
    log, pool = LogBuilder(), []
    sequenced_at = datetime.now(UTC)
    try:
        # The log is built here, as the sequencer would have built it: the events are not queued.
        await connection.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_queue")
        for batch, made in _generate(runtime, rng, agencies, cases):
            stages = {row[0]: row[4] for row in batch.cases}
            pool += _s3_pool(batch, agencies, made, stages, s3_pool - len(pool))
            leaves, nodes = log.append(
                [history_event(row, HISTORY_COLUMNS) for row in batch.history], sequenced_at
            )
            async with connection.transaction():
                await _copy(connection, batch)
                await connection.copy_records_to_table(
                    "log_leaves", records=leaves, columns=LEAF_COLUMNS
                )
                await connection.copy_records_to_table("log_nodes", records=nodes, columns=NODE_COLUMNS)
            target = target or made[0]
            counted["cases"] += len(batch.cases)
            counted["events"] += len(batch.history)
            counted["transfers"] += len(batch.transfers)
            counted["referrals"] += len(batch.referrals)
            counted["deadlines"] += len(batch.deadlines)
        await connection.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_queue")
        await connection.execute("ANALYZE")
        seconds = time.perf_counter() - started
        size = await _size(connection)
    finally:
        await connection.close()
    assert target is not None
    tokens = await _principals(runtime, agencies, target, rng)
    tree_size = await _sign_checkpoint(runtime)
    await runtime.db.dispose()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "s3_pool.txt").write_text("".join(f"{line}\n" for line in pool))
    seeded = {
        "cases": counted["cases"],
        "history_events": counted["events"],
        "transfers": counted["transfers"],
        "referrals": counted["referrals"],
        "deadlines": counted["deadlines"],
        "log_size": tree_size,
        "s3_pool": len(pool),
        "seconds": round(seconds, 1),
        "case_id": str(target[0]),
        "filter": {"home_state": LARGEST_HOME, "stage": COMMON_STAGE},
        "tokens": tokens,
        **size,
    }
    (RESULTS / "seed.json").write_text(json.dumps(seeded))
    return seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--s3-pool", type=int, default=0, help="Requested referrals for S3 (written to s3_pool.txt)."
    )
    args = parser.parse_args()
    result = asyncio.run(seed(args.cases, random.Random(args.seed), args.s3_pool))
    print(json.dumps({k: v for k, v in result.items() if k != "tokens"}))


if __name__ == "__main__":
    main()
