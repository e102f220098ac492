from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import ConfigurationError, Settings, resolve_secrets
from app.main import create_app
from app.vault.crypto import new_key_spec

STRONG = {
    "token_signing_key": secrets.token_urlsafe(48),
    "event_hash_key": secrets.token_urlsafe(48),
    "throttle_key": secrets.token_urlsafe(48),
    "log_signing_key": secrets.token_urlsafe(48),
    "vault_keys": new_key_spec("k1"),
    "blind_index_keys": new_key_spec("b1"),
}


def test_development_generates_secrets_once_into_a_private_file(tmp_path: Path) -> None:
    settings = Settings(env="development", data_dir=tmp_path)
    first = resolve_secrets(settings)
    second = resolve_secrets(settings)
    assert first == second
    assert len(first.token_signing_key) >= 32
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_production_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    settings = Settings(
        env="production", data_dir=tmp_path, database_url="postgresql+asyncpg://a:b@127.0.0.1/x"
    )
    with pytest.raises(ConfigurationError, match="TOKEN_SIGNING_KEY"):
        create_app(settings)
    assert not (tmp_path / "secrets.json").exists()


@pytest.mark.parametrize("weak", ["change-me", "short", "secret"])
def test_production_refuses_default_or_weak_secrets(tmp_path: Path, weak: str) -> None:
    settings = Settings(
        env="production",
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://a:b@127.0.0.1/x",
        **{**STRONG, "token_signing_key": weak},
    )
    with pytest.raises(ConfigurationError):
        create_app(settings)


def test_production_needs_an_explicit_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        create_app(Settings(env="production", data_dir=tmp_path, **STRONG))


def test_production_turns_the_interactive_docs_off(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        **STRONG,
    )
    client = TestClient(create_app(settings))
    for path in ("/docs", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_the_embedded_default_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'homecoming.db'}"
    assert settings.effective_migration_database_url == settings.effective_database_url


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMECOMING_DATABASE_URL", "postgresql+asyncpg://api@127.0.0.1/h")
    monkeypatch.setenv("HOMECOMING_API_DB_ROLE", "homecoming_reader")
    settings = Settings()
    assert settings.effective_database_url == "postgresql+asyncpg://api@127.0.0.1/h"
    assert settings.api_db_role == "homecoming_reader"
