from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from app.auth import profile, service
from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.auth.schemas import (
    ActivationRequest,
    ActivationResult,
    MeResponse,
    PasswordChange,
    TokenResponse,
)
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.ops import addresses

router = APIRouter(route_class=GuardedRoute)

OptionalForm = Annotated[str | None, Form()]


def client_address(request: Request) -> str:
    return addresses.client_address(request, request.app.state.runtime.trusted_proxies)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
    return (unquote(client_id), unquote(secret)) if sep else None


@router.post(
    "/v1/auth/token",
    operation_id="auth-token",
    response_model=TokenResponse,
    responses=documented(400, 401, 429),
    summary="Obtain tokens (OAuth 2.0: password, client_credentials, refresh_token)",
)
async def token(
    request: Request,
    runtime: RuntimeDep,
    grant_type: OptionalForm = None,
    username: OptionalForm = None,
    password: OptionalForm = None,
    refresh_token: OptionalForm = None,
    client_id: OptionalForm = None,
    client_secret: OptionalForm = None,
    scope: OptionalForm = None,
) -> JSONResponse:
    """Form-encoded as RFC 6749 says; unknown parameters are ignored. Errors carry ``error``."""
    address = client_address(request)
    if grant_type == "password":
        if not username or password is None:
            raise service.oauth_error(400, "invalid_request", "username and password are required.")
        grant = await service.password_grant(runtime, username, password, address)
    elif grant_type == "client_credentials":
        credentials = _basic_credentials(request) or (
            (client_id, client_secret) if client_id and client_secret else None
        )
        if credentials is None:
            raise service.oauth_error(
                401,
                "invalid_client",
                "Client authentication is required.",
                **{"WWW-Authenticate": 'Basic realm="homecoming"'},
            )
        grant = await service.client_credentials_grant(
            runtime, credentials[0], credentials[1], scope, address
        )
    elif grant_type == "refresh_token":
        if not refresh_token:
            raise service.oauth_error(400, "invalid_request", "refresh_token is required.")
        grant = await service.refresh_grant(runtime, refresh_token, address)
    elif grant_type is None:
        raise service.oauth_error(400, "invalid_request", "grant_type is required.")
    else:
        raise service.oauth_error(
            400, "unsupported_grant_type", "Use password, client_credentials or refresh_token."
        )
    body = TokenResponse(
        access_token=grant.access_token,
        expires_in=grant.expires_in,
        refresh_token=grant.refresh_token,
        scope=grant.scope,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


@router.post(
    "/v1/auth/revoke",
    operation_id="auth-revoke",
    status_code=200,
    response_class=Response,
    summary="Revoke a token's session (RFC 7009); without a token, the caller's own",
)
async def revoke(
    request: Request,
    runtime: RuntimeDep,
    session: Session,
    principal: Annotated[Principal, require(Permission.SESSIONS_REVOKE)],
    token: OptionalForm = None,
    token_type_hint: OptionalForm = None,
) -> Response:
    await service.revoke(runtime, session, principal, token, client_address(request))
    return Response(status_code=200)


@router.post(
    "/v1/auth/activate",
    operation_id="auth-activate",
    response_model=ActivationResult,
    responses=documented(400, 429),
    summary="Redeem a one-time activation or reset code and set a password",
)
async def activate(request: Request, runtime: RuntimeDep, body: ActivationRequest) -> ActivationResult:
    user = await service.redeem_code(runtime, body.code, body.password, client_address(request))
    return ActivationResult(user_id=user.id, username=user.username)


@router.get("/v1/me", operation_id="me-read", response_model=MeResponse, summary="Who am I")
async def me(
    session: Session, principal: Annotated[Principal, require(Permission.PROFILE_READ)]
) -> MeResponse:
    return await profile.read_me(session, principal)


@router.put(
    "/v1/me/password",
    operation_id="me-change-password",
    status_code=204,
    response_class=Response,
    responses=documented(400, 429),
    summary="Change my password (ends my other sessions)",
)
async def change_password(
    runtime: RuntimeDep,
    principal: Annotated[Principal, require(Permission.PROFILE_PASSWORD)],
    body: PasswordChange,
) -> Response:
    await profile.change_password(runtime, principal, body.current_password, body.new_password)
    return Response(status_code=204)
