"""One plain ASGI middleware (not ``BaseHTTPMiddleware``, which costs a task per request) for what
every request needs: a request id, a body-size limit, a log line and metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.context import request_id_var
from app.errors import Problem, problem_response
from app.ops.metrics import LATENCY, REQUESTS

log = logging.getLogger("homecoming.http")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def body_limit(scope: Scope, default: int) -> int:
    """The matched route's own body limit, if it declares one (the document upload takes files
    larger than any JSON body: ``app.documents.router.UploadRoute``), else ``default``. Asked
    when the body is read, after routing has put the route in the scope."""
    own = getattr(scope.get("route"), "max_body_bytes", None)
    return int(own(scope)) if callable(own) else default


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "(unmatched)"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        limit: int | None = None
        received = 0
        declared = _content_length(scope)

        # The limit is enforced when the body is read, which happens after authentication and the
        # permission check, so an anonymous caller gets 401, not 413 (DOMAIN.md section 5).
        async def limited_receive() -> Message:
            nonlocal received, limit
            if limit is None:
                limit = body_limit(scope, self.max_body_bytes)
            if declared is not None and declared > limit:
                raise Problem(413, f"The request body exceeds {limit} bytes.")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise Problem(413, f"The request body exceeds {limit} bytes.")
            return message

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except Exception:
            # The traceback goes to the server log (engines hide SQL parameters, so no identity
            # value rides along); the client learns only the request id.
            log.exception("unhandled error")
            status = 500
            if not started_response:
                response = problem_response(
                    500, "An internal error occurred; quote the request id to the operator."
                )
                await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SAFE_REQUEST_ID.match(text) else None
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
