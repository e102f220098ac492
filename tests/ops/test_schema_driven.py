"""Schema-driven requests (schemathesis) against a live server, as several principals: no 5xx,
every status and media type is one the OpenAPI document declares, and bodies match their schemas.
Bounded by an example count per operation, so it stays a few seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.ops.live import LiveServer, live_server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(Path(tmp_path_factory.mktemp("schema"))) as running:
        yield running


def _conforms(operation: Any, headers: dict[str, str]) -> Callable[[], None]:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        # No shrinking: each example is an HTTP round trip; the failure report is enough.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    return run  # type: ignore[no-any-return]


@pytest.mark.parametrize("username", ["sysadmin", "mh.ngo.admin", "mh.ngo.caseworker"])
def test_every_operation_conforms(server: LiveServer, username: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # A fresh token per operation: revocation and password changes end the previous one.
        headers = {"Authorization": f"Bearer {server.token(username)}"}
        try:
            _conforms(operation, headers)()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:500]}")
    assert failures == []
