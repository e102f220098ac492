"""Disclosing identity: a read names a purpose and the fields it needs, is allowed only where the
caller's relation to the case grants those fields and that purpose, and is written to the access
log in the request's transaction, before the response. Search goes through blind indexes, over
cases whose identity the caller may read, and is rate-limited per user."""

from __future__ import annotations

import functools
import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Uuid,
    bindparam,
    exists,
    false,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import (
    ASSIGNED_TO_CALLER,
    Shape,
    field_set,
    for_purpose,
    relations_of,
    shape_of,
    visible_cases,
)
from app.audit.access_log import access_entry, read_logged, with_access_log, write_access_now
from app.audit.events import Actor, Change, ObjectRef, record_event
from app.auth import throttle
from app.auth.current import rows_checked
from app.auth.permissions import Role
from app.auth.principal import Principal
from app.cases import identity as vault
from app.cases.models import BlindIndex, Case, IdentityRecord
from app.cases.schemas import CaseSearch, IdentityInput, IdentityPatch, IdentityRead, SearchHit
from app.cases.service import get_case_row, get_case_view
from app.cases.vocab import IdentityField, Purpose
from app.concurrency import stale
from app.errors import Problem
from app.runtime import Runtime
from app.vault.crypto import VaultError
from app.vault.names import normalise_name, normalise_phone

log = logging.getLogger("homecoming.vault")

SEARCH_LIMIT = 50


def _entry(
    principal: Principal,
    route: str,
    method: str,
    outcome: str,
    purpose: Purpose,
    fields: list[str],
    object_ids: list[uuid.UUID],
    now: datetime,
) -> dict[str, Any]:
    return access_entry(
        principal,
        method,
        route,
        outcome=outcome,
        object_type="identity",
        object_ids=object_ids,
        purpose=purpose.value,
        fields=fields,
        occurred_at=now,
    )


async def _log(
    session: AsyncSession,
    principal: Principal,
    route: str,
    method: str,
    outcome: str,
    purpose: Purpose,
    fields: list[str],
    object_ids: list[uuid.UUID],
    now: datetime,
) -> None:
    """Unbuffered: identity changes and searches are logged before the answer leaves."""
    entry = _entry(principal, route, method, outcome, purpose, fields, object_ids, now)
    await write_access_now(session, entry)


# An identity record by case, and the same read carrying its access-log row.
_IDENTITY = select(*IdentityRecord.__table__.c).where(
    IdentityRecord.case_id == bindparam("case_id", type_=Uuid())
)
_IDENTITY_LOGGED = with_access_log(_IDENTITY)


async def read_identity(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    purpose: Purpose,
    fields: list[IdentityField],
) -> tuple[IdentityRead, int]:
    """The fields asked for, and the record's version (its ETag; 0 when it has none)."""
    case = await get_case_view(session, principal, case_id)
    relations, assigned = case.relations, case.assigned
    if not field_set(
        principal, relations, assigned=assigned, family_complicity=case.family_complicity
    ).identity_fields:
        raise Problem(403, "Your relation to this case gives no access to identity.")
    allowed = for_purpose(
        principal,
        relations,
        assigned=assigned,
        family_complicity=case.family_complicity,
        purpose=purpose,
    )
    if purpose not in allowed.purposes:
        raise Problem(403, f"Your relation to this case does not allow the purpose {purpose.value}.")
    refused = sorted(f.value for f in set(fields) - allowed.identity_fields)
    if refused:
        raise Problem(
            403, f"Your relation to this case does not allow these fields: {', '.join(refused)}."
        )
    entry = _entry(
        principal,
        "/v1/cases/{case_id}/identity",
        "GET",
        "read",
        purpose,
        [f.value for f in fields],
        [case.id],
        runtime.now(),
    )
    # The read and its log row together, committed before anything is decrypted or answered.
    found = await read_logged(session, _IDENTITY, _IDENTITY_LOGGED, {"case_id": case.id}, entry)
    try:
        values = vault.decrypt_fields(runtime.cipher, case.id, found[0], fields) if found else {}
    except VaultError as exc:
        # Fail closed: a value moved from another row or tampered with is never shown.
        log.error("identity record failed its integrity check", extra={"case_id": str(case.id)})
        raise Problem(
            500, "This identity record failed its integrity check; the operator has been told."
        ) from exc
    version = int(found[0]["version"]) if found else 0
    return IdentityRead(case_id=case.id, purpose=purpose, fields=values), version


def identity_readable(principal: Principal) -> ColumnElement[bool]:
    """Cases whose identity this principal may read: as the owner's supervisor or assigned staff,
    or as the competent authority (the same rule as ``field_set``, as SQL)."""
    return _identity_readable(shape_of(principal))


@functools.cache
def _identity_readable(shape: Shape) -> ColumnElement[bool]:
    relations = relations_of(shape)
    clauses: list[ColumnElement[bool]] = []
    if "owner" in relations:
        staff = true() if Role.SUPERVISOR in shape.roles else ASSIGNED_TO_CALLER
        clauses.append(relations["owner"] & staff)
    if "competent_authority" in relations:
        clauses.append(relations["competent_authority"])
    return or_(*clauses) if clauses else false()


