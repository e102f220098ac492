from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import AwareDatetime

from app.agencies.states import state_query
from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.cases import changes, disclosure, notes, reports, service
from app.cases.report_policy import ReportKind
from app.cases.schemas import (
    AssigneesSet,
    CaseCreate,
    CaseRead,
    CaseSearch,
    CaseUpdate,
    IdentityPatch,
    IdentityRead,
    NoteCreate,
    NoteList,
    NoteRead,
    ProductionReport,
    RescueEventCreate,
    RescueEventCreated,
    RescueEventRead,
    SearchResult,
    StageReport,
)
from app.cases.vocab import ExploitationType, IdentityField, Purpose, Stage, Track
from app.concurrency import required_version, set_etag
from app.deps import RuntimeDep, Session, WriteSession
from app.errors import Problem, documented
from app.idempotency.replay import no_replay, replays_as
from app.pagination import CursorQuery, LimitQuery, Page, set_link_header
from app.responses import JSONAnswer

router = APIRouter(tags=["cases"], route_class=GuardedRoute)

Creator = Annotated[Principal, require(Permission.CASES_CREATE)]
Updater = Annotated[Principal, require(Permission.CASES_UPDATE)]
Assigner = Annotated[Principal, require(Permission.CASES_ASSIGN)]
Producer = Annotated[Principal, require(Permission.CASES_PRODUCE)]
Reporter = Annotated[Principal, require(Permission.CASES_REPORT)]
Reader = Annotated[Principal, require(Permission.CASES_READ)]
IdentityReader = Annotated[Principal, require(Permission.IDENTITY_READ)]
IdentityWriter = Annotated[Principal, require(Permission.IDENTITY_UPDATE)]
NoteWriter = Annotated[Principal, require(Permission.NOTES_WRITE)]
Searcher = Annotated[Principal, require(Permission.IDENTITY_SEARCH)]
NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "/v1/rescue-events",
    operation_id="rescue-events-create",
    status_code=201,
    response_model=RescueEventCreated,
    openapi_extra=replays_as("rescue_event"),
)
async def create_rescue_event(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Creator,
    body: RescueEventCreate,
) -> dict[str, Any]:
    """Record a rescue with its victims: one case per victim, in one transaction. The identity of
    each victim is stored encrypted and never returned here."""
    event, cases = await service.create_rescue_event(session, runtime, principal, body)
    read = await service.get_rescue_event(session, principal, event.id)
    read.case_ids = [c.id for c in cases]
    return {
        "id": str(event.id),
        "rescue_event": read.model_dump(mode="json"),
        "cases": [service.created_view(c) for c in cases],
    }


@router.get(
    "/v1/rescue-events/{rescue_event_id}",
    operation_id="rescue-events-read",
    response_model=RescueEventRead,
)
async def read_rescue_event(
    session: Session, principal: Reader, rescue_event_id: uuid.UUID
) -> RescueEventRead:
    """A rescue event, for the agencies that took part in it."""
    return await service.get_rescue_event(session, principal, rescue_event_id)


@router.post(
    "/v1/cases",
    operation_id="cases-create",
    status_code=201,
    response_model=CaseRead,
    responses=documented(404),
    openapi_extra=replays_as("case"),
)
async def create_case(
    response: Response, runtime: RuntimeDep, session: Session, principal: Creator, body: CaseCreate
) -> dict[str, Any]:
    """Add a case (a victim found later) to a rescue event the caller's agency took part in."""
    case = await service.add_case(session, runtime, principal, body)
    set_etag(response, case.version)
    return service.created_view(case)


