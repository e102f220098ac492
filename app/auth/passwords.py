"""argon2id password hashing. Verification runs in a worker thread so the event loop keeps serving."""

from __future__ import annotations

from anyio import CapacityLimiter, to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import Settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        # Verified against when the username is unknown, so both paths cost one hash.
        self._decoy = self._hasher.hash("decoy password that matches nothing")
        self._max_concurrent = settings.argon2_max_concurrent
        self._limiter: CapacityLimiter | None = None

    def _threads(self) -> CapacityLimiter:
        # Each hash holds argon2's memory cost; a burst of sign-ins must not hold it many times over.
        if self._limiter is None:
            self._limiter = CapacityLimiter(self._max_concurrent)
        return self._limiter

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(self._hasher.hash, password, limiter=self._threads())

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True if ``password`` matches; with no stored hash, hashes against a decoy and says False."""
        target = stored_hash if stored_hash is not None else self._decoy
        try:
            ok = await to_thread.run_sync(self._hasher.verify, target, password, limiter=self._threads())
        except (VerificationError, InvalidHashError):
            return False
        return bool(ok) and stored_hash is not None


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is refused (NIST SP 800-63B: length, not composition), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    if username and password.strip().lower() == username.lower():
        return "must not be the username"
    if len(set(password)) < 4:
        return "must not repeat a few characters"
    return None
