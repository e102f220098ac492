"""The caller's identifiers as bind parameters.

Visibility SQL depends on two things: the *shape* of the principal (user or client, agency type,
roles, national or state body), which decides which relations can hold, and its identifiers (agency,
id, state), which the relations compare against. Building SQL expressions costs more per request than
running them, so the relations are built once per shape with these bind parameters in place of the
identifiers, and every statement that uses them is executed with ``caller_params`` (the helpers in
``app.auth.current`` add them to every checked read).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, String, Uuid, bindparam

from app.auth.principal import Principal

AGENCY = "caller_agency"
ID = "caller_id"
STATE = "caller_state"


def caller_agency() -> BindParameter[Any]:
    return bindparam(AGENCY, type_=Uuid())


def caller_id() -> BindParameter[Any]:
    return bindparam(ID, type_=Uuid())


def caller_state() -> BindParameter[Any]:
    return bindparam(STATE, type_=String())


def caller_params(principal: Principal) -> dict[str, Any]:
    return {AGENCY: principal.agency_id, ID: principal.id, STATE: principal.agency_state}