@router.get("/v1/cases", operation_id="cases-list", response_model=Page[CaseRead])
async def list_cases(
    request: Request,
    runtime: RuntimeDep,
    session: Session,
    principal: Reader,
    stage: Annotated[Stage | None, Query()] = None,
    track: Annotated[Track | None, Query()] = None,
    home_state: Annotated[str | None, Query(max_length=5)] = None,
    current_state: Annotated[str | None, Query(max_length=5)] = None,
    owner_agency_id: Annotated[uuid.UUID | None, Query()] = None,
    exploitation_type: Annotated[ExploitationType | None, Query()] = None,
    assigned_to_me: Annotated[bool, Query()] = False,
    overdue: Annotated[
        bool, Query(description="Only cases with an overdue deadline (at the request's clock).")
    ] = False,
    flag: Annotated[
        list[str] | None,
        Query(description="trafficker_contact, family_complicity or possible_repeat; repeatable"),
    ] = None,
    opened_from: Annotated[AwareDatetime | None, Query()] = None,
    opened_to: Annotated[AwareDatetime | None, Query()] = None,
    updated_from: Annotated[AwareDatetime | None, Query()] = None,
    updated_to: Annotated[AwareDatetime | None, Query()] = None,
    code: Annotated[str | None, Query(max_length=20, description="Find one case by its code.")] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Cases the caller may see, most recently changed first, each with only the fields the
    caller's relation to it allows (never identity)."""
    flags = flag or []
    unknown = sorted(set(flags) - {"trafficker_contact", "family_complicity", "possible_repeat"})
    if unknown:
        raise Problem(
            422,
            "Unknown flag.",
            errors=[{"loc": ["query", "flag"], "type": "enum", "msg": "Unknown flag"}],
        )
    filters = {
        "stage": stage.value if stage else None,
        "track": track.value if track else None,
        "home_state": state_query(home_state, "home_state"),
        "current_state": state_query(current_state, "current_state"),
        "owner_agency_id": owner_agency_id,
        "exploitation_type": exploitation_type.value if exploitation_type else None,
        "assigned_to_me": assigned_to_me,
        "overdue": overdue,
        "flags": flags,
        "opened_from": opened_from,
        "opened_to": opened_to,
        "updated_from": updated_from,
        "updated_to": updated_to,
        "code": code,
    }
    items, next_cursor = await service.list_cases(session, runtime, principal, filters, limit, cursor)
    answer = JSONAnswer({"items": items, "next_cursor": next_cursor})
    set_link_header(answer, request, next_cursor)
    return answer


@router.get("/v1/cases/{case_id}", operation_id="cases-read", response_model=CaseRead)
async def read_case(
    runtime: RuntimeDep, session: Session, principal: Reader, case_id: uuid.UUID
) -> Response:
    """A case as the caller may see it (never identity); its version is the ETag."""
    shaped = await service.read_case(session, runtime, principal, case_id)
    answer = JSONAnswer(shaped)
    if "version" in shaped:
        set_etag(answer, shaped["version"])
    return answer


@router.get(
    "/v1/cases/{case_id}/identity",
    operation_id="cases-read-identity",
    response_model=IdentityRead,
)
async def read_identity(
    response: Response,
    runtime: RuntimeDep,
    session: WriteSession,
    principal: IdentityReader,
    case_id: uuid.UUID,
    purpose: Annotated[Purpose, Query(description="Why identity is read; logged with the read.")],
    fields: Annotated[
        list[IdentityField],
        Query(min_length=1, description="The identity fields needed; repeatable."),
    ],
) -> IdentityRead:
    """Identity fields of a case, for a stated purpose, where the caller's relation allows them.
    Every read is logged (who, when, purpose, fields) before the answer is sent."""
    read, version = await disclosure.read_identity(session, runtime, principal, case_id, purpose, fields)
    response.headers.update(NO_STORE)
    set_etag(response, version)
    return read


@router.patch(
    "/v1/cases/{case_id}/identity",
    operation_id="cases-update-identity",
    status_code=204,
    response_class=Response,
    responses=documented(409, 412, 428),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {
                    "schema": {"$ref": "#/components/schemas/IdentityPatch"}
                }
            }
        }
    },
)
async def update_identity(
    runtime: RuntimeDep,
    session: Session,
    principal: IdentityWriter,
    case_id: uuid.UUID,
    purpose: Annotated[Purpose, Query(description="Why identity is changed; logged.")],
    body: IdentityPatch,
    if_match: Annotated[
        str | None, Header(description="The identity's ETag, from its last read.")
    ] = None,
) -> Response:
    """Change identity fields (a merge patch) for a stated purpose, against the version read."""
    expected = required_version(if_match)
    version = await disclosure.update_identity(
        session, runtime, principal, case_id, purpose, body, expected
    )
    return Response(status_code=204, headers={"ETag": f'"{version}"', **NO_STORE})


@router.post(
    "/v1/cases/search",
    operation_id="cases-search",
    response_model=SearchResult,
    responses=documented(429),
    openapi_extra=no_replay(),
)
async def search_cases(
    response: Response, runtime: RuntimeDep, session: Session, principal: Searcher, body: CaseSearch
) -> SearchResult:
    """Exact-match search by name, date of birth or phone (normalised; names across scripts),
    over cases whose identity the caller may read. The terms travel in the body, never the URL;
    the search is logged with its purpose and rate-limited per user. A read: no Idempotency-Key."""
    hits = await disclosure.search(session, runtime, principal, body)
    response.headers.update(NO_STORE)
    return SearchResult(items=hits)


async def _after_change(session: Any, runtime: Any, principal: Principal, case: Any) -> dict[str, Any]:
    """The answer to a change: the case as the caller may read it, or, for a caller that may
    change but not read cases (an integration), only what a creator is shown."""
    if principal.can(Permission.CASES_READ):
        return await service.read_case(session, runtime, principal, case.id)
    return service.created_view(case)


