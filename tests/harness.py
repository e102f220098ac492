"""Test harness: one migrated database per test worker, the app behind a TestClient, and helpers that
create agencies, users and tokens directly (sign-in itself is tested in tests/auth)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app import admin
from app.agencies.models import Agency
from app.auth.models import AuthSession
from app.auth.permissions import AgencyType, Role
from app.auth.principal import Principal
from app.clients.models import MachineClient
from app.runtime import Runtime
from app.users.models import User

T = TypeVar("T")
PASSWORD = "correct horse battery staple"

# A default state for agency types that need one.
STATE_OF_TYPE: dict[AgencyType, str | None] = {t: "IN-MH" for t in AgencyType}
STATE_OF_TYPE[AgencyType.PLATFORM] = None


class Clock:
    """A settable clock for the runtime: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self.frozen if self.frozen is not None else datetime.now(UTC)

    def freeze(self, at: datetime | None = None) -> datetime:
        self.frozen = at or datetime.now(UTC)
        return self.frozen

    def advance(self, **delta: float) -> datetime:
        self.frozen = self() + timedelta(**delta)
        return self.frozen


@dataclass
class Harness:
    client: TestClient
    runtime: Runtime
    owner_engine: AsyncEngine
    password_hash: str
    clock: Clock

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        portal = self.client.portal
        assert portal is not None
        return portal.call(fn, *args)

    # --- direct database access (as the schema owner) -------------------------------------------

    def sql(self, statement: str, *, flush: bool = True, **params: Any) -> list[Any]:
        """Run SQL as the schema owner; buffered access-log rows are written first, unless
        ``flush`` is False (to see what the background task alone has written)."""

        async def go() -> list[Any]:
            if flush:
                await self.runtime.access_log.flush()
            async with self.owner_engine.begin() as conn:
                result = await conn.execute(text(statement), params)
                return list(result.fetchall()) if result.returns_rows else []

        return self.run(go)

    def events(self, action: str | None = None) -> list[Any]:
        query = "SELECT action, actor_type, actor_id, objects, changes, case_id FROM audit_events"
        if action is not None:
            return self.sql(query + " WHERE action = :a", a=action)
        return self.sql(query)

    # --- factories ------------------------------------------------------------------------------

    def agency(
        self,
        agency_type: AgencyType = AgencyType.NGO,
        state: str | type[Ellipsis] | None = ...,  # type: ignore[valid-type]
        name: str | None = None,
        district: str | None = None,
    ) -> Agency:
        chosen = STATE_OF_TYPE[agency_type] if state is ... else state

        async def go() -> Agency:
            async with self.runtime.db.transaction() as session:
                return await admin.create_agency(
                    session,
                    name or f"{agency_type.value} {uuid.uuid4().hex[:8]}",
                    agency_type,
                    chosen,  # type: ignore[arg-type]
                    district,
                )

        return self.run(go)

    def user(self, agency: Agency, *roles: Role, username: str | None = None) -> User:
        async def go() -> User:
            async with self.runtime.db.transaction() as session:
                return await admin.create_user(
                    session,
                    self.runtime,
                    agency.id,
                    username or f"u{uuid.uuid4().hex[:12]}",
                    list(roles),
                    PASSWORD,
                    password_hash=self.password_hash,
                )

        return self.run(go)

    def token(self, user: User, roles: Sequence[Role] | None = None) -> str:
        """Mint an access token for ``user`` directly (a real session row; no sign-in)."""

        async def go() -> str:
            async with self.runtime.db.transaction() as session:
                now = self.runtime.now()
                auth = AuthSession(user_id=user.id, created_at=now, expires_at=now + timedelta(days=1))
                session.add(auth)
                await session.flush()
                agency = await session.get(Agency, user.agency_id)
                fresh = await session.get(User, user.id)
                assert agency is not None
                assert fresh is not None
                from app.users.service import roles_of

                held = (await roles_of(session, [user.id]))[user.id]
                return self.runtime.tokens.issue_access(
                    kind="user",
                    subject_id=user.id,
                    agency_id=agency.id,
                    agency_type=AgencyType(agency.type),
                    agency_state=agency.state,
                    roles=[r.value for r in (roles if roles is not None else held)],
                    scopes=[],
                    session_id=auth.id,
                    authz_version=fresh.authz_version,
                    now=now,
                )

        return self.run(go)

    def machine_client(self, agency: Agency, scopes: list[str]) -> tuple[MachineClient, str]:
        async def go() -> tuple[MachineClient, str]:
            async with self.runtime.db.transaction() as session:
                return await admin.create_client(session, self.runtime, agency.id, "svc", scopes)

        return self.run(go)

    def client_token(self, client: MachineClient, secret: str, scope: str | None = None) -> str:
        data = {
            "grant_type": "client_credentials",
            "client_id": str(client.id),
            "client_secret": secret,
        }
        if scope is not None:
            data["scope"] = scope
        response = self.client.post("/v1/auth/token", data=data)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def case(
        self,
        owner: Agency,
        *,
        authority: Agency | None = None,
        parties: Sequence[Agency] = (),
        assign: Sequence[User] = (),
        victim: dict[str, Any] | None = None,
        state: str = "IN-MH",
    ) -> Any:
        """A rescue event with one case owned by ``owner`` (recorded as its staff would), then the
        CWC or Magistrate seized of it and the assigned staff set directly."""
        from app.cases import service as cases
        from app.cases.models import Case, CaseAssignee
        from app.cases.schemas import RescueEventCreate

        body = {
            "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "state": state,
            "district": "Mumbai City",
            "rescue_type": "raid",
            "lead_agency_id": str(owner.id),
            "participating_agency_ids": [str(p.id) for p in parties],
            "victims": [
                victim
                or {
                    "track": "child",
                    "sex": "Female",
                    "age_claimed": 14,
                    "exploitation_types": ["sexual"],
                    "home_state": "IN-WB",
                    "identity": {"names": ["Sunita Kumari"], "date_of_birth": "2012-03-04"},
                }
            ],
        }
        staff = Principal(
            kind="user",
            id=uuid.uuid4(),
            agency_id=owner.id,
            agency_type=AgencyType(owner.type),
            agency_state=owner.state,
            roles=frozenset({Role.CASEWORKER}),
            permissions=frozenset(),
            session_id=uuid.uuid4(),
            authz_version=1,
        )

        async def go() -> Any:
            async with self.runtime.db.transaction() as session:
                _, made = await cases.create_rescue_event(
                    session, self.runtime, staff, RescueEventCreate.model_validate(body)
                )
                case = made[0]
                if authority is not None:
                    await session.execute(
                        update(Case)
                        .where(Case.id == case.id)
                        .values(competent_authority_id=authority.id)
                    )
                for user in assign:
                    session.add(CaseAssignee(case_id=case.id, user_id=user.id))
                await session.flush()
                return case

        return self.run(go)

    @contextmanager
    def statements(self) -> Iterator[list[str]]:
        """The SQL that SQLAlchemy's engines send while the block runs (the driver's, straight on
        asyncpg, is not seen)."""
        sent: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            sent.append(statement)

        db = self.runtime.db
        engines = {id(e.sync_engine): e.sync_engine for e in (db.engine, db.read_engine)}.values()
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        try:
            yield sent
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", count)

    def auth(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def person(
        self, agency_type: AgencyType, *roles: Role, **kwargs: Any
    ) -> tuple[User, dict[str, str]]:
        """An agency of ``agency_type``, a user in it with ``roles``, and its auth header."""
        user = self.user(self.agency(agency_type, **kwargs), *roles)
        return user, self.auth(user)
