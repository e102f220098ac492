"""Authentication and the route's permission, checked before anything else about the request.

Every protected route declares ``require(Permission.X)``. ``GuardedRoute`` finds that declaration and
runs, before FastAPI reads or validates the body: 401 (no valid token), 403 (permission missing), 415
(a JSON route sent something else). The body size limit (413) and validation (422) follow, then the
handler (404, 403, 409, 412), in the order of DOMAIN.md section 5. Whether the token is still current
(revoked, deactivated, roles changed) is checked in SQL: as the first statement of the request's
transaction (``app.deps.db_session``), or, for a route without one, before the response is sent. A
stale token gets 401 whatever the handler would have said. The route also ends the request's
transaction: committed after the handler and before the response, rolled back on any error.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.current import already_checked, check_current, unauthorized
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.auth.tokens import InvalidToken
from app.deps import end_request_session
from app.errors import Problem
from app.idempotency import route as idempotency
from app.runtime import Runtime


class Require:
    """The dependency behind ``require``: hands the already-authenticated principal to the handler."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        principal: Principal = request.state.principal
        return principal


def require(permission: Permission) -> Any:
    return Depends(Require(permission))


def find_requirement(dependant: Dependant) -> Require | None:
    for sub in dependant.dependencies:
        if isinstance(sub.call, Require):
            return sub.call
        found = find_requirement(sub)
        if found is not None:
            return found
    return None


def _unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return Problem(401, detail, headers={"WWW-Authenticate": challenge})


def authenticate(request: Request, runtime: Runtime) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("A bearer access token is required.")
    try:
        return runtime.tokens.decode_access(token.strip())
    except InvalidToken as exc:
        raise _unauthorized("The access token is invalid or expired.", "invalid_token") from exc


def _is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, with any parameters (RFC 9110: the type
    and subtype are case-insensitive tokens before the first ``;``)."""
    if not content_type:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type.count("/") != 1:
        return False  # not a media type (as FastAPI reads it: text/plain, so never parsed as JSON)
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(request.headers.get("transfer-encoding")) or (length is not None and length != "0")


async def _still_current(request: Request, runtime: Runtime, principal: Principal) -> bool:
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    if already_checked(session):
        return True
    if session is not None and session.in_transaction():
        return await check_current(session, principal, runtime.now())
    async with runtime.db.session(write=False) as fresh:
        return await check_current(fresh, principal, runtime.now())


class GuardedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        requirement = find_requirement(self.dependant)
        expects_json = self.body_field is not None and not is_form_body(self)

        def check_media_type(request: Request) -> None:
            if expects_json and _has_body(request) and not _is_json(request.headers.get("content-type")):
                raise Problem(415, "Send the body as application/json.")

        if requirement is None:

            async def public(request: Request) -> Response:
                check_media_type(request)
                try:
                    response = await handler(request)
                except BaseException:
                    await end_request_session(request, commit=False)
                    raise
                await end_request_session(request, commit=True)
                return response

            return public
        permission = requirement.permission
        # Every POST outside /v1/auth accepts an Idempotency-Key.
        replay_spec = (self.openapi_extra or {}).get("x-idempotency")
        idempotent = (
            "POST" in (self.methods or set())
            and not self.path.startswith("/v1/auth/")
            and not (replay_spec is not None and replay_spec.get("resource") is None)
        )

        async def guarded(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            principal = authenticate(request, runtime)
            request.state.principal = principal
            claimed = None
            try:
                if not principal.can(permission):
                    raise Problem(403, f"This operation needs the permission {permission.value}.")
                check_media_type(request)
                if idempotent:
                    started = await idempotency.begin(request, runtime, principal)
                    if isinstance(started, Response):
                        return started
                    claimed = started
                    # Its outcome commits with the change: the change goes through the session.
                    request.state.one_transaction = claimed is not None
            except Problem as exc:
                # A revoked or outdated token is "no valid credentials" first of all (401).
                if not await _still_current(request, runtime, principal):
                    raise unauthorized() from exc
                raise
            try:
                response = await handler(request)
                if not await _still_current(request, runtime, principal):
                    raise unauthorized()
                if claimed is not None:
                    # In the request's transaction, so the outcome commits with the change.
                    await idempotency.finish(request, runtime, claimed, replay_spec, response)
                await end_request_session(request, commit=True)
            except Exception as exc:
                session: AsyncSession | None = getattr(request.state, "db_session", None)
                checked = already_checked(session)
                # End the failed transaction now (SQLite has one writer), then tidy up.
                await end_request_session(request, commit=False)
                if claimed is not None:
                    await idempotency.release(runtime, claimed)
                checked = checked or bool(getattr(exc, "principal_checked", False))
                if not checked and not await _still_current(request, runtime, principal):
                    raise unauthorized() from exc
                raise
            finally:
                # Cancelled mid-request: nothing is committed, the connection goes back to the pool.
                await end_request_session(request, commit=False)
            return response

        return guarded


def is_form_body(route: APIRoute) -> bool:
    from fastapi import params

    return route.body_field is not None and isinstance(route.body_field.field_info, params.Form)
