"""The floor: a bare ASGI app (Starlette) with asyncpg and orjson, no ORM, no authentication,
doing the minimum SQL for each scenario. The API is measured as a ratio against it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ["BENCH_REFERENCE_DSN"]
pool: Any = None


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=4, max_size=10)
    yield
    await pool.close()


async def read_case(request: Request) -> Response:
    """S1: select the case row by id."""
    row = await pool.fetchrow("SELECT * FROM cases WHERE id = $1", request.path_params["case_id"])
    if row is None:
        return Response(status_code=404)
    return Response(orjson.dumps(dict(row), default=str), media_type="application/json")


app = Starlette(routes=[Route("/cases/{case_id:uuid}", read_case)], lifespan=lifespan)
