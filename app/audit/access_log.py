"""The access log: denied attempts (401/403/404) on every route, and later reads of case data.

A denial is written in a short transaction of its own, so it survives the failed request.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert
from starlette.requests import Request

from app.audit.models import AccessLogEntry
from app.auth.principal import Principal
from app.context import request_id_var
from app.db import Database, utcnow
from app.ops.middleware import route_template

log = logging.getLogger("homecoming.access")


def _object_id(path_params: dict[str, Any]) -> str | None:
    # The innermost id in the path is the object acted on (ids are UUIDs, never identity).
    for name in reversed(list(path_params)):
        if name.endswith("_id"):
            return str(path_params[name])[:64]
    return None


async def record_denied(request: Request, status: int) -> None:
    if "route" not in request.scope:
        return  # no such route at all: nothing was attempted on an object
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None:
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    values = {
        "occurred_at": utcnow(),
        "principal_type": principal.kind if principal else None,
        "principal_id": principal.id if principal else None,
        "agency_id": principal.agency_id if principal else None,
        "method": request.method,
        "route": route_template(request.scope),
        "status": status,
        "outcome": "denied",
        "object_type": None,
        "object_id": _object_id(request.path_params),
        "request_id": request_id_var.get(),
    }
    try:
        async with db.transaction() as session:
            await session.execute(insert(AccessLogEntry).values(**values))
    except Exception:  # a logging failure must not turn a 404 into a 500
        log.exception("could not record a denied attempt")
