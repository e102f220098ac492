"""Disclosing identity: a read names a purpose and the fields it needs, is allowed only where the
caller's relation to the case grants those fields and that purpose, and is written to the access
log in the request's transaction, before the response. Search goes through blind indexes, over
cases whose identity the caller may read, and is rate-limited per user."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, false, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import assigned_to, field_set, relation_columns, visible_cases
from app.audit.models import AccessLogEntry
from app.auth import throttle
from app.auth.current import rows_checked
from app.auth.permissions import Role
from app.auth.principal import Principal
from app.cases import identity as vault
from app.cases.models import BlindIndex, Case, IdentityRecord
from app.cases.schemas import CaseSearch, IdentityRead, SearchHit
from app.cases.service import get_case_row
from app.cases.vocab import IdentityField, Purpose
from app.context import request_id_var
from app.errors import Problem
from app.runtime import Runtime
from app.vault.crypto import VaultError
from app.vault.names import normalise_name, normalise_phone

log = logging.getLogger("homecoming.vault")

SEARCH_LIMIT = 50


async def _log(
    session: AsyncSession,
    principal: Principal,
    route: str,
    method: str,
    outcome: str,
    purpose: Purpose,
    fields: list[str],
    object_ids: list[uuid.UUID],
    now: Any,
) -> None:
    """Unbuffered: identity reads and searches are logged before the answer leaves."""
    await session.execute(
        insert(AccessLogEntry).values(
            id=uuid.uuid4(),
            occurred_at=now,
            principal_type=principal.kind,
            principal_id=principal.id,
            agency_id=principal.agency_id,
            method=method,
            route=route,
            status=200,
            outcome=outcome,
            object_type="identity",
            object_id=str(object_ids[0]) if len(object_ids) == 1 else None,
            purpose=purpose.value,
            fields=sorted(fields),
            object_ids=[str(i) for i in object_ids],
            request_id=request_id_var.get(),
        )
    )


async def read_identity(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    purpose: Purpose,
    fields: list[IdentityField],
) -> IdentityRead:
    case, relations, assigned = await get_case_row(session, principal, case_id)
    allowed = field_set(
        principal, relations, assigned=assigned, family_complicity=case.flag_family_complicity
    )
    if not allowed.identity_fields:
        raise Problem(403, "Your relation to this case gives no access to identity.")
    if purpose not in allowed.purposes:
        raise Problem(403, f"Your relation to this case does not allow the purpose {purpose.value}.")
    refused = sorted(f.value for f in set(fields) - allowed.identity_fields)
    if refused:
        raise Problem(
            403, f"Your relation to this case does not allow these fields: {', '.join(refused)}."
        )
    record = await session.get(IdentityRecord, case.id)
    try:
        values = {} if record is None else vault.decrypt_fields(runtime.cipher, record, fields)
    except VaultError as exc:
        # Fail closed: a value moved from another row or tampered with is never shown.
        log.error("identity record failed its integrity check", extra={"case_id": str(case.id)})
        raise Problem(
            500, "This identity record failed its integrity check; the operator has been told."
        ) from exc
    await _log(
        session,
        principal,
        "/v1/cases/{case_id}/identity",
        "GET",
        "read",
        purpose,
        [f.value for f in fields],
        [case.id],
        runtime.now(),
    )
    return IdentityRead(case_id=case.id, purpose=purpose, fields=values)


def identity_readable(principal: Principal) -> ColumnElement[bool]:
    """Cases whose identity this principal may read: as the owner's supervisor or assigned staff,
    or as the competent authority (the same rule as ``field_set``, as SQL)."""
    relations = relation_columns(principal)
    clauses: list[ColumnElement[bool]] = []
    if "owner" in relations:
        staff = true() if Role.SUPERVISOR in principal.roles else assigned_to(principal)
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
    hits = [SearchHit(id=case_id, code=code) for case_id, code in (tuple(row) for row in rows)]
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
