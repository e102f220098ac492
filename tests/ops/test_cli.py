"""The ``homecoming`` command on a fresh embedded database."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.vault.crypto import new_key_spec


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("HOMECOMING_DATABASE_URL", "HOMECOMING_MIGRATION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOMECOMING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOMECOMING_ARGON2_MEMORY_KIB", "19456")
    monkeypatch.setenv("HOMECOMING_ARGON2_TIME_COST", "2")
    monkeypatch.setenv("HOMECOMING_ARGON2_PARALLELISM", "1")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.output


def test_bootstrap_a_platform_with_the_cli(data_dir: Path) -> None:
    assert _invoke("db", "upgrade")[0] == 0
    code, out = _invoke("agencies", "create", "--name", "Operator", "--type", "platform")
    assert code == 0, out
    agency = json.loads(out)
    assert agency["type"] == "platform"
    assert agency["state"] is None
    code, out = _invoke(
        "users",
        "create",
        "--agency",
        agency["id"],
        "--username",
        "root.admin",
        "--role",
        "system_admin",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert code == 0, out
    assert json.loads(out)["roles"] == ["system_admin"]
    code, out = _invoke("clients", "create", "--agency", agency["id"], "--scopes", "metrics:read")
    assert code == 0, out
    client = json.loads(out)
    assert client["scopes"] == ["metrics:read"]
    assert len(client["client_secret"]) >= 32


def test_cli_errors_are_clean(data_dir: Path) -> None:
    assert _invoke("db", "upgrade")[0] == 0
    code, out = _invoke("agencies", "create", "--name", "X", "--type", "spaceship")
    assert code == 2
    assert "unknown agency type" in out
    code, out = _invoke("agencies", "create", "--name", "CWC", "--type", "cwc", "--state", "IN-ZZ")
    assert code == 2
    code, out = _invoke(
        "users",
        "create",
        "--agency",
        "00000000-0000-0000-0000-000000000000",
        "--username",
        "x.y",
        "--role",
        "caseworker",
        "--password-stdin",
        stdin="whatever long pw\n",
    )
    assert code == 2
    assert "no such agency" in out
    assert "Traceback" not in out


def test_demo_seeds_once_and_keeps_credentials_private(data_dir: Path) -> None:
    assert _invoke("db", "upgrade")[0] == 0
    code, first = _invoke("demo")
    assert code == 0, first
    assert "Seeded the demo data set" in first
    code, second = _invoke("demo")
    assert code == 0
    assert "Seeded" not in second
    assert "sysadmin" in second
    credentials = data_dir / "demo-credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    stored = json.loads(credentials.read_text())
    for role_user in ("mh.ngo.caseworker", "wb.cwc.member", "jh.magistrate", "auditor", "sysadmin"):
        assert role_user in stored["users"]
        assert stored["users"][role_user] in second


def test_demo_is_refused_in_production(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _invoke("db", "upgrade")[0] == 0
    monkeypatch.setenv("HOMECOMING_ENV", "production")
    for name in ("TOKEN_SIGNING_KEY", "EVENT_HASH_KEY", "THROTTLE_KEY", "LOG_SIGNING_KEY"):
        monkeypatch.setenv(f"HOMECOMING_{name}", "p" * 40 + name)
    monkeypatch.setenv("HOMECOMING_VAULT_KEYS", new_key_spec("k1"))
    monkeypatch.setenv("HOMECOMING_BLIND_INDEX_KEYS", new_key_spec("b1"))
    get_settings.cache_clear()
    code, out = _invoke("demo")
    assert code == 2
    assert "refused in production" in out
