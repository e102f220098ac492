"""JSON answers the route builds itself, for the hot reads.

A route that returns a dict has FastAPI validate it against the response model and serialise it
through pydantic: for a page of 50 cases that is a sixth of the request's cost (bench/README.md).
The hot read routes shape their answer exactly as the model documents it (the schema test checks
every answer against the OpenAPI document) and return it serialised by orjson, in the same form
pydantic writes: UTC times with ``Z``, UUIDs as strings.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response


class JSONAnswer(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str, option=orjson.OPT_UTC_Z)
