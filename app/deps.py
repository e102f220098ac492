"""Request-scoped dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.current import CLOCK
from app.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _session(request: Request, write: bool) -> AsyncIterator[AsyncSession]:
    runtime = get_runtime(request)
    async with runtime.db.session(write=write) as session:
        session.info[CLOCK] = runtime.now
        request.state.db_session = session
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed after the handler returns and before the response is
    sent (``scope="function"``); rolled back if the handler raises. Services flush, never commit.
    Whether the caller's token is still current is checked by the first read a service makes
    (``app.auth.current.first_checked``), or by the guard before the response."""
    async for session in _session(request, write=request.method not in SAFE_METHODS):
        yield session


async def db_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For a GET that writes (an identity read logs itself in the request transaction): on SQLite a
    read transaction cannot become a write one once another connection has written, so it
    begins as a write (``BEGIN IMMEDIATE``) from the start."""
    async for session in _session(request, write=True):
        yield session


Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(db_write_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
