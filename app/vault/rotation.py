"""Key rotation for the identity vault (``homecoming keys rotate``) and for blind indexes
(``--blind-index``). Rows are re-encrypted in batches, each in a transaction of its own, without
changing any case's version; each run writes one maintenance event. Afterwards the retired key
can be removed from the keyring."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.events import SYSTEM, Change, ObjectRef, record_event
from app.cases.identity import write_blind_indexes
from app.cases.models import Case, CaseNote, IdentityRecord
from app.cases.notes import note_context
from app.cases.schemas import IdentityInput
from app.cases.vocab import IdentityField, Sensitivity
from app.documents.models import Document
from app.documents.service import document_context
from app.runtime import Runtime
from app.vault.crypto import Cipher

BATCH = 500
FIELDS = [f.value for f in IdentityField]
MAINTENANCE = ObjectRef("vault", uuid.UUID(int=0))


async def _batches(runtime: Runtime, model: Any, key: Any) -> Any:
    """Yield (session, rows) batch by batch, keyset-ordered by ``key``, one transaction each."""
    after: Any = None
    while True:
        async with runtime.db.transaction() as session:
            # Locked while rotated: a concurrent edit waits instead of being overwritten.
            query = select(model).order_by(key).limit(BATCH).with_for_update()
            if after is not None:
                query = query.where(key > after)
            rows = list((await session.execute(query)).scalars())
            if not rows:
                return
            yield session, rows
            after = getattr(rows[-1], key.key)


def _rotate_value(cipher: Cipher, stored: str | None, context: bytes) -> str | None:
    if stored is None or not cipher.needs_rotation(stored):
        return None
    return cipher.encrypt(cipher.decrypt(stored, context), context)


async def rotate_vault(runtime: Runtime) -> dict[str, Any]:
    """Re-encrypt every value not under the active key. Returns what it did."""
    cipher = runtime.cipher
    values = 0
    async for session, records in _batches(runtime, IdentityRecord, IdentityRecord.case_id):
        for record in records:
            changed = {}
            for field in FIELDS:
                context = Cipher.context("identity_records", record.case_id, field)
                fresh = _rotate_value(cipher, getattr(record, field), context)
                if fresh is not None:
                    changed[field] = fresh
            if changed:
                values += len(changed)
                await session.execute(
                    update(IdentityRecord)
                    .where(IdentityRecord.case_id == record.case_id)
                    .values(**changed)
                )
    async for session, cases in _batches(runtime, Case, Case.id):
        for case in cases:
            fresh = _rotate_value(cipher, case.placement, Cipher.context("cases", case.id, "placement"))
            if fresh is not None:
                values += 1
                # A plain UPDATE of one column: the case's version and updated_at stay as they were.
                await session.execute(update(Case).where(Case.id == case.id).values(placement=fresh))
    async for session, notes in _batches(runtime, CaseNote, CaseNote.id):
        for note in notes:
            if note.sensitivity == Sensitivity.GENERAL.value:
                continue
            context = note_context(note.id, note.case_id, note.sensitivity)
            fresh = _rotate_value(cipher, note.body, context)
            if fresh is not None:
                values += 1
                await session.execute(update(CaseNote).where(CaseNote.id == note.id).values(body=fresh))
    documents = await _rotate_documents(runtime)
    summary = {
        "active_key": cipher.active,
        "values_reencrypted": values,
        "documents_reencrypted": documents,
    }
    async with runtime.db.transaction() as session:
        await _maintenance_event(session, "vault.keys_rotated", summary)
    return summary


async def _rotate_documents(runtime: Runtime) -> int:
    """Re-encrypt each stored document file not under the active key. The file is replaced whole
    (write, then rename) before its row says which key it is under; the file itself names its
    key, so a run stopped between the two leaves it readable, and the next run finishes it."""
    cipher = runtime.cipher
    count = 0
    async for session, documents in _batches(runtime, Document, Document.id):
        for document in documents:
            sealed = await runtime.documents.get(document.storage_key)
            if cipher.bytes_key_id(sealed) != cipher.active:
                context = document_context(document.id, document.case_id, document.sensitivity)
                fresh = cipher.encrypt_bytes(cipher.decrypt_bytes(sealed, context), context)
                await runtime.documents.put(document.storage_key, fresh)
                count += 1
            if document.key_id != cipher.active:
                await session.execute(
                    update(Document).where(Document.id == document.id).values(key_id=cipher.active)
                )
    return count


async def rotate_blind_indexes(runtime: Runtime) -> dict[str, Any]:
    """Recompute every blind index under the active blind-index key (needs the plaintext)."""
    records = 0
    async for session, rows in _batches(runtime, IdentityRecord, IdentityRecord.case_id):
        for record in rows:
            terms: dict[str, Any] = {}
            for field in ("names", "aliases", "date_of_birth", "phones"):
                stored = getattr(record, field)
                if stored is not None:
                    context = Cipher.context("identity_records", record.case_id, field)
                    terms[field] = json.loads(runtime.cipher.decrypt(stored, context))
            await write_blind_indexes(
                session, runtime.blind_index, record.case_id, IdentityInput.model_validate(terms)
            )
            records += 1
    summary = {"active_key": runtime.blind_index.active, "records_reindexed": records}
    async with runtime.db.transaction() as session:
        await _maintenance_event(session, "vault.blind_index_rotated", summary)
    return summary


async def _maintenance_event(session: AsyncSession, action: str, summary: dict[str, Any]) -> None:
    await record_event(
        session,
        SYSTEM,
        action,
        [MAINTENANCE],
        [Change(MAINTENANCE, key, value) for key, value in summary.items()],
    )
