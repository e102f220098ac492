"""The history of a case and the audit office's search of the log (DOMAIN.md section 5 decides
who sees which event and what of it: ``app.access.events``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from app.audit.access_log import access_entry
from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.deps import RuntimeDep, Session, WriteSession
from app.history import service
from app.history.schemas import AccessRead, EventRead
from app.ledger import export
from app.ledger.models import MAX_POSITION
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header
from app.responses import JSONAnswer

router = APIRouter(tags=["audit"], route_class=GuardedRoute)

CaseReader = Annotated[Principal, require(Permission.CASES_READ)]
Auditor = Annotated[Principal, require(Permission.AUDIT_READ)]


def _page(request: Request, items: list[dict[str, object]], next_cursor: str | None) -> Response:
    answer = JSONAnswer({"items": items, "next_cursor": next_cursor})
    set_link_header(answer, request, next_cursor)
    return answer


@router.get(
    "/v1/cases/{case_id}/history",
    operation_id="cases-history",
    response_model=Page[EventRead],
)
async def case_history(
    request: Request,
    runtime: RuntimeDep,
    session: Session,
    principal: CaseReader,
    case_id: uuid.UUID,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """The case's events in the order of the log, each showing only the changes the caller may
    read of the case now (the others name their field, `redacted: true`)."""
    items, next_cursor = await service.case_history(session, runtime, principal, case_id, limit, cursor)
    return _page(request, items, next_cursor)


@router.get("/v1/audit/events", operation_id="audit-events", response_model=Page[EventRead])
async def audit_events(
    request: Request,
    session: Session,
    principal: Auditor,
    agency_id: Annotated[uuid.UUID | None, Query(description="The acting agency.")] = None,
    actor_id: Annotated[uuid.UUID | None, Query(description="The acting user or client.")] = None,
    action: Annotated[str | None, Query(max_length=60, pattern=r"^[a-z_.]+$")] = None,
    case_id: Annotated[uuid.UUID | None, Query()] = None,
    occurred_from: Annotated[
        AwareDatetime | None, Query(alias="from", description="Occurred at or after.")
    ] = None,
    occurred_to: Annotated[
        AwareDatetime | None, Query(alias="to", description="Occurred before.")
    ] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Sequenced events of the cases the audit office sees (its state's; all, for a national
    office) and of its state's agencies, in log order."""
    filters = {
        "agency_id": agency_id,
        "actor_id": actor_id,
        "action": action,
        "case_id": case_id,
        "occurred_from": occurred_from,
        "occurred_to": occurred_to,
    }
    items, next_cursor = await service.search_events(session, principal, filters, limit, cursor)
    return _page(request, items, next_cursor)


@router.get(
    "/v1/audit/export",
    operation_id="audit-export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "NDJSON: a header line, then one line per position (README, the log).",
            "content": {"application/x-ndjson": {}},
        }
    },
)
async def audit_export(
    runtime: RuntimeDep,
    session: WriteSession,
    principal: Auditor,
    first: Annotated[int, Query(alias="from", ge=0, le=MAX_POSITION, description="The first position.")],
    end: Annotated[
        int, Query(alias="to", ge=1, le=MAX_POSITION, description="The position after the last.")
    ],
    consistent_with: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_POSITION,
            description="The tree size of a checkpoint you kept: a consistency proof to it.",
        ),
    ] = None,
) -> StreamingResponse:
    """The sequenced events in [from, to) with the checkpoint signed at `to`, the subtree hashes
    covering [0, from) and, on request, a consistency proof from an earlier checkpoint: all an
    auditor needs to check them offline (`homecoming audit verify`). Events outside the office's
    scope are given by their leaf hash only."""
    header = await export.export_header(session, runtime, principal, first, end, consistent_with)
    runtime.access_log.add(
        access_entry(
            principal,
            "GET",
            "/v1/audit/export",
            outcome="read",
            object_type="log",
            object_id=f"{first}-{end}",
        )
    )
    return StreamingResponse(
        export.export_lines(runtime, principal, header), media_type="application/x-ndjson"
    )


AccessReader = Annotated[Principal, require(Permission.ACCESS_LOG_READ)]


@router.get(
    "/v1/cases/{case_id}/access-log",
    operation_id="cases-access-log",
    response_model=Page[AccessRead],
)
async def case_access_log(
    request: Request,
    runtime: RuntimeDep,
    session: Session,
    principal: AccessReader,
    case_id: uuid.UUID,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Who read the case, its identity and its documents, or was refused, oldest first: for the
    owning agency's supervisors and audit offices."""
    rows, next_cursor = await service.case_access_log(
        session, runtime, principal, case_id, limit, cursor
    )
    items = [AccessRead.model_validate(row).model_dump(mode="json") for row in rows]
    return _page(request, items, next_cursor)
