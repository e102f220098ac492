"""The application's routes, for tests that must cover every one of them."""

from __future__ import annotations

from fastapi.routing import APIRoute

from app.auth.guard import Require, find_requirement
from app.main import create_app
from app.openapi_export import openapi_document

# Routes anyone may call: sign-in, code redemption, health, and the interactive docs.
PUBLIC = {
    ("POST", "/v1/auth/token"),
    ("POST", "/v1/auth/activate"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
}
DOCS_PATHS = {"/docs", "/docs/oauth2-redirect", "/openapi.json"}


def api_routes() -> list[tuple[str, str, Require | None]]:
    """(method, path, requirement) for every API route of a freshly built app."""
    app = _app()
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                found.append((method, route.path, find_requirement(route.dependant)))
    return found


_cached = None


def _app():  # type: ignore[no-untyped-def]
    global _cached
    if _cached is None:
        import tempfile
        from pathlib import Path

        from app.config import Settings

        _cached = create_app(
            Settings(env="development", data_dir=Path(tempfile.mkdtemp()), log_level="WARNING")
        )
    return _cached


__all__ = ["DOCS_PATHS", "PUBLIC", "api_routes", "openapi_document"]
