"""The floor: a bare ASGI app (Starlette) with asyncpg and orjson, no ORM, no authentication,
doing the minimum SQL for each scenario. The API is measured as a ratio against it.

S1   GET /cases/{id}                       the case row by id
S1b  GET /identity/{id}?fields=...         the identity row by id, the named fields decrypted
S2   GET /cases?home_state=&stage=&cursor= a page of 50 by the same keyset SQL as the API's, without
                                           the visibility predicate
S3   POST /referrals/{id}/accept           UPDATE ... WHERE id = $1 AND status = 'requested' and an
                                           event INSERT, in one transaction

Decryption uses the vault's keys (the same HOMECOMING_* settings as the API) and the same AES-GCM
values, so S1b compares the same cryptographic work.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config import get_settings, resolve_secrets
from app.vault.crypto import Cipher

DSN = os.environ["BENCH_REFERENCE_DSN"]
IDENTITY_FIELDS = frozenset({"names", "date_of_birth", "phones", "home_village"})
PAGE = 50
pool: Any = None
cipher: Cipher | None = None


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global pool, cipher
    secrets = resolve_secrets(get_settings())
    cipher = Cipher(secrets.vault_keys, secrets.vault_active_key)
    pool = await asyncpg.create_pool(DSN, min_size=4, max_size=10)
    yield
    await pool.close()


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value, default=str), media_type="application/json")


async def read_case(request: Request) -> Response:
    row = await pool.fetchrow("SELECT * FROM cases WHERE id = $1", request.path_params["case_id"])
    if row is None:
        return Response(status_code=404)
    return _json(dict(row))


async def read_identity(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    fields = [f for f in request.query_params.getlist("fields") if f in IDENTITY_FIELDS]
    columns = ", ".join(fields)
    row = await pool.fetchrow(f"SELECT {columns} FROM identity_records WHERE case_id = $1", case_id)
    if row is None:
        return Response(status_code=404)
    assert cipher is not None
    values = {
        field: None
        if row[field] is None
        else json.loads(cipher.decrypt(row[field], cipher.context("identity_records", case_id, field)))
        for field in fields
    }
    return _json({"case_id": case_id, "fields": values})


async def list_cases(request: Request) -> Response:
    query = request.query_params
    cursor = query.get("cursor")
    args: list[Any] = [query["home_state"], query["stage"], PAGE + 1]
    after = ""
    if cursor:
        updated_at, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        args += [datetime.fromisoformat(updated_at), case_id]
        after = "AND (updated_at, id) < ($4, $5::uuid)"
    rows = await pool.fetch(
        "SELECT * FROM cases WHERE home_state = $1 AND stage = $2 "
        f"{after} ORDER BY updated_at DESC, id DESC LIMIT $3",
        *args,
    )
    next_cursor = None
    if len(rows) > PAGE:
        rows = rows[:PAGE]
        last = rows[-1]
        raw = json.dumps([last["updated_at"].isoformat(), str(last["id"])]).encode()
        next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return _json({"items": [dict(r) for r in rows], "next_cursor": next_cursor})


_ACCEPT = (
    "UPDATE referrals SET status = 'accepted', version = version + 1, updated_at = now()"
    " WHERE id = $1 AND status = 'requested' RETURNING case_id"
)
_EVENT = (
    "INSERT INTO audit_events (id, occurred_at, actor_type, roles, action, case_id, objects,"
    " changes) VALUES ($1, now(), 'user', '[]', 'referral.accepted', $2, $3, $4)"
)


async def accept_referral(request: Request) -> Response:
    referral_id = request.path_params["referral_id"]
    async with pool.acquire() as connection, connection.transaction():
        case_id = await connection.fetchval(_ACCEPT, referral_id)
        if case_id is None:
            return Response(status_code=409)
        objects = orjson.dumps([{"type": "referral", "id": str(referral_id)}]).decode()
        changes = orjson.dumps([{"object": "referral", "field": "status", "to": "accepted"}]).decode()
        await connection.execute(_EVENT, uuid.uuid4(), case_id, objects, changes)
    return _json({"id": referral_id, "status": "accepted"})


app = Starlette(
    routes=[
        Route("/cases/{case_id:uuid}", read_case),
        Route("/identity/{case_id:uuid}", read_identity),
        Route("/cases", list_cases),
        Route("/referrals/{referral_id:uuid}/accept", accept_referral, methods=["POST"]),
    ],
    lifespan=lifespan,
)