@router.patch(
    "/v1/cases/{case_id}",
    operation_id="cases-update",
    response_model=CaseRead,
    responses=documented(412, 428),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/CaseUpdate"}}
            }
        }
    },
)
async def update_case(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Updater,
    case_id: uuid.UUID,
    body: CaseUpdate,
    if_match: Annotated[str | None, Header(description="The ETag of the version read.")] = None,
) -> dict[str, Any]:
    """A JSON merge patch (``application/merge-patch+json``) of what the owning agency records;
    the stage, owner and code never change this way. Needs the ETag read, as If-Match."""
    expected = required_version(if_match)
    case = await changes.update_case(session, runtime, principal, case_id, body, expected)
    set_etag(response, case.version)
    return await _after_change(session, runtime, principal, case)


@router.put("/v1/cases/{case_id}/assignees", operation_id="cases-set-assignees", response_model=CaseRead)
async def set_assignees(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Assigner,
    case_id: uuid.UUID,
    body: AssigneesSet,
) -> dict[str, Any]:
    """The owner's supervisor names the staff working the case (they may read its identity)."""
    case = await changes.set_assignees(session, runtime, principal, case_id, body)
    set_etag(response, case.version)
    return await _after_change(session, runtime, principal, case)


@router.post(
    "/v1/cases/{case_id}/production-report",
    operation_id="cases-report-production",
    response_model=CaseRead,
    responses=documented(409),
    openapi_extra=replays_as("case", "path:case_id"),
)
async def report_production(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Producer,
    case_id: uuid.UUID,
    body: ProductionReport,
) -> dict[str, Any]:
    """The victim was produced before the CWC (child) or a Magistrate (adult), who is now seized
    of the case: ``rescued`` -> ``produced`` (JJ s.31, ITPA s.15)."""
    case = await changes.report_production(session, runtime, principal, case_id, body)
    set_etag(response, case.version)
    return await _after_change(session, runtime, principal, case)


async def _report(
    response: Response,
    runtime: Any,
    session: Any,
    principal: Principal,
    case_id: uuid.UUID,
    kind: ReportKind,
    body: StageReport,
) -> dict[str, Any]:
    case = await reports.report(session, runtime, principal, case_id, kind, body)
    set_etag(response, case.version)
    return await _after_change(session, runtime, principal, case)


@router.post(
    "/v1/cases/{case_id}/absconded-report",
    operation_id="cases-report-absconded",
    response_model=CaseRead,
    responses=documented(409),
    openapi_extra=replays_as("case", "path:case_id"),
)
async def report_absconded(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Reporter,
    case_id: uuid.UUID,
    body: StageReport,
) -> dict[str, Any]:
    """She left the care of the agency holding her (the owner, or the shelter she is placed in):
    ``absconded``, remembering the stage she left."""
    return await _report(response, runtime, session, principal, case_id, ReportKind.ABSCONDED, body)


@router.post(
    "/v1/cases/{case_id}/return-report",
    operation_id="cases-report-return",
    response_model=CaseRead,
    responses=documented(409),
    openapi_extra=replays_as("case", "path:case_id"),
)
async def report_return(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Reporter,
    case_id: uuid.UUID,
    body: StageReport,
) -> dict[str, Any]:
    """She is back: the case returns to the stage she left."""
    return await _report(response, runtime, session, principal, case_id, ReportKind.RETURNED, body)


@router.post(
    "/v1/cases/{case_id}/death-report",
    operation_id="cases-report-death",
    response_model=CaseRead,
    responses=documented(409),
    openapi_extra=replays_as("case", "path:case_id"),
)
async def report_death(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Reporter,
    case_id: uuid.UUID,
    body: StageReport,
) -> dict[str, Any]:
    """She died: ``deceased`` (a closure order then closes the case)."""
    return await _report(response, runtime, session, principal, case_id, ReportKind.DECEASED, body)


@router.post(
    "/v1/cases/{case_id}/notes",
    operation_id="cases-add-note",
    status_code=201,
    response_model=NoteRead,
    openapi_extra=replays_as("note"),
)
async def add_note(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: NoteWriter,
    case_id: uuid.UUID,
    body: NoteCreate,
) -> NoteRead:
    """A note of a sensitivity class (``general`` plain; ``identity``, ``medical_counselling`` and
    ``safety`` encrypted), by the owning agency or the authority seized of the case."""
    response.headers.update(NO_STORE)
    return await notes.add_note(session, runtime, principal, case_id, body)


@router.get("/v1/cases/{case_id}/notes", operation_id="cases-list-notes", response_model=NoteList)
async def list_notes(
    response: Response,
    runtime: RuntimeDep,
    session: WriteSession,
    principal: Reader,
    case_id: uuid.UUID,
    purpose: Annotated[
        Purpose | None, Query(description="Needed to include identity-class notes.")
    ] = None,
) -> NoteList:
    """The notes of classes the caller's relation allows, newest first; logged before the answer."""
    items, classes = await notes.list_notes(session, runtime, principal, case_id, purpose)
    response.headers.update(NO_STORE)
    return NoteList(items=items, readable_classes=sorted(classes))
