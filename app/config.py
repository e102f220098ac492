"""Settings, read from the environment with the prefix ``HOMECOMING_``.

The embedded SQLite default lives here, so that a newcomer runs the service with one command. Secrets
(token signing key, event-hash key, throttle key) come from the environment; in development a missing
secret is generated once into ``<data_dir>/secrets.json`` (mode 0600), in production it stops start-up.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.vault.crypto import new_key_spec, parse_keyring

SECRET_NAMES = ("token_signing_key", "event_hash_key", "throttle_key", "log_signing_key")
# Keyrings: "<id>:<base64 of 32 bytes>,..." for the identity vault and for blind indexes.
KEYRING_NAMES = ("vault_keys", "blind_index_keys")
# Values that look like secrets but are placeholders copied from documentation.
_PLACEHOLDERS = {"", "change-me", "changeme", "secret", "development", "insecure"}
MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely; the message says which setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOMECOMING_", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    migration_database_url: str | None = None
    api_db_role: str = "homecoming_api"

    token_signing_key: SecretStr | None = None
    event_hash_key: SecretStr | None = None
    throttle_key: SecretStr | None = None
    # The Ed25519 key that signs the log's checkpoints is derived from this (app.ledger.signing).
    log_signing_key: SecretStr | None = None
    # The last key listed encrypts new values unless *_ACTIVE_KEY names another; all decrypt.
    vault_keys: SecretStr | None = None
    vault_active_key: str | None = None
    blind_index_keys: SecretStr | None = None
    blind_index_active_key: str | None = None
    token_issuer: str = "homecoming"
    token_audience: str = "homecoming-api"

    access_token_minutes: int = 10
    refresh_idle_hours: int = 12
    refresh_max_days: int = 7
    refresh_reuse_grace_seconds: int = 30
    activation_code_hours: int = 72
    reset_code_hours: int = 24

    # argon2id; the defaults are argon2-cffi's RFC 9106 low-memory profile, above OWASP's minimum
    # (m=19 MiB, t=2, p=1), which the tests use to stay fast.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # At most this many hashes at once per process (each holds argon2_memory_kib).
    argon2_max_concurrent: int = 4

    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_lockout_minutes: int = 15
    # Identity searches per user per minute.
    search_per_minute: int = 30
    # Transfer deadlines no statute fixes (DOMAIN.md section 7): days for the receiving CWC to
    # answer a consultation, and for the receiving side to accept after the hand-over.
    transfer_consultation_days: int = Field(default=7, ge=1, le=90)
    transfer_acceptance_days: int = Field(default=2, ge=1, le=30)
    # DOMAIN.md section 7: follow-up visits after a restoration, every N months (8 times).
    follow_up_every_months: int = Field(default=3, ge=1, le=12)

    # The tamper-evident log (app/ledger): the name its checkpoints carry, how often the API
    # process sequences new events (0: never; run `homecoming sequencer` instead), and the
    # longest a checkpoint waits once the log has grown.
    log_origin: str = Field(default="homecoming.local/log", min_length=1, max_length=200)
    sequencer_interval_seconds: float = Field(default=1.0, ge=0)
    checkpoint_interval_seconds: float = Field(default=10.0, gt=0)

    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or networks).
    trusted_proxies: str = ""

    max_body_bytes: int = 1024 * 1024
    # Case documents (app/documents): the largest file accepted (the upload route alone takes a
    # body this large, plus its multipart framing), and where the encrypted files are kept
    # (default <data_dir>/documents).
    document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=100 * 1024 * 1024)
    document_dir: Path | None = None
    log_level: str = "INFO"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "homecoming.db"

    @property
    def effective_document_dir(self) -> Path:
        return self.document_dir or self.data_dir / "documents"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.sqlite_path}"

    @property
    def effective_migration_database_url(self) -> str:
        return self.migration_database_url or self.effective_database_url


@dataclass(frozen=True)
class Secrets:
    token_signing_key: bytes
    event_hash_key: bytes
    throttle_key: bytes
    log_signing_key: bytes
    vault_keys: dict[str, bytes]
    vault_active_key: str
    blind_index_keys: dict[str, bytes]
    blind_index_active_key: str


def _secrets_file(settings: Settings) -> Path:
    return settings.data_dir / "secrets.json"


def _load_or_create_local_secrets(settings: Settings) -> dict[str, str]:
    """Development only: generate each secret once and keep it in a file only its owner can read."""
    path = _secrets_file(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [name for name in (*SECRET_NAMES, *KEYRING_NAMES) if name not in stored]
    if missing:
        for name in missing:
            stored[name] = new_key_spec("k1") if name in KEYRING_NAMES else secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
    os.chmod(path, 0o600)
    return stored


def resolve_secrets(settings: Settings) -> Secrets:
    """Every secret from the environment, else (development only) from the local secrets file."""
    values: dict[str, str] = {}
    local: dict[str, str] | None = None
    for name in SECRET_NAMES:
        configured: SecretStr | None = getattr(settings, name)
        if configured is not None:
            value = configured.get_secret_value()
            if value.strip().lower() in _PLACEHOLDERS or len(value) < MIN_SECRET_LENGTH:
                raise ConfigurationError(
                    f"HOMECOMING_{name.upper()} must be a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters"
                )
            values[name] = value
            continue
        if settings.is_production:
            raise ConfigurationError(f"HOMECOMING_{name.upper()} is required in production")
        if local is None:
            local = _load_or_create_local_secrets(settings)
        values[name] = local[name]
    rings: dict[str, tuple[dict[str, bytes], str]] = {}
    for name in KEYRING_NAMES:
        configured = getattr(settings, name)
        if configured is not None:
            spec = configured.get_secret_value()
        elif settings.is_production:
            raise ConfigurationError(f"HOMECOMING_{name.upper()} is required in production")
        else:
            if local is None:
                local = _load_or_create_local_secrets(settings)
            spec = local[name]
        try:
            keys = parse_keyring(spec)
        except ValueError as exc:
            raise ConfigurationError(f"HOMECOMING_{name.upper()}: {exc}") from exc
        active_setting = name.removesuffix("_keys") + "_active_key"
        active = getattr(settings, active_setting) or list(keys)[-1]
        if active not in keys:
            raise ConfigurationError(f"HOMECOMING_{active_setting.upper()} names no listed key")
        rings[name] = (keys, active)
    return Secrets(
        **{name: value.encode() for name, value in values.items()},
        vault_keys=rings["vault_keys"][0],
        vault_active_key=rings["vault_keys"][1],
        blind_index_keys=rings["blind_index_keys"][0],
        blind_index_active_key=rings["blind_index_keys"][1],
    )


def check_production_settings(settings: Settings) -> None:
    """Refuse to start a production deployment on the development defaults."""
    if not settings.is_production:
        return
    if settings.database_url is None:
        raise ConfigurationError("HOMECOMING_DATABASE_URL is required in production")
    resolve_secrets(settings)


@lru_cache
def get_settings() -> Settings:
    return Settings()
