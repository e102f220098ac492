"""Optimistic concurrency: an object's version is its ETag; a change must name the version it
was made against in ``If-Match`` (missing: 428, a request error; stale: 412, after the 404/403
checks). The write itself is a conditional UPDATE, so of two concurrent changes one wins."""

from __future__ import annotations

from fastapi import Response

from app.errors import Problem

_NEVER = -1


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def required_version(if_match: str | None) -> int:
    """The version ``If-Match`` names (428 if absent). A value that is not one of our ETags
    matches nothing, so it is answered 412 once the object is known to exist and be visible."""
    if if_match is None or not if_match.strip():
        raise Problem(428, "Send If-Match with the ETag of the version you changed.")
    tag = if_match.strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() else _NEVER


def optional_version(if_match: str | None) -> int | None:
    """For an action where If-Match is optional: absent (or blank), it applies to the state the
    object is in; present, to the version it names."""
    return None if if_match is None or not if_match.strip() else required_version(if_match)


def stale() -> Problem:
    return Problem(412, "The object changed since you read it; read it again and retry.")
