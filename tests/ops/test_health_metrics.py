from __future__ import annotations

import gc
import re
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth.permissions import AgencyType, Role
from app.config import Settings
from app.main import GC_YOUNG_THRESHOLD, create_app
from tests.conftest import make_settings
from tests.harness import Harness


def test_health(h: Harness) -> None:
    assert h.client.get("/health/live").json() == {"status": "ok"}
    ready = h.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "up"


def test_metrics_need_the_scope_and_label_routes_by_template(h: Harness) -> None:
    _, caseworker = h.person(AgencyType.NGO, Role.CASEWORKER)
    agency = h.agency(AgencyType.CWC)
    h.client.get(f"/v1/agencies/{agency.id}", headers=caseworker)
    assert h.client.get("/metrics", headers=caseworker).status_code == 403
    _, sysadmin = h.person(AgencyType.PLATFORM, Role.SYSTEM_ADMIN)
    response = h.client.get("/metrics", headers=sysadmin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'route="/v1/agencies/{agency_id}"' in text
    assert "homecoming_http_request_seconds_bucket" in text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text), "raw ids must not become labels"


def test_a_platform_machine_client_can_scrape_metrics(h: Harness) -> None:
    client, secret = h.machine_client(h.agency(AgencyType.PLATFORM), ["metrics:read"])
    token = h.client_token(client, secret)
    response = h.client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_the_app_starts_while_postgresql_is_unreachable(tmp_path: Path) -> None:
    """The driver's pool opens connections on first use, like the engines': the app starts, says
    it is alive, and reports the database down until it is reachable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"postgresql+asyncpg://nobody:nothing@127.0.0.1:{port}/none",
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["database"] == "down"


def test_fastapis_opentelemetry_hooks_stay_off_when_a_provider_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's observability is its own (Prometheus, structured logs): FastAPI's hooks would
    send spans and exception messages (which can carry request values) to whatever provider the
    process has, so they are off even when one is configured."""
    from opentelemetry import _logs, metrics, trace

    configured = object()  # any provider but the API's deferred placeholders counts as configured
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: configured)
    monkeypatch.setattr(metrics, "get_meter_provider", lambda: configured)
    monkeypatch.setattr(_logs, "get_logger_provider", lambda: configured)
    app = create_app(make_settings(tmp_path))
    assert app._native_telemetry.enabled() is False


def test_the_collector_scans_the_young_generation_less_often_once_started(tmp_path: Path) -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, *before[1:])
        with TestClient(create_app(make_settings(tmp_path))) as client:
            assert client.get("/health/live").status_code == 200
            assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.set_threshold(*before)
