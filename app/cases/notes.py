"""Case notes with a sensitivity class: ``general`` in plaintext, the others encrypted like
identity. Who reads which class is data in app/access/cases.py; identity-class notes also need a
purpose. Every read of notes is written to the access log before the answer."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import NOTE_WRITERS, field_set, note_classes
from app.audit.access_log import access_entry, write_access_now
from app.audit.events import Actor, Change, FieldClass, ObjectRef, record_event
from app.auth.principal import Principal
from app.cases.models import CaseNote
from app.cases.schemas import NoteCreate, NoteRead
from app.cases.service import get_case_row, get_case_view
from app.cases.vocab import Purpose, Sensitivity
from app.errors import Problem, not_found
from app.runtime import Runtime
from app.vault.crypto import Cipher

MAX_NOTES = 200


def note_context(note_id: uuid.UUID, case_id: uuid.UUID, sensitivity: str) -> bytes:
    """Bound to the note, its case and its class: moved to another case, or relabelled to a class
    that needs no purpose, it no longer decrypts."""
    return Cipher.context("case_notes", f"{note_id}|{case_id}|{sensitivity}", "body")


def _read(runtime: Runtime, note: CaseNote) -> NoteRead:
    body = note.body
    if note.sensitivity != Sensitivity.GENERAL.value:
        body = runtime.cipher.decrypt(body, note_context(note.id, note.case_id, note.sensitivity))
    return NoteRead(
        id=note.id,
        case_id=note.case_id,
        sensitivity=Sensitivity(note.sensitivity),
        body=body,
        author_id=note.author_id,
        author_agency_id=note.author_agency_id,
        created_at=note.created_at,
    )


async def add_note(
    session: AsyncSession, runtime: Runtime, principal: Principal, case_id: uuid.UUID, data: NoteCreate
) -> NoteRead:
    case, relations, assigned = await get_case_row(session, principal, case_id)
    if not relations & NOTE_WRITERS:
        raise Problem(
            403, "Notes are written by the owning agency and the authority seized of the case."
        )
    if data.sensitivity not in note_classes(principal, relations, assigned=assigned):
        raise Problem(403, f"You may not write {data.sensitivity.value} notes on this case.")
    note_id = uuid.uuid4()
    general = data.sensitivity is Sensitivity.GENERAL
    body = (
        data.body
        if general
        else runtime.cipher.encrypt(data.body, note_context(note_id, case.id, data.sensitivity.value))
    )
    note = CaseNote(
        id=note_id,
        case_id=case.id,
        sensitivity=data.sensitivity.value,
        body=body,
        author_id=principal.id,
        author_agency_id=principal.agency_id,
        created_at=runtime.now(),
    )
    session.add(note)
    await session.flush()
    ref = ObjectRef("note", note_id)
    await record_event(
        session,
        Actor.of(principal),
        "case.note_added",
        [ObjectRef("case", case.id), ref],
        [
            Change(ref, "sensitivity", data.sensitivity.value),
            Change(
                ref, "body", data.body, klass=None if general else FieldClass(data.sensitivity.value)
            ),
        ],
        case_id=case.id,
    )
    return _read(runtime, note)


async def list_notes(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    purpose: Purpose | None,
) -> tuple[list[NoteRead], frozenset[Sensitivity]]:
    case = await get_case_view(session, principal, case_id)
    relations, assigned = case.relations, case.assigned
    classes = set(note_classes(principal, relations, assigned=assigned))
    allowed = field_set(
        principal, relations, assigned=assigned, family_complicity=case.family_complicity
    )
    if purpose is None or purpose not in allowed.purposes:
        classes.discard(Sensitivity.IDENTITY)
    rows = await session.execute(
        select(CaseNote)
        .where(CaseNote.case_id == case.id, CaseNote.sensitivity.in_([c.value for c in classes]))
        .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())
        .limit(MAX_NOTES)
    )
    notes = [_read(runtime, note) for note in rows.scalars()]
    entry = access_entry(
        principal,
        "GET",
        "/v1/cases/{case_id}/notes",
        outcome="read",
        object_type="notes",
        object_id=str(case.id),
        object_ids=[n.id for n in notes],
        purpose=purpose.value if purpose else None,
        fields=[c.value for c in classes],
        occurred_at=runtime.now(),
    )
    await write_access_now(session, entry)
    return notes, frozenset(classes)


async def note_receipt(
    session: AsyncSession, principal: Principal, note_id: uuid.UUID
) -> dict[str, str]:
    """What an Idempotency-Key replay of a note shows: that it exists, never its body (the
    client sent the body; a replay must not become an unlogged read of an identity note)."""
    note = await session.get(CaseNote, note_id)
    if note is None:
        raise not_found("note")
    await get_case_view(session, principal, note.case_id)
    return {
        "id": str(note.id),
        "case_id": str(note.case_id),
        "sensitivity": note.sensitivity,
        "author_id": str(note.author_id),
        "author_agency_id": str(note.author_agency_id),
        "created_at": note.created_at.isoformat(),
    }