def _matches(runtime: Runtime, kind: str, value: str) -> ColumnElement[bool]:
    return exists(
        select(BlindIndex.case_id).where(
            BlindIndex.case_id == Case.id,
            BlindIndex.kind == kind,
            BlindIndex.digest.in_(vault.digests(runtime.blind_index, kind, value)),
        )
    )


async def search(
    session: AsyncSession, runtime: Runtime, principal: Principal, data: CaseSearch
) -> list[SearchHit]:
    terms: list[tuple[str, str]] = []
    if data.name is not None and normalise_name(data.name):
        terms.append(("name", normalise_name(data.name)))
    if data.date_of_birth is not None:
        terms.append(("dob", data.date_of_birth.isoformat()))
    if data.phone is not None and len(normalise_phone(data.phone)) >= 6:
        terms.append(("phone", normalise_phone(data.phone)))
    if not terms:
        raise Problem(
            422,
            "Search by at least one of name, date_of_birth or phone.",
            errors=[{"loc": ["body"], "type": "no_search_terms", "msg": "No search terms"}],
        )
    settings = runtime.settings
    policy = throttle.ThrottlePolicy(
        max_failures=settings.search_per_minute,
        window=timedelta(minutes=1),
        lockout=timedelta(minutes=1),
    )
    key = throttle.throttle_key(runtime.secrets.throttle_key, "search", str(principal.id), "")
    async with runtime.db.transaction() as counting:
        retry_after = await throttle.reserve(counting, key, runtime.now(), policy)
    if retry_after is not None:
        raise Problem(
            429, "Too many searches; wait a minute.", headers={"Retry-After": str(retry_after)}
        )
    statement = (
        select(Case.id, Case.code)
        .where(visible_cases(principal), identity_readable(principal))
        .where(*[_matches(runtime, kind, value) for kind, value in terms])
        .order_by(Case.code)
        .limit(SEARCH_LIMIT)
    )
    rows = await rows_checked(session, principal, statement)
    hits = [SearchHit(id=row["id"], code=row["code"]) for row in rows]
    await _log(
        session,
        principal,
        "/v1/cases/search",
        "POST",
        "search",
        data.purpose,
        [kind for kind, _ in terms],
        [h.id for h in hits],
        runtime.now(),
    )
    return hits


async def update_identity(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    purpose: Purpose,
    patch: IdentityPatch,
    expected_version: int,
) -> int:
    """Change identity fields the caller's relation allows, for a stated purpose, against the
    identity version it read; the blind indexes follow. Returns the new version."""
    case, relations, assigned = await get_case_row(session, principal, case_id)
    allowed = for_purpose(
        principal,
        relations,
        assigned=assigned,
        family_complicity=case.flag_family_complicity,
        purpose=purpose,
    )
    sent = patch.model_dump(exclude_unset=True, mode="json")
    if not allowed.identity_fields or purpose not in allowed.purposes:
        raise Problem(
            403, "Your relation to this case does not allow changing its identity for this purpose."
        )
    refused = sorted(set(sent) - {f.value for f in allowed.identity_fields})
    if refused:
        raise Problem(
            403, f"Your relation to this case does not allow these fields: {', '.join(refused)}."
        )
    record = await session.get(IdentityRecord, case.id, with_for_update=True)
    if record is None:
        raise Problem(409, "This case has no identity record.")
    if record.version != expected_version:
        raise stale()
    cipher = runtime.cipher
    values: dict[str, str | None] = {}
    for field, value in sent.items():
        empty = value is None or value == []
        context = cipher.context("identity_records", case.id, field)
        values[field] = None if empty else cipher.encrypt(json.dumps(value), context)
    result = await session.execute(
        update(IdentityRecord)
        .where(IdentityRecord.case_id == case.id, IdentityRecord.version == expected_version)
        .values(**values, version=expected_version + 1, updated_at=runtime.now())
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise stale()
    await session.refresh(record)
    searchable = vault.decrypt_fields(
        cipher,
        case.id,
        {f.value: getattr(record, f.value) for f in IdentityField},
        [IdentityField.NAMES, IdentityField.ALIASES, IdentityField.DATE_OF_BIRTH, IdentityField.PHONES],
    )
    terms = {k: v for k, v in searchable.items() if v is not None}
    await vault.write_blind_indexes(
        session, runtime.blind_index, case.id, IdentityInput.model_validate(terms)
    )
    ref = ObjectRef("identity", case.id)
    await record_event(
        session,
        Actor.of(principal),
        "case.identity_updated",
        [ObjectRef("case", case.id)],
        [Change(ref, field, value) for field, value in sent.items()],
        case_id=case.id,
    )
    await _log(
        session,
        principal,
        "/v1/cases/{case_id}/identity",
        "PATCH",
        "write",
        purpose,
        sorted(sent),
        [case.id],
        runtime.now(),
    )
    return expected_version + 1
