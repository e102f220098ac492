"""The compensation claim's endpoints: file one on the case, read it, the forum's and the filer's
lists, and one endpoint per action of its own (``POST /v1/compensation-claims/{id}/disburse``,
``.../withdraw``). The decision is an order: ``POST /v1/cases/{case_id}/orders`` with kind
``compensation_decision``.

Every action answers the claim as the caller now sees it, with its ETag (the version); an action
may carry ``If-Match`` (a stale one is 412), and without it a concurrent action that won is a 409
naming what the caller may do now."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.compensation import schemas, service
from app.compensation.policy import ACTIONS, ROUTED, Scheme, Status
from app.concurrency import optional_version, set_etag
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.idempotency.replay import replays_as
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header
from app.responses import JSONAnswer

router = APIRouter(tags=["compensation"], route_class=GuardedRoute)

Filer = Annotated[Principal, require(Permission.COMPENSATION_FILE)]
Reader = Annotated[Principal, require(Permission.COMPENSATION_READ)]
IfMatch = Annotated[str | None, Header(description="The claim's ETag; optional (a stale one is 412).")]


async def _answer(
    response: Response, session: Any, principal: Principal, claim_id: uuid.UUID
) -> schemas.ClaimRead:
    read = await service.read_claim(session, principal, claim_id)
    set_etag(response, read.version)
    return read


@router.post(
    "/v1/cases/{case_id}/compensation-claims",
    operation_id="compensation-claims-create",
    status_code=201,
    response_model=schemas.ClaimRead,
    responses=documented(409),
    openapi_extra=replays_as("compensation_claim"),
)
async def create_claim(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Filer,
    case_id: uuid.UUID,
    body: schemas.ClaimCreate,
) -> schemas.ClaimRead:
    """File a compensation claim on a case that is not closed, before a legal services authority
    (DLSA / SLSA): by the owning agency's staff, the CWC / Magistrate seized of it, or a legal
    services authority giving her legal aid. Starts BNSS396_COMPENSATION (decided within two
    months), owed by the forum, which sees the case while the claim is open."""
    service.check_create(body, runtime.now())
    claim = await service.create_claim(session, runtime, principal, case_id, body)
    return await _answer(response, session, principal, claim.id)


@router.get(
    "/v1/compensation-claims/{claim_id}",
    operation_id="compensation-claims-read",
    response_model=schemas.ClaimRead,
)
async def read_claim(
    response: Response, session: Session, principal: Reader, claim_id: uuid.UUID
) -> schemas.ClaimRead:
    """A claim with its acts, the caller's sides and what it may do now."""
    return await _answer(response, session, principal, claim_id)


@router.get(
    "/v1/compensation-claims",
    operation_id="compensation-claims-list",
    response_model=Page[schemas.ClaimRead],
)
async def list_claims(
    request: Request,
    session: Session,
    principal: Reader,
    direction: Annotated[
        str | None,
        Query(
            pattern="^(incoming|outgoing)$",
            description="incoming: before the caller's authority; outgoing: filed by its agency.",
        ),
    ] = None,
    status: Annotated[Status | None, Query()] = None,
    scheme: Annotated[Scheme | None, Query()] = None,
    case_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Claims the caller may see, most recently changed first."""
    filters = {
        "direction": direction,
        "status": status.value if status else None,
        "scheme": scheme.value if scheme else None,
        "case_id": case_id,
    }
    items, next_cursor = await service.list_claims(session, principal, filters, limit, cursor)
    answer = JSONAnswer(
        {"items": [i.model_dump(mode="json") for i in items], "next_cursor": next_cursor}
    )
    set_link_header(answer, request, next_cursor)
    return answer


# One route per action of its own: its body, what it does.
_BODIES: dict[str, tuple[type[schemas.Act], str]] = {
    "disburse": (
        schemas.DisburseBody,
        "The forum records a payment of the award (an instalment leaves the claim decided; the "
        "payment that completes the award ends it, and the forum's view of the case with it).",
    ),
    "withdraw": (
        schemas.WithdrawBody,
        "The filing side withdraws the claim before it is decided, with a reason; its deadline "
        "is waived.",
    ),
}
assert set(_BODIES) == set(ROUTED)


def _action_route(name: str) -> None:
    action = ACTIONS[name]
    body_type, summary = _BODIES[name]
    Actor = Annotated[Principal, require(action.permission)]

    async def take(
        response: Response,
        runtime: RuntimeDep,
        session: Session,
        principal: Principal,
        claim_id: uuid.UUID,
        body: schemas.Act,
        if_match: IfMatch = None,
    ) -> schemas.ClaimRead:
        service.not_in_future(body, runtime.now())
        expected = optional_version(if_match)
        await service.act(session, runtime, principal, claim_id, name, body, expected)
        return await _answer(response, session, principal, claim_id)

    # The module's annotations are strings (``from __future__ import annotations``); these two
    # name objects local to this function, so FastAPI is given them as objects.
    take.__annotations__.update(principal=Actor, body=body_type)
    take.__doc__ = summary
    take.__name__ = f"compensation_claim_{name}"
    router.add_api_route(
        f"/v1/compensation-claims/{{claim_id}}/{name}",
        take,
        methods=["POST"],
        operation_id=f"compensation-claims-{name}",
        response_model=schemas.ClaimRead,
        responses=documented(409, 412),
        openapi_extra=replays_as("compensation_claim", "path:claim_id"),
    )


for _name in ROUTED:
    _action_route(_name)
