"""The Idempotency-Key steps the guard runs around a POST handler."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from app.auth.principal import Principal
from app.errors import not_found
from app.idempotency import service
from app.idempotency.replay import READERS
from app.runtime import Runtime


async def begin(
    request: Request, runtime: Runtime, principal: Principal
) -> service.Claim | Response | None:
    """None without a key; a claim for a first request; the replayed answer for a repeat."""
    raw = request.headers.get(service.HEADER)
    if raw is None:
        return None
    key = service.valid_key(raw)
    body = await request.body()
    outcome = await service.claim(
        runtime.db,
        principal,
        key,
        service.fingerprint(request.method, request.url.path, body),
        runtime.now(),
    )
    if isinstance(outcome, service.Claim):
        return outcome
    return await _replay(runtime, principal, outcome)


async def _replay(runtime: Runtime, principal: Principal, first: service.Replay) -> Response:
    headers = {"Idempotent-Replayed": "true", "Cache-Control": "no-store"}
    if first.resource_type is None or first.resource_id is None:
        return Response(status_code=first.status, headers=headers)
    reader = READERS[first.resource_type]
    async with runtime.db.session(write=False) as session:
        session.info["clock"] = runtime.now
        try:
            resource_id = uuid.UUID(first.resource_id)
        except ValueError as exc:
            raise not_found(first.resource_type) from exc
        body = await reader(session, runtime, principal, resource_id)
    return JSONResponse(body, status_code=first.status, headers=headers)


def resource_of(
    request: Request, spec: dict[str, Any] | None, response: Response
) -> tuple[str | None, str | None]:
    """What the first request made, as the route declares it (``replays_as``)."""
    if spec is None or response.status_code >= 300:
        return None, None
    source = str(spec["id_from"])
    if source.startswith("path:"):
        return str(spec["resource"]), str(request.path_params[source.removeprefix("path:")])
    try:
        made = json.loads(bytes(response.body))
    except ValueError:
        return None, None
    return str(spec["resource"]), str(made.get("id")) if isinstance(made, dict) else None


async def finish(
    request: Request,
    runtime: Runtime,
    claimed: service.Claim,
    spec: dict[str, Any] | None,
    response: Response,
) -> None:
    resource_type, resource_id = resource_of(request, spec, response)
    session = getattr(request.state, "db_session", None)
    if session is None:
        async with runtime.db.transaction() as own:
            await service.complete(
                own, claimed, response.status_code, resource_type, resource_id, runtime.now()
            )
        return
    await service.complete(
        session, claimed, response.status_code, resource_type, resource_id, runtime.now()
    )


async def release(runtime: Runtime, claimed: service.Claim) -> None:
    await service.release(runtime.db, claimed)
