"""Case documents: uploaded by the owning agency or the authority seized of the case, in a
sensitivity class; stored encrypted (the vault's keys, bound to the document, its case and its
class) outside the database; read by relation and class (app/access/documents.py), identity and
safety documents only for a stated purpose. Every list and every download is written to the access
log in the request's transaction, which commits before the answer is sent."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binds import caller_params
from app.access.cases import for_purpose
from app.access.documents import (
    DOCUMENT_UPLOADERS,
    document_grants,
    readable_classes,
    readable_documents,
    upload_classes,
    visible_documents,
)
from app.audit.access_log import access_entry, write_access_now
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth.current import first_checked
from app.auth.principal import Principal
from app.cases.service import CaseView, get_case_row, get_case_view
from app.cases.vocab import Purpose, Sensitivity
from app.deadlines import service as deadlines
from app.documents.content import ALLOWED_MEDIA_TYPES
from app.documents.models import Document
from app.documents.schemas import DocumentKind, DocumentRead
from app.documents.storage import StorageError
from app.errors import Problem, not_found
from app.runtime import Runtime
from app.vault.crypto import Cipher, VaultError

log = logging.getLogger("homecoming.documents")

MAX_LISTED = 200
# Classes whose content is read only with a stated purpose (DOMAIN.md section 6).
PURPOSE_BOUND = frozenset({Sensitivity.IDENTITY, Sensitivity.SAFETY})


# The document whose upload discharges a deadline (DOMAIN.md section 7).
MEETS = {DocumentKind.SIR: "JJ36_SIR", DocumentKind.AGE_DETERMINATION: "JJ94_AGE"}


def document_context(document_id: uuid.UUID, case_id: uuid.UUID, sensitivity: str) -> bytes:
    """Bound to the document, its case and its class: a file moved under another document or
    case, or a row relabelled to a class that needs no purpose, no longer decrypts."""
    return Cipher.context("documents", f"{document_id}|{case_id}|{sensitivity}", "content")


def storage_key(document_id: uuid.UUID) -> str:
    return str(document_id)


def to_read(document: Document) -> DocumentRead:
    return DocumentRead(
        id=document.id,
        case_id=document.case_id,
        kind=DocumentKind(document.kind),
        sensitivity=Sensitivity(document.sensitivity),
        media_type=document.media_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        occurred_at=document.occurred_at,
        uploaded_by=document.uploaded_by,
        uploaded_by_agency_id=document.uploaded_by_agency_id,
        created_at=document.created_at,
    )


async def upload_document(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    kind: DocumentKind,
    sensitivity: Sensitivity,
    occurred_at: datetime | None,
    media_type: str,
    content: bytes,
) -> DocumentRead:
    """Store ``content`` (already checked for size and type) as a document of the case: 404 when
    the case is not visible, 403 when the caller's relation may not upload or not in this class.
    The file is encrypted before it is written; its row and one audit event (no content) are in
    the request's transaction. Should that transaction fail, the file is removed."""
    case, relations, assigned = await get_case_row(session, principal, case_id)
    if not relations & DOCUMENT_UPLOADERS:
        raise Problem(
            403, "Documents are uploaded by the owning agency and the authority seized of the case."
        )
    if sensitivity not in upload_classes(principal, relations, assigned=assigned):
        raise Problem(403, f"You may not upload {sensitivity.value} documents on this case.")
    document_id = uuid.uuid4()
    key = storage_key(document_id)
    sealed = runtime.cipher.encrypt_bytes(
        content, document_context(document_id, case.id, sensitivity.value)
    )
    document = Document(
        id=document_id,
        case_id=case.id,
        kind=kind.value,
        sensitivity=sensitivity.value,
        media_type=media_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=key,
        key_id=runtime.cipher.active,
        occurred_at=occurred_at,
        uploaded_by=principal.id,
        uploaded_by_agency_id=principal.agency_id,
        created_at=runtime.now(),
    )
    await runtime.documents.put(key, sealed)
    try:
        session.add(document)
        await session.flush()
        # The social investigation report and the age determination discharge their deadlines.
        met = MEETS.get(kind)
        if met is not None:
            await deadlines.meet(session, case.id, [met], occurred_at or runtime.now())
        ref = ObjectRef("document", document_id)
        await record_event(
            session,
            Actor.of(principal),
            "document.uploaded",
            [ObjectRef("case", case.id), ref],
            [
                Change(ref, "kind", kind.value),
                Change(ref, "sensitivity", sensitivity.value),
                Change(ref, "media_type", media_type),
                Change(ref, "sha256", document.sha256),
                Change(ref, "size_bytes", document.size_bytes),
                Change(ref, "occurred_at", occurred_at),
            ],
            case_id=case.id,
        )
    except BaseException:
        await runtime.documents.delete(key)
        raise
    return to_read(document)


