"""Request-scoped dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.current import require_current
from app.auth.principal import Principal
from app.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed after the handler returns and before the response is
    sent (``scope="function"``); rolled back if the handler raises. Services flush, never commit.

    For an authenticated request, the transaction's first statement checks that the token is still
    current, so that what the handler then does (even to the caller's own roles or session) is
    judged by the standing the caller had when the request began."""
    runtime = get_runtime(request)
    principal: Principal | None = getattr(request.state, "principal", None)
    async with runtime.db.session(write=request.method not in SAFE_METHODS) as session:
        request.state.db_session = session
        async with session.begin():
            if principal is not None:
                await require_current(session, principal, runtime.now())
            yield session


Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
