"""The transfer's endpoints: create on the case, read, the inbox and outbox, and one endpoint per
action of DOMAIN.md section 3's table (``POST /v1/transfers/{id}/<action>``), plus escalation.

Every action answers the transfer as the caller now sees it, with its ETag (the version); an
action may carry ``If-Match`` (a stale one is 412), and without it a concurrent action that won
is a 409 naming what the caller may do now."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.concurrency import optional_version, set_etag
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.idempotency.replay import replays_as
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header
from app.responses import JSONAnswer
from app.transfers import schemas, service
from app.transfers.policy import ACTIONS, Status

router = APIRouter(tags=["transfers"], route_class=GuardedRoute)

Creator = Annotated[Principal, require(Permission.TRANSFERS_CREATE)]
Reader = Annotated[Principal, require(Permission.TRANSFERS_READ)]
Escalator = Annotated[Principal, require(Permission.TRANSFERS_ESCALATE)]
IfMatch = Annotated[
    str | None, Header(description="The transfer's ETag; optional (a stale one is 412).")
]


async def _answer(
    response: Response, session: Any, principal: Principal, transfer_id: uuid.UUID
) -> schemas.TransferRead:
    read = await service.read_transfer(session, principal, transfer_id)
    set_etag(response, read.version)
    return read


@router.post(
    "/v1/cases/{case_id}/transfers",
    operation_id="transfers-create",
    status_code=201,
    response_model=schemas.TransferRead,
    responses=documented(409),
    openapi_extra=replays_as("transfer"),
)
async def create_transfer(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Creator,
    case_id: uuid.UUID,
    body: schemas.TransferCreate,
) -> schemas.TransferRead:
    """A draft transfer of the case to an agency of her home state (and its CWC, or for an adult
    optionally a Magistrate), proposed by the owning agency's staff."""
    transfer = await service.create_transfer(session, runtime, principal, case_id, body)
    return await _answer(response, session, principal, transfer.id)


@router.get(
    "/v1/transfers/{transfer_id}",
    operation_id="transfers-read",
    response_model=schemas.TransferRead,
)
async def read_transfer(
    response: Response, session: Session, principal: Reader, transfer_id: uuid.UUID
) -> schemas.TransferRead:
    """A transfer with its acts, its bundle, the caller's sides and what it may do now."""
    return await _answer(response, session, principal, transfer_id)


@router.get(
    "/v1/transfers",
    operation_id="transfers-list",
    response_model=Page[schemas.TransferRead],
)
async def list_transfers(
    request: Request,
    session: Session,
    principal: Reader,
    direction: Annotated[
        str | None,
        Query(
            pattern="^(incoming|outgoing)$",
            description="incoming: the caller's agency receives; outgoing: it sends.",
        ),
    ] = None,
    status: Annotated[Status | None, Query()] = None,
    escalated: Annotated[bool | None, Query(description="Raised or deadline breached.")] = None,
    case_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Transfers the caller may see, most recently changed first."""
    filters = {
        "direction": direction,
        "status": status.value if status else None,
        "escalated": escalated,
        "case_id": case_id,
    }
    items, next_cursor = await service.list_transfers(session, principal, filters, limit, cursor)
    answer = JSONAnswer(
        {"items": [i.model_dump(mode="json") for i in items], "next_cursor": next_cursor}
    )
    set_link_header(answer, request, next_cursor)
    return answer


# One route per action: its permission, its body, what it does.
_BODIES: dict[str, tuple[type[schemas.Act], str]] = {
    "request-consultation": (
        schemas.ConsultationRequest,
        "The sending CWC / Magistrate asks the receiving side, sending the case-file bundle.",
    ),
    "answer-consultation": (
        schemas.ConsultationAnswerBody,
        "The receiving CWC (child), or Magistrate else supervisor (adult), agrees or objects.",
    ),
    "order": (
        schemas.OrderBody,
        "The sending CWC / Magistrate orders the transfer (after the answer, or once the "
        "consultation's deadline passed unanswered); an objection must be answered. The case "
        "is in transfer; the transfer order is recorded.",
    ),
    "assign-escort": (
        schemas.EscortBody,
        "The sending CWC / Magistrate names the escorting unit and officers (a woman officer "
        "for a girl or a woman), with the travel advance paid; the escort order is recorded.",
    ),
    "depart": (schemas.DepartBody, "The escorting unit sets out."),
    "hand-over": (schemas.HandOverBody, "The escorting unit hands her over at home."),
    "accept": (
        schemas.AcceptBody,
        "The receiving CWC or supervisor accepts: the receiving agency owns the case.",
    ),
    "decline": (
        schemas.ReasonBody,
        "The receiving side declines, with a reason; the case stays with the sending side.",
    ),
    "cancel": (
        schemas.ReasonBody,
        "The sending supervisor (before the order) or CWC / Magistrate (after) cancels.",
    ),
    "report-absconded": (schemas.AbscondedBody, "The escorting unit reports she went missing."),
    "border-handover": (
        schemas.BorderHandoverBody,
        "A foreign national handed to her country (Ministry / embassy reference); the case closes.",
    ),
}
assert set(_BODIES) == set(ACTIONS)


def _action_route(name: str) -> None:
    action = ACTIONS[name]
    body_type, summary = _BODIES[name]
    Actor = Annotated[Principal, require(action.permission)]

    async def take(
        response: Response,
        runtime: RuntimeDep,
        session: Session,
        principal: Principal,
        transfer_id: uuid.UUID,
        body: schemas.Act,
        if_match: IfMatch = None,
    ) -> schemas.TransferRead:
        service.not_in_future(body, runtime.now())
        expected = optional_version(if_match)
        await service.act(session, runtime, principal, transfer_id, name, body, expected)
        return await _answer(response, session, principal, transfer_id)

    # The module's annotations are strings (``from __future__ import annotations``); these two
    # name objects local to this function, so FastAPI is given them as objects.
    take.__annotations__.update(principal=Actor, body=body_type)
    take.__doc__ = summary
    take.__name__ = f"transfer_{name.replace('-', '_')}"
    router.add_api_route(
        f"/v1/transfers/{{transfer_id}}/{name}",
        take,
        methods=["POST"],
        operation_id=f"transfers-{name}",
        response_model=schemas.TransferRead,
        responses=documented(409, 412),
        openapi_extra=replays_as("transfer", "path:transfer_id"),
    )


for _name in ACTIONS:
    _action_route(_name)


@router.post(
    "/v1/transfers/{transfer_id}/escalate",
    operation_id="transfers-escalate",
    response_model=schemas.TransferRead,
    responses=documented(409),
    openapi_extra=replays_as("transfer", "path:transfer_id"),
)
async def escalate(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Escalator,
    transfer_id: uuid.UUID,
    body: schemas.EscalateBody,
) -> schemas.TransferRead:
    """A supervisor, CWC or Magistrate of either side raises the escalation flag (one event);
    the transfer keeps its state and appears on both states' commission and WCD lists."""
    service.not_in_future(body, runtime.now())
    await service.escalate(session, runtime, principal, transfer_id, body)
    return await _answer(response, session, principal, transfer_id)
