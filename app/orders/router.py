"""Orders on a case: made by its CWC or Magistrate (``POST /v1/cases/{case_id}/orders``, one
body per kind), and read in the order they were made."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.idempotency.replay import replays_as
from app.orders import schemas, service

router = APIRouter(tags=["orders"], route_class=GuardedRoute)

Issuer = Annotated[Principal, require(Permission.ORDERS_ISSUE)]
Reader = Annotated[Principal, require(Permission.CASES_READ)]


@router.post(
    "/v1/cases/{case_id}/orders",
    operation_id="orders-issue",
    status_code=201,
    response_model=schemas.OrderRead,
    responses=documented(409),
    openapi_extra=replays_as("order"),
)
async def issue_order(
    runtime: RuntimeDep,
    session: Session,
    principal: Issuer,
    case_id: uuid.UUID,
    body: Annotated[schemas.OrderCreate, Body()],
) -> schemas.OrderRead:
    """An order of the CWC (child) or Magistrate (adult) seized of the case: placement, SIR
    direction, age determination, safe custody, final order, closure, aged out, disclosure
    permission. It moves the case's stage as DOMAIN.md section 2 says; an age determination
    across 18 moves her to the other track, to be produced before its authority. A compensation
    decision is the order of the legal services authority a claim is before (its legal aid
    officers), naming the claim: it decides the claim (an award of 0 rejects it) and leaves the
    case as it is. Transfer and escort orders are made by the transfer's actions and refused
    here."""
    service.check_request(body, runtime.now())
    order = await service.issue_order(session, runtime, principal, case_id, body)
    return service.to_read(order, safety=True)


@router.get(
    "/v1/cases/{case_id}/orders",
    operation_id="orders-list",
    response_model=schemas.OrderList,
)
async def list_orders(session: Session, principal: Reader, case_id: uuid.UUID) -> schemas.OrderList:
    """The case's orders, oldest first, for those whose field set holds them; where she is
    placed only to those who may read it."""
    return schemas.OrderList(items=await service.list_orders(session, principal, case_id))
