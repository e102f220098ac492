"""Follow-up visits, rehabilitation services and an adult's consents, on the case:
``/v1/cases/{case_id}/follow-up-visits``, ``.../rehabilitation-services`` (and ``/{id}/end``),
``.../consents`` (and ``/{id}/withdraw``). Writes answer what was recorded; reads are for those
whose field set holds the case's aftercare records."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Response

from app.aftercare import consents, schemas, services, visits
from app.aftercare.common import not_in_future
from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.concurrency import optional_version, set_etag
from app.deps import RuntimeDep, Session
from app.errors import documented
from app.idempotency.replay import replays_as

router = APIRouter(tags=["aftercare"], route_class=GuardedRoute)

Recorder = Annotated[Principal, require(Permission.AFTERCARE_RECORD)]
Reader = Annotated[Principal, require(Permission.CASES_READ)]
IfMatch = Annotated[str | None, Header(description="The record's ETag; optional (stale: 412).")]


@router.post(
    "/v1/cases/{case_id}/follow-up-visits",
    operation_id="aftercare-visit",
    status_code=201,
    response_model=schemas.VisitRead,
    responses=documented(409),
    openapi_extra=replays_as("follow_up_visit"),
)
async def record_visit(
    runtime: RuntimeDep,
    session: Session,
    principal: Recorder,
    case_id: uuid.UUID,
    body: Annotated[schemas.VisitCreate, Body()],
) -> schemas.VisitRead:
    """A follow-up visit done by the agency holding her case at home, with its findings and the
    risk reassessed. The first moves the case from final_order (child) or rehabilitation (adult)
    to follow_up; each meets the next visit the final order scheduled."""
    occurred = not_in_future(body.occurred_at, runtime.now())
    visit = await visits.record_visit(session, runtime, principal, case_id, body, occurred)
    return visits.to_read(visit, findings=True)


@router.get(
    "/v1/cases/{case_id}/follow-up-visits",
    operation_id="aftercare-visits",
    response_model=schemas.VisitList,
)
async def list_visits(
    runtime: RuntimeDep, session: Session, principal: Reader, case_id: uuid.UUID
) -> schemas.VisitList:
    """The visits done and the schedule, each scheduled visit with its status now. Findings
    only to the case's holders."""
    return await visits.list_visits(session, runtime, principal, case_id)


@router.post(
    "/v1/cases/{case_id}/rehabilitation-services",
    operation_id="aftercare-service-start",
    status_code=201,
    response_model=schemas.ServiceRead,
    responses=documented(409),
    openapi_extra=replays_as("rehabilitation_service"),
)
async def start_service(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Recorder,
    case_id: uuid.UUID,
    body: Annotated[schemas.ServiceCreate, Body()],
) -> schemas.ServiceRead:
    """A service she begins to receive, recorded by the agency holding her or her shelter. For
    an adult whose home is in this district (no transfer), the first after the Magistrate's
    order moves the case to rehabilitation."""
    occurred = not_in_future(body.occurred_at, runtime.now())
    row = await services.start_service(session, runtime, principal, case_id, body, occurred)
    set_etag(response, row.version)
    return services.to_read(row, notes=True)


@router.post(
    "/v1/cases/{case_id}/rehabilitation-services/{service_id}/end",
    operation_id="aftercare-service-end",
    response_model=schemas.ServiceRead,
    responses=documented(409, 412),
    openapi_extra=replays_as("rehabilitation_service", "path:service_id"),
)
async def end_service(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Recorder,
    case_id: uuid.UUID,
    service_id: uuid.UUID,
    body: Annotated[schemas.ServiceEnd, Body()],
    if_match: IfMatch = None,
) -> schemas.ServiceRead:
    """The service ended: completed, or discontinued, with its outcome."""
    occurred = not_in_future(body.occurred_at, runtime.now())
    services.check_end(body)
    row = await services.end_service(
        session, runtime, principal, case_id, service_id, body, occurred, optional_version(if_match)
    )
    set_etag(response, row.version)
    return services.to_read(row, notes=True)


@router.get(
    "/v1/cases/{case_id}/rehabilitation-services",
    operation_id="aftercare-services",
    response_model=schemas.ServiceList,
)
async def list_services(session: Session, principal: Reader, case_id: uuid.UUID) -> schemas.ServiceList:
    """The services she has had and has, oldest first."""
    return schemas.ServiceList(items=await services.list_services(session, principal, case_id))


@router.post(
    "/v1/cases/{case_id}/consents",
    operation_id="aftercare-consent",
    status_code=201,
    response_model=schemas.ConsentRead,
    responses=documented(409),
    openapi_extra=replays_as("consent"),
)
async def record_consent(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Recorder,
    case_id: uuid.UUID,
    body: Annotated[schemas.ConsentCreate, Body()],
) -> schemas.ConsentRead:
    """An adult's answer for one purpose (shelter_stay, data_sharing with a named agency,
    medical_examination): given or refused, how it was taken, until when."""
    now = runtime.now()
    occurred = not_in_future(body.occurred_at, now)
    consents.check_request(body, occurred)
    row = await consents.record_consent(session, runtime, principal, case_id, body, occurred)
    set_etag(response, row.version)
    return consents.to_read(row, now)


@router.post(
    "/v1/cases/{case_id}/consents/{consent_id}/withdraw",
    operation_id="aftercare-consent-withdraw",
    response_model=schemas.ConsentRead,
    responses=documented(409, 412),
    openapi_extra=replays_as("consent", "path:consent_id"),
)
async def withdraw_consent(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Recorder,
    case_id: uuid.UUID,
    consent_id: uuid.UUID,
    body: Annotated[schemas.ConsentWithdraw, Body()],
    if_match: IfMatch = None,
) -> schemas.ConsentRead:
    """She takes back a consent she gave."""
    now = runtime.now()
    occurred = not_in_future(body.occurred_at, now)
    row = await consents.withdraw_consent(
        session, runtime, principal, case_id, consent_id, body, occurred, optional_version(if_match)
    )
    set_etag(response, row.version)
    return consents.to_read(row, now)


@router.get(
    "/v1/cases/{case_id}/consents",
    operation_id="aftercare-consents",
    response_model=schemas.ConsentList,
)
async def list_consents(
    runtime: RuntimeDep, session: Session, principal: Reader, case_id: uuid.UUID
) -> schemas.ConsentList:
    """Her consents, and whether her stay in a shelter is covered by an order or her consent
    now (``stay.overstay`` when it is not)."""
    return await consents.list_consents(session, runtime, principal, case_id)
