"""The route index (``app.route_index``) chooses the route FastAPI's own loop would, for every route
of the app, a wrong method, a trailing slash and a path no route has; and finds a route added
after it was built."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match

from app.route_index import RouteIndex, path_key, route_key
from tests.harness import Harness
from tests.routes import _app

SAMPLE = "0b6f8a1e-4f9e-4a3b-9c1d-1234567890ab"


def _first(routes: list[BaseRoute], scope: dict[str, Any], wanted: Match) -> BaseRoute | None:
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match == wanted:
            return route
        if match == Match.FULL:  # a full match ends the router's search for a partial one
            return None
    return None


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE, path)


def test_keys_are_the_two_whole_leading_segments() -> None:
    assert route_key("/v1/referrals/{referral_id}/accept") == ("v1", "referrals")
    assert route_key("/v1/cases") == ("v1", "cases")
    assert route_key("/v1/{anything}") is None
    assert route_key("/v1/ca{se}") is None  # "ca..." is not a whole segment
    assert route_key("/metrics") is None
    assert path_key("/v1/cases/") == ("v1", "cases")
    assert path_key("/v1") is None


def test_every_route_and_method_is_found_as_by_the_full_loop() -> None:
    app = _app()
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    index._build()
    checked = 0
    for route in app.router.routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            continue
        concrete = _concrete(path)
        key = path_key(concrete)
        group = app.router.routes if key is None else index._groups.get(key, index._ungrouped).routes
        for method in [*sorted(getattr(route, "methods", None) or {"GET"}), "PATCH", "TRACE"]:
            scope = _scope(method, concrete)
            for wanted in (Match.FULL, Match.PARTIAL):
                assert _first(group, scope, wanted) is _first(app.router.routes, scope, wanted), (
                    method,
                    path,
                    wanted,
                )
            checked += 1
    assert checked > 3 * 90


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/v1/referrals/{SAMPLE}/accept"),  # 401: found, no token
        ("DELETE", f"/v1/referrals/{SAMPLE}/accept"),  # 405 with Allow
        ("GET", "/v1/cases/"),  # a redirect to /v1/cases
        ("GET", "/v1/nothing/here"),  # 404
        ("GET", "/v1"),  # fewer than two segments: the full loop
        ("GET", "/health/live"),
    ],
)
def test_answers_are_those_of_the_full_loop(h: Harness, method: str, path: str) -> None:
    app: Any = h.client.app
    client = TestClient(app, raise_server_exceptions=False)

    def answer() -> tuple[int, str | None, str | None]:
        got = client.request(method, path, follow_redirects=False)
        return got.status_code, got.headers.get("allow"), got.headers.get("location")

    indexed = answer()
    full_loop = app.router.middleware_stack
    assert isinstance(full_loop, RouteIndex)
    app.router.middleware_stack = app.router.app
    try:
        assert answer() == indexed
    finally:
        app.router.middleware_stack = full_loop
    assert indexed[0] in {200, 307, 401, 404, 405}


def test_a_route_added_later_is_found(h: Harness) -> None:
    app: Any = h.client.app
    assert h.client.get("/v1/late-route/ping").status_code == 404

    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.router.add_api_route("/v1/late-route/ping", ping)
    try:
        assert h.client.get("/v1/late-route/ping").json() == {"pong": "yes"}
    finally:
        app.router.routes.pop()


def _answers_route(path: str) -> Any:
    async def endpoint() -> dict[str, str]:
        return {"route": path}

    return endpoint


@pytest.mark.parametrize("root_path", ["", "/api"])
def test_loose_and_catch_all_routes_answer_as_by_the_full_loop(root_path: str) -> None:
    """Routes that fix fewer than two segments (``/v1/{kind}/x``, a catch-all) belong to every
    group, in their place: checked against the full loop over odd paths and every method."""
    from fastapi import FastAPI

    from app.route_index import install

    app = FastAPI()
    routes = [
        ("/v1/{kind}/x", ["GET"]),
        ("/a/", ["GET"]),
        ("/a", ["POST"]),
        ("/v1/cases/{case_id}", ["GET", "DELETE"]),
        ("/v1/cases", ["GET"]),
        ("/b/c/{rest:path}", ["GET"]),
        ("/{anything:path}", ["PUT"]),
    ]
    for path, methods in routes:
        app.router.add_api_route(path, _answers_route(path), methods=methods)
    install(app.router)
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    client = TestClient(app, root_path=root_path)
    paths = ["/v1/cases/x", "/v1/cases/7", "/v1/cases", "/v1/cases/", "/v1/other/x", "/v1//x",
             "//", "/a", "/a/", "/b/c/d/e", "/b/c/", "/zz/yy", "/v1", "/", "/v1/cases/7/y",
             "/v1/ca%20ses/7"]  # fmt: skip

    def answers() -> list[tuple[Any, ...]]:
        found = []
        for path in paths:
            for method in ("GET", "POST", "PUT", "DELETE", "HEAD"):
                got = client.request(method, root_path + path, follow_redirects=False)
                found.append((method, path, got.status_code, got.headers.get("allow"),
                              got.headers.get("location"), got.content))  # fmt: skip
        return found

    indexed = answers()
    app.router.middleware_stack = app.router.app
    assert answers() == indexed
    # The loose route before the grouped one wins, and the catch-all takes what nothing else
    # did, through the index too.
    assert ("GET", "/v1/cases/x", 200, None, None, b'{"route":"/v1/{kind}/x"}') in indexed
    assert ("PUT", "/zz/yy", 200, None, None, b'{"route":"/{anything:path}"}') in indexed
