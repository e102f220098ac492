"""Request builders of the role x endpoint matrix (tests/test_matrix.py) for the log's
checkpoint and proofs: the events the matrix's setup wrote (agencies, users) are sequenced first,
so an allowed caller gets an answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.ledger.worker import sequence_pending

Request = tuple[str, dict[str, Any]]


def _sequenced(h: Any) -> int:
    h.run(lambda: sequence_pending(h.runtime))
    size = int(h.sql("SELECT count(*) FROM log_leaves")[0][0])
    assert size >= 2, "the matrix's setup writes events"
    return size


def _checkpoint(h: Any, c: Any) -> Request:
    _sequenced(h)
    return "/v1/audit/checkpoint?fresh=true", {}


def _visible_case_history(h: Any, c: Any) -> Request:
    from tests.test_matrix import _visible_case

    case = _visible_case(h, c)
    _sequenced(h)
    return f"/v1/cases/{case.id}/history", {}


def _visible_case_access_log(h: Any, c: Any) -> Request:
    from tests.test_matrix import _visible_case

    return f"/v1/cases/{_visible_case(h, c).id}/access-log", {}


LEDGER_BUILDERS: dict[tuple[str, str], Callable[[Any, Any], Request]] = {
    ("GET", "/v1/cases/{case_id}/access-log"): _visible_case_access_log,
    ("GET", "/v1/cases/{case_id}/history"): _visible_case_history,
    ("GET", "/v1/audit/events"): lambda h, c: (f"/v1/audit/events?limit={_sequenced(h)}", {}),
    ("GET", "/v1/changes"): lambda h, c: ("/v1/changes", {}),
    ("GET", "/v1/audit/export"): lambda h, c: (f"/v1/audit/export?from=0&to={_sequenced(h)}", {}),
    ("GET", "/v1/audit/checkpoint"): _checkpoint,
    ("GET", "/v1/audit/proofs/inclusion"): lambda h, c: (
        f"/v1/audit/proofs/inclusion?seq=0&tree_size={_sequenced(h)}",
        {},
    ),
    ("GET", "/v1/audit/proofs/consistency"): lambda h, c: (
        f"/v1/audit/proofs/consistency?first=1&second={_sequenced(h)}",
        {},
    ),
}
