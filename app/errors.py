"""RFC 9457 problem details for every 4xx and 5xx, and the handlers that produce them.

Error bodies name what was wrong, never what was sent: a validation error lists fields and rule types,
not values (a victim's name must not come back in an error, a log line or a metric).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.context import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Pydantic error types whose standard message may quote part of the input.
_MESSAGE_MAY_ECHO_INPUT = {"uuid_parsing", "uuid_type", "url_parsing", "string_pattern_mismatch"}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class Problem(StarletteHTTPException):
    """An HTTP error with a problem+json body; ``extra`` adds members such as ``allowed_actions``."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        problem_type: str = "about:blank",
        **extra: Any,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.problem_type = problem_type
        self.extra = extra


def problem_body(status: int, detail: str | None, problem_type: str = "about:blank") -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    return body


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    problem_type: str = "about:blank",
    **extra: Any,
) -> ProblemResponse:
    body = problem_body(status, detail, problem_type)
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def invalid_field(field_name: str, kind: str, detail: str, where: str = "body") -> Problem:
    """A 422 about one field of the request (``where``: its body or its query), in the shape of
    the validation errors."""
    return Problem(422, detail, errors=[{"loc": [where, field_name], "type": kind, "msg": detail}])


def not_found(what: str = "resource") -> Problem:
    """The one answer for an object that does not exist or that the caller may not see."""
    return Problem(404, f"No such {what}.")


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        kind = str(error.get("type", "invalid"))
        message = str(error.get("msg", "Invalid value"))
        if kind in _MESSAGE_MAY_ECHO_INPUT:
            message = "Invalid value for this field"
        errors.append(
            {"loc": [str(part) for part in error.get("loc", ())], "type": kind, "msg": message}
        )
    return errors


async def _http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    extra = exc.extra if isinstance(exc, Problem) else {}
    problem_type = exc.problem_type if isinstance(exc, Problem) else "about:blank"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else None
    if exc.status_code in (401, 403, 404):
        from app.audit.access_log import record_denied

        await record_denied(request, exc.status_code)
    return problem_response(
        exc.status_code,
        detail if isinstance(exc, Problem) or exc.status_code != 404 else "No such resource.",
        headers=dict(exc.headers) if exc.headers else None,
        problem_type=problem_type,
        **extra,
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        422,
        "The request has invalid or unknown fields; see errors.",
        errors=_field_errors(exc),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error responses a route can give beyond the ones every route documents."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
