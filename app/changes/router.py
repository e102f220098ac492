"""The change feed: ``GET /v1/changes?after=POSITION``, for state systems and agencies that
follow the cases they see without polling each one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.changes.service import read_changes
from app.deps import RuntimeDep, Session
from app.history.schemas import EventRead
from app.ledger.models import MAX_POSITION
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.responses import JSONAnswer

router = APIRouter(tags=["changes"], route_class=GuardedRoute)

Follower = Annotated[Principal, require(Permission.CHANGES_READ)]


class ChangesRead(BaseModel):
    items: list[EventRead]
    next_after: int = Field(description="Pass as `after` to read on from here.")
    caught_up: bool = Field(description="The feed reached the end of the log: poll again later.")


@router.get("/v1/changes", operation_id="changes-read", response_model=ChangesRead)
async def changes(
    runtime: RuntimeDep,
    session: Session,
    principal: Follower,
    after: Annotated[
        int,
        Query(
            ge=-1,
            le=MAX_POSITION,
            description="The log position read up to; -1 (the default) from the start.",
        ),
    ] = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    """Events of the cases the caller may see now, after position `after`, in log order, each
    showing only what the caller may read of its case now. One request looks at up to 10,000
    positions: follow `next_after` until `caught_up`."""
    return JSONAnswer(await read_changes(session, runtime, principal, after, limit))
