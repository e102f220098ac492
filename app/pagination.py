"""Keyset pagination: an opaque cursor holding the sort key of the last row returned.

No OFFSET (cost grows with depth) and no count per page. The cursor is base64url JSON; a cursor that
does not decode is a 422 like any malformed parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel

from app.db import BIGINT_MAX, BIGINT_MIN
from app.errors import Problem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

LimitQuery = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size (at most 200).")
CursorQuery = Query(None, max_length=512, description="The `next_cursor` of the previous page.")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *kinds: type) -> list[Any]:
    """The values of a cursor, each checked to be of its kind (``str``, ``int``, ``uuid.UUID``,
    ``datetime``): a forged cursor is a 422, never a query error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(values, list) or len(values) != len(kinds):
        raise _bad_cursor()
    return [_typed(value, kind) for value, kind in zip(values, kinds, strict=True)]


def _typed(value: Any, kind: type) -> Any:
    try:
        if kind is str and isinstance(value, str):
            return value
        # An int must fit the BIGINT column it is compared with: a larger one would fail the
        # query (a 500), not name a place in the list.
        if (
            kind is int
            and isinstance(value, int)
            and not isinstance(value, bool)
            and BIGINT_MIN <= value <= BIGINT_MAX
        ):
            return value
        if kind is uuid.UUID and isinstance(value, str):
            return uuid.UUID(value)
        if kind is datetime and isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
    except ValueError as exc:
        raise _bad_cursor() from exc
    raise _bad_cursor()


def _bad_cursor() -> Problem:
    return Problem(
        422,
        "The cursor is not valid; start again without it.",
        errors=[{"loc": ["query", "cursor"], "type": "cursor_invalid", "msg": "Invalid cursor"}],
    )


def set_link_header(response: Response, request: Request, next_cursor: str | None) -> None:
    """RFC 8288 ``Link: <...>; rel="next"``, keeping the request's filters."""
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        target = url.path + ("?" + url.query if url.query else "")
        response.headers["Link"] = f'<{target}>; rel="next"'


def split_page(rows: list[T], limit: int, key: Callable[[T], list[Any]]) -> tuple[list[T], str | None]:
    """Of ``limit + 1`` rows fetched, the page to return and the cursor after its last row (None
    when there is no more): the extra row says whether a next page exists, without a count."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(key(page[-1]))
