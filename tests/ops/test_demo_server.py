"""The README's first command, end to end: migrate, seed the demo data, serve; the demo
credentials sign in and GET /v1/me answers. Runs the real console script on a free local port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app import demo
from tests.harness import Harness

BIN = Path(sys.executable).parent


def test_every_demo_user_signs_in(h: Harness) -> None:
    assert h.run(demo.seed, h.runtime) is True
    assert h.run(demo.seed, h.runtime) is False
    stored = json.loads(demo.credentials_path(h.runtime).read_text())
    roles_seen: set[str] = set()
    for username, password in stored["users"].items():
        token = h.client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
        )
        assert token.status_code == 200, username
        me = h.client.get("/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert me.status_code == 200
        roles_seen |= set(me.json()["roles"])
    from app.auth.permissions import Role

    assert roles_seen == {r.value for r in Role}, "the demo has one user per role"
    states = {row[0] for row in h.sql("SELECT DISTINCT state FROM agencies WHERE state IS NOT NULL")}
    assert {"IN-MH", "IN-WB", "IN-JH"} <= states


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_console_script_serves_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOMECOMING_", "TEST_"))} | {
        "HOMECOMING_DATA_DIR": str(tmp_path),
        "HOMECOMING_ARGON2_MEMORY_KIB": "19456",
        "HOMECOMING_ARGON2_TIME_COST": "2",
        "HOMECOMING_ARGON2_PARALLELISM": "1",
    }
    homecoming = str(BIN / "homecoming")
    subprocess.run([homecoming, "db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([homecoming, "demo"], env=env, check=True, capture_output=True, text=True)
    assert "sysadmin" in seeded.stdout
    port = _free_port()
    server = subprocess.Popen(
        [homecoming, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        password = json.loads((tmp_path / "demo-credentials.json").read_text())["users"][
            "mh.ngo.caseworker"
        ]
        token = httpx.post(
            f"{base}/v1/auth/token",
            data={"grant_type": "password", "username": "mh.ngo.caseworker", "password": password},
        ).json()["access_token"]
        me = httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["agency"]["state"] == "IN-MH"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    # Logs are JSON lines and never carry the password.
    lines = [line for line in stderr.decode().splitlines() if line.startswith("{")]
    assert lines
    assert all(password not in line for line in lines)
    assert any(json.loads(line).get("route") == "/v1/me" for line in lines)
