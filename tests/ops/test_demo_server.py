"""The README's first command, end to end: migrate, seed the demo data, serve; the demo
credentials sign in and GET /v1/me answers. Runs the real console script on a free local port."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from app import demo
from app.auth.permissions import Role
from tests.harness import Harness
from tests.ops.live import live_server


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
    assert roles_seen == {r.value for r in Role}, "the demo has one user per role"
    states = {row[0] for row in h.sql("SELECT DISTINCT state FROM agencies WHERE state IS NOT NULL")}
    assert {"IN-MH", "IN-WB", "IN-JH"} <= states


def test_the_console_script_serves_the_demo(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        password = server.password("mh.ngo.caseworker")
        token = server.token("mh.ngo.caseworker")
        me = httpx.get(f"{server.base}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["agency"]["state"] == "IN-MH"
        # A rescue whose victim's identity must appear in no log line.
        supervisor = {"Authorization": f"Bearer {server.token('mh.ngo.supervisor')}"}
        ngo = json.loads((tmp_path / "demo-credentials.json").read_text())["agencies"]["mh_ngo"]
        rescue = httpx.post(
            f"{server.base}/v1/rescue-events",
            headers=supervisor,
            json={
                "occurred_at": "2026-11-20T22:30:00+05:30",
                "state": "IN-MH",
                "rescue_type": "raid",
                "lead_agency_id": ngo,
                "victims": [
                    {
                        "track": "child",
                        "exploitation_types": ["labour"],
                        "identity": {"names": ["Kavita Zeliang"], "phones": ["9812312345"]},
                    }
                ],
            },
        )
        assert rescue.status_code == 201
        case_id = rescue.json()["cases"][0]["id"]
        read = httpx.get(
            f"{server.base}/v1/cases/{case_id}/identity?purpose=production&fields=names",
            headers=supervisor,
        )
        assert read.json()["fields"]["names"] == ["Kavita Zeliang"]
        httpx.post(
            f"{server.base}/v1/cases/search",
            headers=supervisor,
            json={"purpose": "production", "name": "Kavita Zeliang"},
        )
    # Logs are JSON lines and never carry the password.
    lines = [line for line in server.log_lines() if line.startswith("{")]
    assert lines
    assert all(password not in line for line in lines)
    assert all("Kavita" not in line and "Zeliang" not in line and "98123" not in line for line in lines)
    assert any(json.loads(line).get("route") == "/v1/me" for line in lines)
