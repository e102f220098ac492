from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.deps import runtime_of
from app.errors import documented
from app.ops.metrics import REGISTRY

router = APIRouter(tags=["operations"], route_class=GuardedRoute)


@router.get("/health/live", operation_id="health-live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    operation_id="health-ready",
    summary="The database answers",
    responses=documented(503),
)
async def ready(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    try:
        async with runtime.db.session(write=False) as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


@router.get(
    "/metrics",
    operation_id="metrics-read",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(principal: Annotated[Principal, require(Permission.METRICS_READ)]) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
