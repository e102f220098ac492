"""Find a request's route among the routes that can match its path, not all of them in turn.

FastAPI's router tries every route in order until one matches: about 1.8 µs a route here, so a
route near the end of the app's hundred cost over a tenth of a millisecond to find, on every
request (bench/README.md, "S3 at a million cases"). A route's path begins with literal text up
to its first parameter; a route whose literal text holds its first two segments whole (``/v1/
referrals/{referral_id}/accept``: ``v1``, ``referrals``) can match only paths that begin with
those two segments. So the routes are grouped by those two segments, once, and each request is
handed to a router over its group: that group's routes and the few routes not grouped (fewer
whole segments), in the app's order. For the request's path these are all the routes that could
match it, fully or by path alone (a 405), in the same order, so the same route is chosen and the
same answer given as by the full router, which still serves every path of fewer than two
segments and every scope that is not HTTP.
"""

from __future__ import annotations

from fastapi.routing import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

Key = tuple[str, str]


def route_key(path: str) -> Key | None:
    """The first two segments a route's path fixes, or None if its literal text holds fewer."""
    literal, parameter, _ = path.partition("{")
    segments = literal.split("/")[1:]
    if parameter:
        segments = segments[:-1]  # the segment the parameter begins is not whole
    return (segments[0], segments[1]) if len(segments) >= 2 else None


def _key_of(route: BaseRoute) -> Key | None:
    path = getattr(route, "path", None)
    return route_key(path) if isinstance(path, str) else None


def path_key(path: str) -> Key | None:
    """The first two segments of a request's path (None for fewer)."""
    segments = path.split("/", 3)
    return (segments[1], segments[2]) if len(segments) >= 3 else None


class RouteIndex:
    """The innermost app of ``router``'s middleware stack, in place of its own route loop."""

    def __init__(self, router: APIRouter) -> None:
        self._router = router
        self._full: ASGIApp = router.app
        self._built_for: tuple[object, ...] | None = None
        self._groups: dict[Key, APIRouter] = {}
        self._ungrouped: APIRouter = router

    def _build(self) -> None:
        routes = self._router.routes
        keys = [_key_of(route) for route in routes]
        loose = {i for i, key in enumerate(keys) if key is None}
        self._groups = {
            key: self._subrouter([r for i, r in enumerate(routes) if keys[i] == key or i in loose])
            for key in {k for k in keys if k is not None}
        }
        self._ungrouped = self._subrouter([routes[i] for i in sorted(loose)])
        self._built_for = self._state()

    def _state(self) -> tuple[object, ...]:
        """What the index was built from: the route list (the object, its length, FastAPI's
        count of changes to it) and the settings the sub-routers copy."""
        router = self._router
        routes = router.routes
        return (
            id(routes), len(routes), router._routes_version,
            router.redirect_slashes, router.default, id(router.form_limits),
        )  # fmt: skip

    def _subrouter(self, routes: list[BaseRoute]) -> APIRouter:
        return APIRouter(
            routes=routes,
            redirect_slashes=self._router.redirect_slashes,
            default=self._router.default,
            form_limits=self._router.form_limits,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Low-priority routes (FastAPI's frontend routes) are matched after all others: the
        # router's own loop does that.
        if scope["type"] != "http" or self._router._low_priority_routes:
            await self._full(scope, receive, send)
            return
        # Routes added after the index was built (or the list replaced, or a setting changed):
        # build it again.
        if self._state() != self._built_for:
            self._build()
        key = path_key(get_route_path(scope))
        if key is None:
            await self._full(scope, receive, send)
            return
        # ``request.url_for`` and the like see the app's router, as without the index.
        scope.setdefault("router", self._router)
        await self._groups.get(key, self._ungrouped).app(scope, receive, send)


def install(router: APIRouter) -> None:
    """Route ``router``'s requests through an index (once every route is added; routes added
    later rebuild it)."""
    if router.middleware_stack != router.app:
        # Middleware of the router's own (a body limit): keep its loop.
        return
    router.middleware_stack = RouteIndex(router)
