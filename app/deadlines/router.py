"""``GET /v1/deadlines``: the deadlines a caller sees, soonest due first, with their status
computed at the request's clock (``?status=overdue&owed_by_me=true`` is an agency's list of
what it is late with)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.deadlines import service
from app.deadlines.schemas import DeadlineRead
from app.deps import Session
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header
from app.responses import JSONAnswer

router = APIRouter(tags=["deadlines"], route_class=GuardedRoute)

Reader = Annotated[Principal, require(Permission.CASES_READ)]


@router.get("/v1/deadlines", operation_id="deadlines-list", response_model=Page[DeadlineRead])
async def list_deadlines(
    request: Request,
    session: Session,
    principal: Reader,
    status: Annotated[Literal["open", "overdue", "met", "met_late", "waived"] | None, Query()] = None,
    owed_by_me: Annotated[bool, Query(description="Only those the caller's agency owes.")] = False,
    case_id: Annotated[uuid.UUID | None, Query()] = None,
    rule_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Deadlines of the cases the caller sees with deadlines in its field set, and those its
    agency owes, soonest due first."""
    filters = {"status": status, "owed_by_me": owed_by_me, "case_id": case_id, "rule_id": rule_id}
    items, next_cursor = await service.list_deadlines(session, principal, filters, limit, cursor)
    answer = JSONAnswer(
        {
            "items": [DeadlineRead.model_validate(i).model_dump(mode="json") for i in items],
            "next_cursor": next_cursor,
        }
    )
    set_link_header(answer, request, next_cursor)
    return answer
