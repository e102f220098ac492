"""The application factory: routers, error handlers, middleware and the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app import route_index
from app.aftercare.router import router as aftercare_router
from app.agencies.router import router as agencies_router
from app.auth.guard import find_requirement, is_form_body
from app.auth.router import router as auth_router
from app.cases.router import router as cases_router
from app.changes.router import router as changes_router
from app.clients.router import router as clients_router
from app.compensation.router import router as compensation_router
from app.config import Settings, check_production_settings, get_settings
from app.deadlines.router import router as deadlines_router
from app.documents.router import router as documents_router
from app.errors import PROBLEM_MEDIA_TYPE, install_error_handlers
from app.history.router import router as history_router
from app.ledger.router import router as ledger_router
from app.ledger.worker import run_sequencer
from app.ops.background import run_background
from app.ops.logging import configure_logging
from app.ops.middleware import RequestContextMiddleware
from app.ops.router import router as ops_router
from app.orders.router import router as orders_router
from app.referrals.router import router as referrals_router
from app.runtime import Runtime, build_runtime
from app.transfers.router import router as transfers_router
from app.users.router import router as users_router

API_VERSION = "0.1.0"
GC_YOUNG_THRESHOLD = 20_000
DESCRIPTION = """
Homecoming tracks rescued victims of human trafficking as their cases move from agencies in the state
where they were rescued to agencies in their home state. Every route is scoped by role and by the
object's agency and jurisdiction; errors are RFC 9457 problem details.
"""

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "type": {"type": "string"},
                    "msg": {"type": "string"},
                },
            },
        },
        "error": {"type": "string", "description": "OAuth 2.0 error code (token endpoint)."},
    },
}


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_production_settings(settings)
    configure_logging(settings.log_level)
    built = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await built.db.start()
        # Everything made so far (routes, schemas, SQL, compiled statements) lives as long as the
        # process: move it out of the collector's sight, so a full collection walks only what
        # requests allocate. Measured in bench/: full collections otherwise pause the event loop
        # for tens of milliseconds, the fixed-rate run's p99.
        gc.collect()
        gc.freeze()
        # A request allocates thousands of container objects that reference counting frees; at
        # the default threshold (700) the youngest generation is scanned several times per
        # request for cycles there are almost none of. Profiled under S3 (bench/README.md): about
        # 5% of the API's samples at 700, no longer a visible entry at this threshold. The older
        # generations keep their defaults.
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        tasks = [asyncio.create_task(run_background(built))]
        if built.settings.sequencer_interval_seconds > 0:
            interval = built.settings.sequencer_interval_seconds
            tasks.append(asyncio.create_task(run_sequencer(built, interval)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await built.access_log.flush()
            await built.db.dispose()

    docs = not settings.is_production
    app = FastAPI(
        title="Homecoming API",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        # FastAPI's own OpenTelemetry hooks are off: this service exports no OpenTelemetry (its
        # metrics are Prometheus's, its logs structured lines, app.ops), so they would only ask,
        # on every request, whether a provider was configured; and an exception's message sent to
        # a provider someone configured later could carry a request's values.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = built
    app.state.db = built.db
    install_error_handlers(app)
    routers = (
        ops_router,
        auth_router,
        agencies_router,
        users_router,
        clients_router,
        cases_router,
        documents_router,
        transfers_router,
        referrals_router,
        compensation_router,
        orders_router,
        deadlines_router,
        aftercare_router,
        ledger_router,
        history_router,
        changes_router,
    )
    for router in routers:
        # The routes are added as they are (paths already carry the router's prefix), so that
        # app.routes lists every APIRoute for the OpenAPI document and the route tests.
        app.router.routes.extend(router.routes)
    route_index.install(app.router)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app


def _error(status: int, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The schema, with the error responses that follow from each route's shape documented."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schemes = schema["components"].setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            requirement = find_requirement(route.dependant)
            standard: dict[int, str] = {}
            if requirement is not None:
                operation["security"] = [{"bearer": []}]
                operation["x-permission"] = requirement.permission.value
                standard[401] = "Missing, invalid, expired or revoked credentials"
                standard[403] = "The caller lacks the permission, or its relation may not act"
            json_body = route.body_field is not None and not is_form_body(route)
            if route.body_field is not None:
                standard[413] = "The body is larger than allowed"
            if json_body:
                standard[415] = "The body is not JSON"
            if json_body or route.dependant.query_params or route.dependant.path_params:
                standard[422] = "Malformed or unknown fields (names the fields, never the values)"
            if route.dependant.path_params:
                standard[404] = "No such object, or one the caller may not see"
            standard[500] = "Internal error (no details are disclosed)"
            for status, description in standard.items():
                responses.setdefault(str(status), _error(status, description))
            # FastAPI's default validation schema is replaced by problem details.
            if "422" in responses:
                responses["422"] = _error(422, standard.get(422, "Validation error"))
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    app.openapi_schema = schema
    return schema
