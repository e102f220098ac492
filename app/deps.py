"""Request-scoped dependencies shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.current import CLOCK
from app.driver import ONE_TRANSACTION
from app.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    # ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, a thread hop per request.
    return runtime_of(request)


def _open(request: Request, write: bool) -> AsyncSession:
    existing: AsyncSession | None = getattr(request.state, "db_session", None)
    if existing is not None:
        return existing
    runtime = runtime_of(request)
    session = runtime.db.session(write=write)
    session.info[CLOCK] = runtime.now
    session.info[ONE_TRANSACTION] = bool(getattr(request.state, "one_transaction", False))
    request.state.db_session = session
    return session


async def end_request_session(request: Request, *, commit: bool) -> None:
    """Commit (or roll back) and close the request's session, if a handler opened one. Called by
    ``GuardedRoute`` after the handler returns and before the response is sent."""
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    if session is None:
        return
    request.state.db_session = None
    if not session.in_transaction():
        # Never connected (its reads went to the driver, or it had none): nothing to end.
        return
    try:
        if commit:
            await session.commit()
        else:
            await session.rollback()
    finally:
        await session.close()


async def db_session(request: Request) -> AsyncSession:
    """One transaction per request, opened when the handler first needs it and ended by the route
    (``GuardedRoute``): committed after the handler returns and before the response is sent, rolled
    back if the handler raises. Services flush, never commit. Whether the caller's token is still
    current is checked by the first read a service makes (``app.auth.current.first_checked``), or by
    the guard before the response. (Not a generator dependency: FastAPI's exit stack for those
    costs more per request than the read it wraps.)"""
    return _open(request, write=request.method not in SAFE_METHODS)


async def db_write_session(request: Request) -> AsyncSession:
    """For a GET that writes (an identity read logs itself in the request transaction): on SQLite a
    read transaction cannot become a write one once another connection has written, so it
    begins as a write (``BEGIN IMMEDIATE``) from the start."""
    return _open(request, write=True)


Session = Annotated[AsyncSession, Depends(db_session)]
WriteSession = Annotated[AsyncSession, Depends(db_write_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
