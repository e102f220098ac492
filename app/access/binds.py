"""The caller's identifiers as bind parameters.

Visibility SQL depends on two things: the *shape* of the principal (user or client, agency type,
roles, national or state body), which decides which relations can hold, and its identifiers (agency,
id, state), which the relations compare against. Building SQL expressions costs more per request than
running them, so the relations are built once per shape with these bind parameters in place of the
identifiers, and every statement that uses them is executed with ``caller_params`` (the helpers in
``app.auth.current`` add them to every checked read).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, String, Uuid, bindparam

from app.auth.principal import Principal
from app.db import UTCDateTime

AGENCY = "caller_agency"
ID = "caller_id"
STATE = "caller_state"
# The request's clock: what "now" means to a condition (a transfer deadline breached), so that a
# test's clock decides it as it decides everything else.
NOW = "caller_now"


def caller_agency() -> BindParameter[Any]:
    return bindparam(AGENCY, type_=Uuid())


def caller_id() -> BindParameter[Any]:
    return bindparam(ID, type_=Uuid())


def caller_state() -> BindParameter[Any]:
    return bindparam(STATE, type_=String())


def caller_now() -> BindParameter[Any]:
    return bindparam(NOW, type_=UTCDateTime())


def caller_params(principal: Principal, now: datetime) -> dict[str, Any]:
    return {AGENCY: principal.agency_id, ID: principal.id, STATE: principal.agency_state, NOW: now}
