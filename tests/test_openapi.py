"""The committed OpenAPI document is the app's, with stable operation ids and documented errors."""

from __future__ import annotations

import json
from pathlib import Path

from app.openapi_export import render

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_document_matches_the_app() -> None:
    assert COMMITTED.read_text() == render(), "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_has_an_id_and_documents_its_errors() -> None:
    document = json.loads(render())
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ids.append(operation["operationId"])
            responses = set(operation["responses"])
            assert "500" in responses, (method, path)
            if "security" in operation:
                assert {"401", "403"} <= responses, (method, path)
                assert operation["x-permission"]
            if "{" in path:
                assert {"404", "422"} <= responses, (method, path)
            if "requestBody" in operation:
                assert "413" in responses, (method, path)
                content = operation["requestBody"]["content"]
                # JSON bodies, and uploads (whose media type is checked on the content).
                if "application/json" in content or "multipart/form-data" in content:
                    assert {"415", "422"} <= responses, (method, path)
                else:  # form-encoded OAuth endpoints answer RFC 6749 errors instead
                    assert "415" not in responses, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and "content" in response:
                    assert list(response["content"]) == ["application/problem+json"], (path, status)
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i for i in ids)
