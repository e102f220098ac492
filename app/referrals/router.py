"""The referral's endpoints: create on the case, read, the inbox and outbox, and one endpoint per
action (``POST /v1/referrals/{id}/<action>``).

Every action answers the referral as the caller now sees it, with its ETag (the version); an
action may carry ``If-Match`` (a stale one is 412), and without it a concurrent action that won
is a 409 naming what the caller may do now."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.concurrency import etag, optional_version, set_etag
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.idempotency.replay import replays_as
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header
from app.referrals import schemas, service
from app.referrals.policy import ACTIONS, ReferralType, Status
from app.responses import JSONAnswer

router = APIRouter(tags=["referrals"], route_class=GuardedRoute)

Creator = Annotated[Principal, require(Permission.REFERRALS_CREATE)]
Reader = Annotated[Principal, require(Permission.REFERRALS_READ)]
IfMatch = Annotated[
    str | None, Header(description="The referral's ETag; optional (a stale one is 412).")
]


async def _answer(
    response: Response, session: Any, principal: Principal, referral_id: uuid.UUID
) -> schemas.ReferralRead:
    read = await service.read_referral(session, principal, referral_id)
    set_etag(response, read.version)
    return read


@router.post(
    "/v1/cases/{case_id}/referrals",
    operation_id="referrals-create",
    status_code=201,
    response_model=schemas.ReferralRead,
    responses=documented(409),
    openapi_extra=replays_as("referral"),
)
async def create_referral(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Creator,
    case_id: uuid.UUID,
    body: schemas.ReferralCreate,
) -> schemas.ReferralRead:
    """Ask an agency for a service on an open case: by the owning agency's staff, or the CWC /
    Magistrate seized of it. The receiving agency sees the referral (with the case's code and
    track) at once, and the case itself once it accepts."""
    service.not_in_future(body, runtime.now())
    referral = await service.create_referral(session, runtime, principal, case_id, body)
    return await _answer(response, session, principal, referral.id)


@router.get(
    "/v1/referrals/{referral_id}",
    operation_id="referrals-read",
    response_model=schemas.ReferralRead,
)
async def read_referral(
    response: Response, session: Session, principal: Reader, referral_id: uuid.UUID
) -> schemas.ReferralRead:
    """A referral with its acts, the caller's sides and what it may do now."""
    return await _answer(response, session, principal, referral_id)


@router.get(
    "/v1/referrals",
    operation_id="referrals-list",
    response_model=Page[schemas.ReferralRead],
)
async def list_referrals(
    request: Request,
    session: Session,
    principal: Reader,
    direction: Annotated[
        str | None,
        Query(
            pattern="^(incoming|outgoing)$",
            description="incoming: asked of the caller's agency; outgoing: asked by it.",
        ),
    ] = None,
    status: Annotated[Status | None, Query()] = None,
    type: Annotated[ReferralType | None, Query()] = None,
    case_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Referrals the caller may see, most recently changed first."""
    filters = {
        "direction": direction,
        "status": status.value if status else None,
        "type": type.value if type else None,
        "case_id": case_id,
    }
    items, next_cursor = await service.list_referrals(session, principal, filters, limit, cursor)
    answer = JSONAnswer(
        {"items": [i.model_dump(mode="json") for i in items], "next_cursor": next_cursor}
    )
    set_link_header(answer, request, next_cursor)
    return answer


# One route per action: its body, what it does.
_BODIES: dict[str, tuple[type[schemas.Act], str]] = {
    "accept": (
        schemas.AcceptBody,
        "The receiving agency takes it on and sees what the service needs of the case; an "
        "adult's home verification moves her case from intermediate or safe custody to "
        "home_verification.",
    ),
    "decline": (schemas.ReasonBody, "The receiving agency declines, with a reason."),
    "complete": (
        schemas.CompleteBody,
        "The receiving agency reports the result (a home verification: its report, a document "
        "of the case it uploaded); its view of the case ends.",
    ),
    "withdraw": (
        schemas.ReasonBody,
        "The referring side withdraws it, with a reason, before it is completed.",
    ),
}
assert set(_BODIES) == set(ACTIONS)


def _action_route(name: str) -> None:
    action = ACTIONS[name]
    body_type, summary = _BODIES[name]
    Actor = Annotated[Principal, require(action.permission)]

    async def take(
        runtime: RuntimeDep,
        session: Session,
        principal: Principal,
        referral_id: uuid.UUID,
        body: schemas.Act,
        if_match: IfMatch = None,
    ) -> Response:
        service.not_in_future(body, runtime.now())
        expected = optional_version(if_match)
        view = await service.act(session, runtime, principal, referral_id, name, body, expected)
        read = service.answer(principal, view)
        # Serialised once, by the model itself (FastAPI would validate it again first).
        return Response(
            read.model_dump_json(),
            media_type="application/json",
            headers={"ETag": etag(read.version)},
        )

    # The module's annotations are strings (``from __future__ import annotations``); these two
    # name objects local to this function, so FastAPI is given them as objects.
    take.__annotations__.update(principal=Actor, body=body_type)
    take.__doc__ = summary
    take.__name__ = f"referral_{name}"
    router.add_api_route(
        f"/v1/referrals/{{referral_id}}/{name}",
        take,
        methods=["POST"],
        operation_id=f"referrals-{name}",
        response_model=schemas.ReferralRead,
        responses=documented(409, 412),
        openapi_extra=replays_as("referral", "path:referral_id"),
    )


for _name in ACTIONS:
    _action_route(_name)
