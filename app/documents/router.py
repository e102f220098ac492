from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response
from starlette.formparsers import MultiPartParser
from starlette.types import Scope

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.cases.vocab import Purpose
from app.deps import RuntimeDep, Session, WriteSession
from app.documents import service
from app.documents.content import ALLOWED_MEDIA_TYPES, sniff
from app.documents.schemas import DocumentList, DocumentRead, DocumentUpload
from app.errors import Problem, documented
from app.idempotency.replay import replays_as
from app.runtime import Runtime

router = APIRouter(tags=["documents"], route_class=GuardedRoute)

Uploader = Annotated[Principal, require(Permission.DOCUMENTS_UPLOAD)]
Reader = Annotated[Principal, require(Permission.DOCUMENTS_READ)]
NO_STORE = {"Cache-Control": "no-store"}
# Room for the multipart framing and the small form fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


def _upload_limit(runtime: Runtime) -> int:
    return runtime.settings.document_max_bytes + MULTIPART_OVERHEAD


class UploadRoute(GuardedRoute):
    """The upload route: its body may be as large as a document (every other route keeps the
    global ``max_body_bytes``, ``app.ops.middleware.body_limit`` asks the route)."""

    def max_body_bytes(self, scope: Scope) -> int:
        return _upload_limit(scope["app"].state.runtime)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def upload(request: Request) -> Response:
            # Starlette spools a file part to a temporary file on disk past 1 MiB: the plaintext of
            # her papers would touch the disk unencrypted. Keep a whole upload in memory instead (a
            # class attribute: no other route takes a body larger than 1 MiB anyway).
            limit = _upload_limit(request.app.state.runtime)
            if MultiPartParser.spool_max_size < limit:
                MultiPartParser.spool_max_size = limit
            return await handler(request)

        return upload


def _too_large(limit: int) -> Problem:
    return Problem(413, f"A document may be at most {limit} bytes.")


def _invalid(field: str, kind: str, detail: str) -> Problem:
    return Problem(422, detail, errors=[{"loc": ["body", field], "type": kind, "msg": detail}])


async def upload_document(
    response: Response,
    runtime: RuntimeDep,
    session: Session,
    principal: Uploader,
    case_id: uuid.UUID,
    form: Annotated[DocumentUpload, File()],
) -> DocumentRead:
    """A document of the case, in a sensitivity class, by the owning agency or the authority
    seized of the case (only in classes it may read). Stored encrypted; the answer is its
    metadata, with the SHA-256 of the content."""
    file, occurred_at = form.file, form.occurred_at
    limit = runtime.settings.document_max_bytes
    if file.size is not None and file.size > limit:
        raise _too_large(limit)
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise _too_large(limit)
    if not content:
        raise _invalid("file", "empty", "The file is empty.")
    media_type = sniff(content)
    if media_type is None:
        raise Problem(415, f"A document is one of: {', '.join(sorted(ALLOWED_MEDIA_TYPES))}.")
    if occurred_at is not None and occurred_at > runtime.now():
        raise _invalid("occurred_at", "in_future", "A document cannot have been made in the future.")
    response.headers.update(NO_STORE)
    return await service.upload_document(
        session,
        runtime,
        principal,
        case_id,
        kind=form.kind,
        sensitivity=form.sensitivity,
        occurred_at=occurred_at,
        media_type=media_type,
        content=content,
    )


# Added, not decorated: the decorators take no route class of its own.
router.add_api_route(
    "/v1/cases/{case_id}/documents",
    upload_document,
    methods=["POST"],
    operation_id="documents-upload",
    status_code=201,
    response_model=DocumentRead,
    # 400: more parts than an upload has, or a field longer than any of its fields can be.
    responses=documented(400, 404, 413, 415),
    openapi_extra=replays_as("document"),
    route_class_override=UploadRoute,
    # One file and a few small fields: a body of thousands of parts is not parsed at all.
    form_limits={"max_files": 1, "max_fields": 8, "max_part_size": 1024},
)


@router.get(
    "/v1/cases/{case_id}/documents",
    operation_id="documents-list",
    response_model=DocumentList,
)
async def list_documents(
    response: Response,
    runtime: RuntimeDep,
    session: WriteSession,
    principal: Reader,
    case_id: uuid.UUID,
) -> DocumentList:
    """The case's documents of classes the caller's relation reads, newest first: metadata only.
    Logged before the answer."""
    items, classes = await service.list_documents(session, runtime, principal, case_id)
    response.headers.update(NO_STORE)
    return DocumentList(items=items, readable_classes=sorted(classes))


@router.get(
    "/v1/documents/{document_id}",
    operation_id="documents-read",
    response_model=DocumentRead,
)
async def read_document(
    response: Response,
    runtime: RuntimeDep,
    session: WriteSession,
    principal: Reader,
    document_id: uuid.UUID,
) -> DocumentRead:
    """A document's metadata, where the caller's relation to its case reads its class."""
    read = await service.get_document(session, runtime, principal, document_id)
    response.headers.update(NO_STORE)
    return read


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/v1/documents/{document_id}/content",
    operation_id="documents-read-content",
    response_class=Response,
    responses={
        200: {
            "description": "The document's bytes, as stored: PDF, JPEG or PNG.",
            "content": {media_type: _BINARY for media_type in ALLOWED_MEDIA_TYPES},
        },
        **documented(500),
    },
)
async def read_content(
    runtime: RuntimeDep,
    session: WriteSession,
    principal: Reader,
    document_id: uuid.UUID,
    purpose: Annotated[
        Purpose | None,
        Query(description="Needed for identity and safety documents; logged with the read."),
    ] = None,
) -> Response:
    """The document's content. Identity and safety documents need a purpose the caller's
    relation allows. Logged (who, when, purpose) before the bytes are sent; never cached, and
    named by the document's id only."""
    document, content = await service.read_content(session, runtime, principal, document_id, purpose)
    return Response(
        content,
        media_type=document.media_type,
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="{service.download_name(document)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
