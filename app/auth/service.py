"""Sign-in, token refresh with rotation and reuse detection, revocation, and one-time codes.

Writes that must outlive a failed request (throttle counters, a family revoked on reuse, security-log
rows) are committed in short transactions of their own; everything else rides in the caller's.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agencies.models import Agency
from app.audit.events import Actor, ObjectRef, record_event
from app.audit.security_log import record_security
from app.auth import throttle
from app.auth.current import require_current
from app.auth.models import AuthSession, RefreshToken
from app.auth.passwords import password_problem
from app.auth.permissions import AgencyType, machine_grantable
from app.auth.principal import Principal
from app.auth.sessions import end_sessions
from app.auth.tokens import InvalidToken, digest, new_secret
from app.clients.models import MachineClient
from app.errors import Problem
from app.runtime import Runtime
from app.users.models import User, UserRole


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    refresh_token: str | None
    scope: str


def oauth_error(status: int, error: str, detail: str, **headers: str) -> Problem:
    """An RFC 6749 error inside a problem+json body (``error`` as OAuth clients expect)."""
    return Problem(status, detail, headers=headers or None, error=error)


def _invalid_grant() -> Problem:
    # One answer for unknown user, wrong password, inactive user or agency: nothing to enumerate.
    return oauth_error(400, "invalid_grant", "The credentials are not valid.")


def _too_many(retry_after: int) -> Problem:
    return Problem(
        429,
        "Too many failed attempts; try again later.",
        headers={"Retry-After": str(retry_after)},
    )


async def _user_roles(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    rows = await session.execute(select(UserRole.role).where(UserRole.user_id == user_id))
    return sorted(rows.scalars())


def _user_access_token(
    runtime: Runtime, user: User, agency: Agency, roles: list[str], session_id: uuid.UUID
) -> str:
    return runtime.tokens.issue_access(
        kind="user",
        subject_id=user.id,
        agency_id=agency.id,
        agency_type=AgencyType(agency.type),
        agency_state=agency.state,
        roles=roles,
        scopes=[],
        session_id=session_id,
        authz_version=user.authz_version,
        now=runtime.now(),
    )


async def _new_refresh_token(
    session: AsyncSession,
    runtime: Runtime,
    session_id: uuid.UUID,
    now: datetime,
    parent_id: uuid.UUID | None = None,
) -> str:
    secret = new_secret()
    session.add(
        RefreshToken(
            session_id=session_id,
            parent_id=parent_id,
            token_hash=digest(secret),
            issued_at=now,
            expires_at=now + timedelta(hours=runtime.settings.refresh_idle_hours),
        )
    )
    await session.flush()
    return secret


def _lifetime(runtime: Runtime) -> int:
    return int(runtime.tokens.access_lifetime.total_seconds())


async def password_grant(
    runtime: Runtime, username: str, password: str, client_address: str
) -> TokenGrant:
    """Sign a person in. Unknown user and wrong password take the same time and give the same answer;
    five failures in the window lock (username, address) out, even to the right password."""
    now = runtime.now()
    policy = throttle.ThrottlePolicy.from_settings(runtime.settings)
    key = throttle.throttle_key(runtime.secrets.throttle_key, "login", username, client_address)
    async with runtime.db.transaction() as session:
        retry_after = await throttle.reserve(session, key, now, policy)
        found = None
        if retry_after is None:
            found = (
                await session.execute(
                    select(User, Agency)
                    .join(Agency, Agency.id == User.agency_id)
                    .where(User.username == username.strip().lower())
                )
            ).first()
    if retry_after is not None:
        raise _too_many(retry_after)
    user, agency = found if found is not None else (None, None)
    matches = await runtime.passwords.verify(user.password_hash if user else None, password)
    if not (matches and user is not None and agency is not None and user.active and agency.active):
        # The attempt was counted before the hash ran; only the log row is left to write.
        async with runtime.db.transaction() as session:
            await record_security(
                session, "login_failed", subject_hash=key, client_address=client_address
            )
        raise _invalid_grant()
    async with runtime.db.transaction() as session:
        await throttle.clear(session, key)
        auth_session = AuthSession(
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(days=runtime.settings.refresh_max_days),
        )
        session.add(auth_session)
        await session.flush()
        refresh = await _new_refresh_token(session, runtime, auth_session.id, now)
        roles = await _user_roles(session, user.id)
        await record_security(
            session,
            "token_issued",
            user_id=user.id,
            session_id=auth_session.id,
            client_address=client_address,
        )
    access = _user_access_token(runtime, user, agency, roles, auth_session.id)
    return TokenGrant(access, _lifetime(runtime), refresh, "")


async def client_credentials_grant(
    runtime: Runtime,
    client_id: str,
    client_secret: str,
    requested_scope: str | None,
    client_address: str,
) -> TokenGrant:
    """Issue a machine client an access token for scopes it holds and its agency type allows."""
    now = runtime.now()
    try:
        parsed_id = uuid.UUID(client_id)
    except ValueError:
        parsed_id = None
    async with runtime.db.transaction(write=False) as session:
        found = None
        if parsed_id is not None:
            found = (
                await session.execute(
                    select(MachineClient, Agency)
                    .join(Agency, Agency.id == MachineClient.agency_id)
                    .where(MachineClient.id == parsed_id)
                )
            ).first()
    client, agency = found if found is not None else (None, None)
    secret_ok = client is not None and hmac.compare_digest(client.secret_hash, digest(client_secret))
    if not (secret_ok and client is not None and agency is not None and client.active and agency.active):
        async with runtime.db.transaction() as failure:
            await record_security(
                failure,
                "client_auth_failed",
                client_id=client.id if client is not None else None,
                client_address=client_address,
            )
        raise oauth_error(
            401,
            "invalid_client",
            "The client credentials are not valid.",
            **{"WWW-Authenticate": 'Basic realm="homecoming"'},
        )
    async with runtime.db.transaction() as session:
        held = set(client.scopes) & {p.value for p in machine_grantable(AgencyType(agency.type))}
        scopes = held if not requested_scope else set(requested_scope.split())
        if not scopes <= held:
            raise oauth_error(400, "invalid_scope", "A requested scope is not held by this client.")
        auth_session = AuthSession(
            client_id=client.id, created_at=now, expires_at=now + runtime.tokens.access_lifetime
        )
        session.add(auth_session)
        await session.flush()
        await record_security(
            session,
            "token_issued",
            client_id=client.id,
            session_id=auth_session.id,
            client_address=client_address,
        )
    access = runtime.tokens.issue_access(
        kind="client",
        subject_id=client.id,
        agency_id=agency.id,
        agency_type=AgencyType(agency.type),
        agency_state=agency.state,
        roles=[],
        scopes=sorted(scopes),
        session_id=auth_session.id,
        authz_version=client.authz_version,
        now=now,
    )
    return TokenGrant(access, _lifetime(runtime), None, " ".join(sorted(scopes)))


async def refresh_grant(runtime: Runtime, refresh_token: str, client_address: str) -> TokenGrant:
    """Rotate a refresh token. Presented again within the grace window (a retry whose answer was
    lost), while its successor is still unused, it gets a fresh pair and the unused successor is
    superseded: one live branch at a time. Any other reuse (later, after the successor was used,
    or of a superseded token) revokes the whole family."""
    now = runtime.now()
    async with runtime.db.transaction() as session:
        found = (
            await session.execute(
                select(RefreshToken, AuthSession)
                .join(AuthSession, AuthSession.id == RefreshToken.session_id)
                .where(RefreshToken.token_hash == digest(refresh_token))
            )
        ).first()
        failure: str | None = "refresh_failed"
        if found is not None:
            token, family = found
            failure = await _refresh_failure(session, runtime, token, family, now)
        if failure is not None:
            family_id = found[1].id if found is not None else None
            user_id = found[1].user_id if found is not None else None
            if failure == "refresh_reuse":
                await end_sessions(session, now, "refresh_reuse", AuthSession.id == family_id)
            await record_security(
                session, failure, user_id=user_id, session_id=family_id, client_address=client_address
            )
        else:
            found_user = (
                await session.execute(
                    select(User, Agency)
                    .join(Agency, Agency.id == User.agency_id)
                    .where(User.id == family.user_id)
                )
            ).first()
            if found_user is None or not (found_user[0].active and found_user[1].active):
                failure = "refresh_failed"
                await record_security(
                    session, failure, session_id=family.id, client_address=client_address
                )
            else:
                user, agency = found_user
                new_refresh = await _new_refresh_token(
                    session, runtime, family.id, now, parent_id=token.id
                )
                roles = await _user_roles(session, user.id)
                await record_security(
                    session,
                    "token_refreshed",
                    user_id=user.id,
                    session_id=family.id,
                    client_address=client_address,
                )
    # Raised after the transaction committed, so a revoked family and the log row stay.
    if failure is not None:
        raise _invalid_grant()
    access = _user_access_token(runtime, user, agency, roles, family.id)
    return TokenGrant(access, _lifetime(runtime), new_refresh, "")


async def _refresh_failure(
    session: AsyncSession,
    runtime: Runtime,
    token: RefreshToken,
    family: AuthSession,
    now: datetime,
) -> str | None:
    """Why ``token`` may not be rotated now (a security-log kind), or None after rotating it."""
    if family.revoked_at is not None or family.expires_at <= now or token.expires_at <= now:
        return "refresh_failed"
    if token.rotated_at is None:
        # Conditional update: of two concurrent refreshes exactly one rotates the token here.
        won = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token.id, RefreshToken.rotated_at.is_(None))
            .values(rotated_at=now, rotated_reason="used")
        )
        if cast(CursorResult[Any], won).rowcount == 1:
            return None
        await session.refresh(token)
    grace = timedelta(seconds=runtime.settings.refresh_reuse_grace_seconds)
    if token.rotated_reason != "used" or token.rotated_at is None or token.rotated_at + grace < now:
        return "refresh_reuse"
    successors = list(
        (await session.execute(select(RefreshToken).where(RefreshToken.parent_id == token.id))).scalars()
    )
    if any(s.rotated_reason == "used" for s in successors):
        return "refresh_reuse"
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.parent_id == token.id, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=now, rotated_reason="superseded")
    )
    return None


async def revoke(
    runtime: Runtime,
    session: AsyncSession,
    principal: Principal,
    token: str | None,
    client_address: str,
) -> None:
    """RFC 7009: revoke the session of ``token`` (a refresh or access token of the caller's own), or
    the caller's current session when no token is given. A foreign or unknown token is ignored, as
    the RFC says, so the answer reveals nothing about it."""
    # Asked before anything is revoked: revoking its own session must not make the caller stale.
    await require_current(session, principal, runtime.now())
    target: uuid.UUID | None = principal.session_id
    if token:
        target = None
        found = (
            await session.execute(
                select(AuthSession.id, AuthSession.user_id, AuthSession.client_id)
                .join(RefreshToken, RefreshToken.session_id == AuthSession.id)
                .where(RefreshToken.token_hash == digest(token))
            )
        ).first()
        if found is not None:
            if principal.id in (found.user_id, found.client_id):
                target = found.id
        else:
            try:
                other = runtime.tokens.decode_access(token)
            except InvalidToken:
                other = None
            if other is not None and other.id == principal.id:
                target = other.session_id
    if target is None:
        return
    await end_sessions(session, runtime.now(), "revoked", AuthSession.id == target)
    await record_security(
        session,
        "token_revoked",
        user_id=principal.user_id,
        client_id=principal.client_id,
        session_id=target,
        client_address=client_address,
    )


async def redeem_code(runtime: Runtime, code: str, password: str, client_address: str) -> User:
    """Set a password with a one-time activation or reset code. Attempts are counted per client
    address before the code is looked up (a right code takes its count back); a reset also ends
    every session of the user. Of two concurrent redemptions of one code, one wins."""
    now = runtime.now()
    policy = throttle.ThrottlePolicy.from_settings(runtime.settings)
    key = throttle.throttle_key(runtime.secrets.throttle_key, "code", "", client_address)
    code_hash = digest(code)
    user: User | None = None
    async with runtime.db.transaction() as session:
        retry_after = await throttle.reserve(session, key, now, policy)
        if retry_after is None:
            user = (
                await session.execute(
                    select(User).where(
                        User.code_hash == code_hash,
                        User.code_expires_at > now,
                        User.active.is_(True),
                    )
                )
            ).scalar_one_or_none()
            if user is not None:
                await throttle.clear(session, key)
            else:
                await record_security(session, "code_failed", client_address=client_address)
    if retry_after is not None:
        raise _too_many(retry_after)
    if user is None:
        raise Problem(400, "The code is not valid or has expired.")
    problem = password_problem(password, user.username)
    if problem is not None:
        raise Problem(
            422,
            "The new password is not acceptable.",
            errors=[{"loc": ["body", "password"], "type": "password_policy", "msg": problem}],
        )
    password_hash = await runtime.passwords.hash(password)
    purpose = user.code_purpose or "activation"
    async with runtime.db.transaction() as session:
        used = await session.execute(
            update(User)
            .where(User.id == user.id, User.code_hash == code_hash)
            .values(
                password_hash=password_hash,
                code_hash=None,
                code_purpose=None,
                code_expires_at=None,
                updated_at=now,
            )
        )
        if cast(CursorResult[Any], used).rowcount != 1:
            raise Problem(400, "The code is not valid or has expired.")
        await end_sessions(session, now, "password_set", AuthSession.user_id == user.id)
        await record_event(
            session,
            Actor(kind="user", id=user.id, agency_id=user.agency_id),
            "user.activated" if purpose == "activation" else "user.password_reset",
            [ObjectRef("user", user.id)],
        )
    return user
