"""The identity record: encrypting it field by field, its blind indexes, and the repeat-victim check.

Each field is stored as JSON inside one vault ciphertext bound to (identity_records, case id,
field). Blind indexes hold keyed hashes of normalised names, the date of birth and phones, under
every key of the blind-index keyring when searching, so a key rotation in progress finds both.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.audit.events import SYSTEM, Change, ObjectRef, record_event
from app.cases.models import BlindIndex, Case, IdentityRecord
from app.cases.schemas import IdentityInput
from app.cases.vocab import IdentityField
from app.vault.crypto import BlindIndexer, Cipher
from app.vault.names import normalise_name, normalise_phone

TABLE = "identity_records"


def _context(case_id: uuid.UUID, field: str) -> bytes:
    return Cipher.context(TABLE, case_id, field)


def encrypt_identity(
    cipher: Cipher, case_id: uuid.UUID, identity: IdentityInput
) -> dict[str, str | None]:
    """Column values for an identity record: a ciphertext per field that has a value."""
    values: dict[str, str | None] = {}
    for field, value in identity.model_dump(mode="json").items():
        empty = value is None or value == []
        values[field] = None if empty else cipher.encrypt(json.dumps(value), _context(case_id, field))
    return values


def decrypt_fields(
    cipher: Cipher, case_id: uuid.UUID, stored: Mapping[str, Any], fields: Iterable[IdentityField]
) -> dict[str, Any]:
    """The plaintext of ``fields`` (None where empty) from an identity record's stored values
    (its columns). A value that does not decrypt here raises VaultError: fail closed, never a wrong
    person's data."""
    found: dict[str, Any] = {}
    for field in fields:
        value = stored[field.value]
        found[field.value] = (
            None if value is None else json.loads(cipher.decrypt(value, _context(case_id, field.value)))
        )
    return found


def search_terms(identity: IdentityInput) -> list[tuple[str, str]]:
    """(kind, normalised value) pairs to index: every name and alias, the date of birth, phones."""
    terms: set[tuple[str, str]] = set()
    for name in [*identity.names, *identity.aliases]:
        normal = normalise_name(name)
        if normal:
            terms.add(("name", normal))
    if identity.date_of_birth is not None:
        terms.add(("dob", identity.date_of_birth.isoformat()))
    for phone in identity.phones:
        normal = normalise_phone(phone)
        if len(normal) >= 6:
            terms.add(("phone", normal))
    return sorted(terms)


async def write_blind_indexes(
    session: AsyncSession, indexer: BlindIndexer, case_id: uuid.UUID, identity: IdentityInput
) -> None:
    await session.execute(delete(BlindIndex).where(BlindIndex.case_id == case_id))
    rows = [
        {
            "case_id": case_id,
            "kind": kind,
            "digest": indexer.digest(kind, value),
            "key_id": indexer.active,
        }
        for kind, value in search_terms(identity)
    ]
    if rows:
        await session.execute(insert(BlindIndex), rows)


def digests(indexer: BlindIndexer, kind: str, value: str) -> list[str]:
    """The digest of ``value`` under every blind-index key (old rows may not be re-indexed yet)."""
    return [indexer.digest(kind, value, kid) for kid in indexer.keys]


async def flag_possible_repeats(
    session: AsyncSession, indexer: BlindIndexer, case: Case, identity: IdentityInput
) -> bool:
    """Flag ``case`` and every earlier case that shares its normalised name and date of birth, or a
    phone. Each earlier case's flag is an event of the ``system`` actor naming only that case; no
    one learns the other case or agency from it. Returns whether a match was found."""
    terms = search_terms(identity)
    names = [d for kind, value in terms if kind == "name" for d in digests(indexer, kind, value)]
    dobs = [d for kind, value in terms if kind == "dob" for d in digests(indexer, kind, value)]
    phones = [d for kind, value in terms if kind == "phone" for d in digests(indexer, kind, value)]
    conditions = []
    if phones:
        conditions.append(
            select(BlindIndex.case_id).where(BlindIndex.kind == "phone", BlindIndex.digest.in_(phones))
        )
    if names and dobs:
        by_name, by_dob = aliased(BlindIndex), aliased(BlindIndex)
        conditions.append(
            select(by_name.case_id)
            .join(by_dob, and_(by_dob.case_id == by_name.case_id, by_dob.kind == "dob"))
            .where(by_name.kind == "name", by_name.digest.in_(names), by_dob.digest.in_(dobs))
        )
    if not conditions:
        return False
    earlier: set[uuid.UUID] = set()
    for condition in conditions:
        earlier |= {found for found in (await session.execute(condition)).scalars() if found != case.id}
    if not earlier:
        return False
    case.flag_possible_repeat = True
    for other_id in sorted(earlier):
        flagged = await session.execute(
            update(Case)
            .where(Case.id == other_id, Case.flag_possible_repeat.is_(False))
            .values(flag_possible_repeat=True, version=Case.version + 1)
        )
        if cast(CursorResult[Any], flagged).rowcount:
            ref = ObjectRef("case", other_id)
            await record_event(
                session,
                SYSTEM,
                "case.flagged_possible_repeat",
                [ref],
                [Change(ref, "flags.possible_repeat", True, False)],
                case_id=other_id,
            )
    return True


async def store_identity(
    session: AsyncSession,
    cipher: Cipher,
    indexer: BlindIndexer,
    case_id: uuid.UUID,
    identity: IdentityInput,
) -> None:
    await session.execute(
        insert(IdentityRecord).values(
            case_id=case_id, version=1, **encrypt_identity(cipher, case_id, identity)
        )
    )
    await write_blind_indexes(session, indexer, case_id, identity)
