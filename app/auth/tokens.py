"""Short-lived signed access tokens (JWT, HS256) and opaque one-time secrets.

An access token carries what every request needs (principal, agency, roles, session, authorisation
version), so no user lookup is needed to authorise; revocation is still immediate because the session
and version are checked in SQL on each request (``app.auth.current``).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt

from app.auth.permissions import (
    AgencyType,
    Role,
    machine_permissions,
    permissions_of_roles,
)
from app.auth.principal import Principal
from app.config import Settings

ALGORITHM = "HS256"
CLOCK_SKEW_SECONDS = 60
VERIFIED_CACHE_SIZE = 4096


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or not for this service."""


def new_secret(nbytes: int = 32) -> str:
    """A high-entropy one-time secret (refresh token, activation code, client secret)."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret: enough to store it, since it cannot be guessed."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenService:
    def __init__(self, settings: Settings, signing_key: bytes, clock: Callable[[], datetime]) -> None:
        self._key = signing_key
        self._clock = clock
        # Verified tokens, so a client's next requests skip the signature and claim parsing; the
        # expiry is still checked on every use, and revocation is checked in SQL regardless.
        self._verified: OrderedDict[str, tuple[Principal, int, int]] = OrderedDict()
        self._issuer = settings.token_issuer
        self._audience = settings.token_audience
        self.access_lifetime = timedelta(minutes=settings.access_token_minutes)

    def issue_access(
        self,
        *,
        kind: Literal["user", "client"],
        subject_id: uuid.UUID,
        agency_id: uuid.UUID,
        agency_type: AgencyType,
        agency_state: str | None,
        roles: list[str],
        scopes: list[str],
        session_id: uuid.UUID,
        authz_version: int,
        now: datetime,
    ) -> str:
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": f"{kind}:{subject_id}",
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
            "agy": str(agency_id),
            "aty": agency_type.value,
            "ast": agency_state,
            "rol": sorted(roles),
            "scp": sorted(scopes),
            "sid": str(session_id),
            "ver": authz_version,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def decode_access(self, token: str) -> Principal:
        now = self._clock().timestamp()
        cached = self._verified.get(token)
        if cached is not None:
            principal, issued_at, expires_at = cached
            if expires_at <= now or issued_at > now + CLOCK_SKEW_SECONDS:
                raise InvalidToken("expired")
            self._verified.move_to_end(token)
            return principal
        principal, issued_at, expires_at = self._verify(token, now)
        self._verified[token] = (principal, issued_at, expires_at)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str, now: float) -> tuple[Principal, int, int]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # Times are checked below against the runtime's clock, which tests can move.
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub", "sid", "ver"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
            if not isinstance(claims["exp"], int) or claims["exp"] <= now:
                raise InvalidToken("expired")
            if not isinstance(claims["iat"], int) or claims["iat"] > now + CLOCK_SKEW_SECONDS:
                raise InvalidToken("issued in the future")
            kind, _, raw_id = str(claims["sub"]).partition(":")
            if kind not in ("user", "client"):
                raise InvalidToken("unknown subject kind")
            agency_type = AgencyType(claims["aty"])
            state = claims.get("ast")
            if kind == "user":
                roles = frozenset(Role(r) for r in claims["rol"])
                permissions = permissions_of_roles(roles)
            else:
                roles = frozenset()
                permissions = machine_permissions(agency_type, claims["scp"])
            version = claims["ver"]
            if not isinstance(version, int) or (state is not None and not isinstance(state, str)):
                raise InvalidToken("malformed claims")
            principal = Principal(
                kind="user" if kind == "user" else "client",
                id=uuid.UUID(raw_id),
                agency_id=uuid.UUID(str(claims["agy"])),
                agency_type=agency_type,
                agency_state=state,
                roles=roles,
                permissions=permissions,
                session_id=uuid.UUID(str(claims["sid"])),
                authz_version=version,
            )
            return principal, claims["iat"], claims["exp"]
        except InvalidToken:
            raise
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise InvalidToken(type(exc).__name__) from exc
