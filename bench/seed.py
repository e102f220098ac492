"""Benchmark data: N cases over states, agencies, stages and tracks, skewed like reality, with
identity records encrypted exactly as the app does; reproducible from a seed. Multi-row inserts.

    python -m bench.seed --cases 10000 --seed 7

Reads the database and keys from the HOMECOMING_* settings (run as the schema owner)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from app import admin
from app.auth.models import AuthSession
from app.auth.permissions import AgencyType, Role
from app.cases.identity import encrypt_identity
from app.cases.models import Case, CaseAssignee, CaseExploitation, IdentityRecord, RescueEvent
from app.cases.schemas import IdentityInput
from app.config import get_settings
from app.runtime import build_runtime

STATES = ["IN-WB", "IN-JH", "IN-BR", "IN-OD", "IN-AS", "IN-UP", "IN-MP", "IN-CG", "IN-RJ", "IN-TN"]
STAGES = ["rescued", "produced", "interim_care", "under_inquiry", "in_transfer", "received_home"]
RESULTS = Path(__file__).parent / "results"
BATCH = 1000


async def seed(cases: int, rng: random.Random) -> dict[str, Any]:
    runtime = build_runtime(get_settings())
    now = datetime.now(UTC)
    async with runtime.db.transaction() as session:
        ngo = await admin.create_agency(session, "Bench NGO (DEMO)", AgencyType.NGO, "IN-MH")
        commission = await admin.create_agency(
            session, "Bench SCPCR WB (DEMO)", AgencyType.COMMISSION, "IN-WB"
        )
        hashed = await runtime.passwords.hash("bench password not used")
        worker = await admin.create_user(
            session,
            runtime,
            ngo.id,
            f"bench.worker.{rng.randrange(10**9)}",
            [Role.CASEWORKER],
            "",
            password_hash=hashed,
        )
        officer = await admin.create_user(
            session, runtime, commission.id, f"bench.officer.{rng.randrange(10**9)}",
            [Role.COMMISSION_OFFICER], "", password_hash=hashed,
        )  # fmt: skip
        event = RescueEvent(
            occurred_at=now - timedelta(days=30), state="IN-MH", rescue_type="raid",
            lead_agency_id=ngo.id, created_by_agency_id=ngo.id,
        )  # fmt: skip
        session.add(event)
        await session.flush()
        event_id, ngo_id = event.id, ngo.id
    ids: list[uuid.UUID] = []
    started = time.perf_counter()
    for offset in range(0, cases, BATCH):
        rows, identities, types = [], [], []
        for number in range(offset, min(cases, offset + BATCH)):
            case_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            # At least 15% of cases in the largest home state, in a common stage.
            home = "IN-WB" if rng.random() < 0.3 else rng.choice(STATES)
            updated = now - timedelta(seconds=rng.randrange(86400 * 300))
            rows.append(
                {
                    "id": case_id, "code": f"BN-2026-{number:07d}", "rescue_event_id": event_id,
                    "track": "child" if rng.random() < 0.6 else "adult",
                    "stage": "interim_care" if rng.random() < 0.4 else rng.choice(STAGES),
                    "owner_agency_id": ngo_id, "rescue_state": "IN-MH", "current_state": "IN-MH",
                    "home_state": home, "home_country": "IN", "village_tracing": "unknown",
                    "flag_trafficker_contact": False, "flag_family_complicity": False,
                    "flag_possible_repeat": False, "references": {}, "sex": "Female",
                    "nationality": "IN", "languages": [], "interpreter_needed": False,
                    "trafficking_context": {}, "opened_at": updated, "version": 1,
                    "created_at": updated, "updated_at": updated,
                }
            )  # fmt: skip
            identity = IdentityInput(names=[f"Bench Person {number}"], phones=[f"9{number:09d}"])
            identities.append(
                {"case_id": case_id, "version": 1, **encrypt_identity(runtime.cipher, case_id, identity)}
            )
            types.append({"case_id": case_id, "type": "sexual"})
            ids.append(case_id)
        async with runtime.db.transaction() as session:
            await session.execute(insert(Case), rows)
            await session.execute(insert(IdentityRecord), identities)
            await session.execute(insert(CaseExploitation), types)
    elapsed = time.perf_counter() - started
    target = ids[0]
    async with runtime.db.transaction() as session:
        session.add(CaseAssignee(case_id=target, user_id=worker.id))
        tokens = {}
        for name, user, agency_type, state in (
            ("caseworker", worker, AgencyType.NGO, "IN-MH"),
            ("commission", officer, AgencyType.COMMISSION, "IN-WB"),
        ):
            auth = AuthSession(user_id=user.id, created_at=now, expires_at=now + timedelta(days=1))
            session.add(auth)
            await session.flush()
            role = Role.CASEWORKER if name == "caseworker" else Role.COMMISSION_OFFICER
            tokens[name] = runtime.tokens.issue_access(
                kind="user", subject_id=user.id, agency_id=user.agency_id, agency_type=agency_type,
                agency_state=state, roles=[role.value], scopes=[], session_id=auth.id,
                authz_version=1, now=now,
            )  # fmt: skip
    await runtime.db.dispose()
    seeded = {"cases": cases, "seconds": round(elapsed, 1), "case_id": str(target), "tokens": tokens}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "seed.json").write_text(json.dumps(seeded))
    return seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = asyncio.run(seed(args.cases, random.Random(args.seed)))
    print(json.dumps({k: v for k, v in result.items() if k != "tokens"}))


if __name__ == "__main__":
    main()