async def list_documents(
    session: AsyncSession, runtime: Runtime, principal: Principal, case_id: uuid.UUID
) -> tuple[list[DocumentRead], frozenset[Sensitivity]]:
    """The documents of the case the caller may read, newest first (metadata, never content), and
    the classes it may read; 404 when the case is not visible. Logged before the answer."""
    case = await get_case_view(session, principal, case_id)
    grants = document_grants(principal, case.relations, assigned=case.assigned)
    rows = await session.execute(
        select(Document)
        .where(Document.case_id == case.id, readable_documents(principal, grants))
        .order_by(Document.created_at.desc(), Document.id.desc())
        .limit(MAX_LISTED),
        _caller(principal, runtime),
    )
    documents = [to_read(d) for d in rows.scalars()]
    classes = readable_classes(grants)
    entry = access_entry(
        principal,
        "GET",
        "/v1/cases/{case_id}/documents",
        outcome="read",
        object_type="documents",
        object_id=str(case.id),
        object_ids=[d.id for d in documents],
        fields=[c.value for c in classes],
        occurred_at=runtime.now(),
    )
    await write_access_now(session, entry)
    return documents, classes


def _caller(principal: Principal, runtime: Runtime) -> dict[str, object]:
    """The caller's bind parameters, for a statement run straight on the session."""
    return caller_params(principal, runtime.now())


async def _readable(
    session: AsyncSession, runtime: Runtime, principal: Principal, document_id: uuid.UUID
) -> tuple[Document, CaseView]:
    """The document, if its case is visible (else 404) and the caller's relation reads its class
    (else 403)."""
    document = await first_checked(
        session,
        principal,
        select(Document).where(Document.id == document_id, visible_documents(principal)),
    )
    if document is None:
        raise not_found("document")
    case = await get_case_view(session, principal, document.case_id)
    grants = document_grants(principal, case.relations, assigned=case.assigned)
    readable = await session.execute(
        select(Document.id).where(Document.id == document.id, readable_documents(principal, grants)),
        _caller(principal, runtime),
    )
    if readable.first() is None:
        raise Problem(403, "Your relation to this case does not allow reading this document.")
    return document, case


async def get_document(
    session: AsyncSession, runtime: Runtime, principal: Principal, document_id: uuid.UUID
) -> DocumentRead:
    """A document's metadata: 404 when its case is not visible, 403 when its class is not
    readable through the caller's relation. Logged before the answer."""
    document, _ = await _readable(session, runtime, principal, document_id)
    await write_access_now(
        session,
        access_entry(
            principal,
            "GET",
            "/v1/documents/{document_id}",
            outcome="read",
            object_type="document",
            object_ids=[document.id],
            fields=[document.sensitivity],
            occurred_at=runtime.now(),
        ),
    )
    return to_read(document)


async def read_content(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    document_id: uuid.UUID,
    purpose: Purpose | None,
) -> tuple[Document, bytes]:
    """The document's bytes, decrypted: 404 / 403 as for its metadata; an identity or safety
    document also needs a purpose (422 without one) that the caller's field set for the case
    allows (else 403). The access-log row (who, when, purpose, class) is written in the request's
    transaction before the file is even read."""
    document, case = await _readable(session, runtime, principal, document_id)
    if Sensitivity(document.sensitivity) in PURPOSE_BOUND:
        if purpose is None:
            raise Problem(
                422,
                f"Reading a {document.sensitivity} document needs a purpose.",
                errors=[{"loc": ["query", "purpose"], "type": "missing", "msg": "Field required"}],
            )
        allowed = for_purpose(
            principal,
            case.relations,
            assigned=case.assigned,
            family_complicity=case.family_complicity,
            purpose=purpose,
        )
        if purpose not in allowed.purposes:
            raise Problem(403, f"Your relation to this case does not allow the purpose {purpose.value}.")
    await write_access_now(
        session,
        access_entry(
            principal,
            "GET",
            "/v1/documents/{document_id}/content",
            outcome="read",
            object_type="document",
            object_ids=[document.id],
            purpose=purpose.value if purpose is not None else None,
            fields=[document.sensitivity],
            occurred_at=runtime.now(),
        ),
    )
    try:
        sealed = await runtime.documents.get(document.storage_key)
        content = runtime.cipher.decrypt_bytes(
            sealed, document_context(document.id, document.case_id, document.sensitivity)
        )
    except (StorageError, VaultError) as exc:
        # Fail closed: a file missing, moved from another document, relabelled or tampered with
        # is never served.
        log.error("document failed its integrity check", extra={"document_id": str(document.id)})
        raise Problem(
            500, "This document failed its integrity check; the operator has been told."
        ) from exc
    if hashlib.sha256(content).hexdigest() != document.sha256:
        log.error("document does not match its digest", extra={"document_id": str(document.id)})
        raise Problem(500, "This document failed its integrity check; the operator has been told.")
    return document, content


def download_name(document: Document) -> str:
    """The file name a download carries: the document's id, never anything about her."""
    return f"{document.id}.{ALLOWED_MEDIA_TYPES.get(document.media_type, 'bin')}"


async def document_receipt(
    session: AsyncSession, runtime: Runtime, principal: Principal, document_id: uuid.UUID
) -> dict[str, object]:
    """What an Idempotency-Key replay of an upload shows: the metadata, as a GET would (same
    visibility and class rule), never the content."""
    document, _ = await _readable(session, runtime, principal, document_id)
    return to_read(document).model_dump(mode="json")
