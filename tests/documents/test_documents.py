"""Case documents: uploaded in a sensitivity class, stored encrypted outside the database, read by
relation and class, identity and safety documents only for a stated purpose, every read logged
before the answer."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.formparsers import MultiPartParser

from app.auth.permissions import AgencyType, Role
from tests.documents.support import (
    GIF_BYTES,
    MARKER,
    PDF_BYTES,
    PNG_BYTES,
    TEXT_BYTES,
    fixed_boundary,
    upload_kwargs,
)
from tests.harness import Harness


def _store(h: Harness) -> Path:
    return h.runtime.settings.effective_document_dir


def _stored_files(h: Harness) -> list[Path]:
    root = _store(h)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def _empty_store(h: Harness) -> Any:
    """Every test starts and ends with no stored file (the database is emptied by ``h``)."""
    for path in _stored_files(h):
        path.unlink()
    yield
    for path in _stored_files(h):
        path.unlink()


class Setting:
    """A case with an owning NGO (supervisor, assigned and unassigned caseworkers), the CWC seized
    of it and a police station of its rescue."""

    def __init__(self, h: Harness) -> None:
        self.ngo = h.agency(AgencyType.NGO, "IN-MH")
        assigned = h.user(self.ngo, Role.CASEWORKER)
        self.supervisor = h.auth(h.user(self.ngo, Role.SUPERVISOR))
        self.assigned = h.auth(assigned)
        self.unassigned = h.auth(h.user(self.ngo, Role.CASEWORKER))
        self.cwc = h.agency(AgencyType.CWC, "IN-MH")
        self.member = h.auth(h.user(self.cwc, Role.CWC_MEMBER))
        self.police = h.agency(AgencyType.POLICE, "IN-MH")
        self.officer = h.auth(h.user(self.police, Role.POLICE_OFFICER))
        self.case = h.case(self.ngo, authority=self.cwc, parties=[self.police], assign=[assigned])
        self.url = f"/v1/cases/{self.case.id}/documents"

    def upload(self, h: Harness, sensitivity: str, content: bytes = PDF_BYTES, **kw: Any) -> Any:
        made = h.client.post(
            self.url, headers=self.supervisor, **upload_kwargs(content, sensitivity=sensitivity, **kw)
        )
        assert made.status_code == 201, made.text
        return made.json()


def test_upload_and_download_round_trip(h: Harness) -> None:
    s = Setting(h)
    occurred = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    made = h.client.post(
        s.url,
        headers=s.supervisor,
        **upload_kwargs(PDF_BYTES, kind="fir", occurred_at=occurred.isoformat()),
    )
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    meta = made.json()
    assert meta["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert meta["size_bytes"] == len(PDF_BYTES)
    assert meta["media_type"] == "application/pdf"
    assert meta["kind"] == "fir"
    assert meta["sensitivity"] == "general"
    assert datetime.fromisoformat(meta["occurred_at"]) == occurred
    assert meta["case_id"] == str(s.case.id)
    # Nothing about where or how it is stored, and never the name the client gave.
    assert not {"storage_key", "key_id", "filename"} & set(meta)
    assert "sunita" not in made.text.lower()

    content = h.client.get(f"/v1/documents/{meta['id']}/content", headers=s.assigned)
    assert content.status_code == 200, content.text
    assert content.content == PDF_BYTES
    assert hashlib.sha256(content.content).hexdigest() == meta["sha256"]
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["cache-control"] == "no-store"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"] == f'attachment; filename="{meta["id"]}.pdf"'

    read = h.client.get(f"/v1/documents/{meta['id']}", headers=s.member)
    assert read.status_code == 200
    assert read.json() == meta
    png = s.upload(h, "general", PNG_BYTES, kind="order", filename="photo.png", label="image/png")
    listed = h.client.get(s.url, headers=s.supervisor).json()
    assert [d["id"] for d in listed["items"]] == [png["id"], meta["id"]]  # newest first
    png_content = h.client.get(f"/v1/documents/{png['id']}/content", headers=s.supervisor)
    assert png_content.headers["content-type"] == "image/png"
    assert png_content.headers["content-disposition"] == f'attachment; filename="{png["id"]}.png"'


def test_no_plaintext_on_disk_or_in_the_database(h: Harness) -> None:
    s = Setting(h)
    ids = [s.upload(h, sensitivity)["id"] for sensitivity in ("general", "identity")]
    files = _stored_files(h)
    # One file per document, named by its id alone (no name, no case code), only its owner reads it.
    assert sorted(p.name for p in files) == sorted(ids)
    for path in files:
        raw = path.read_bytes()
        assert MARKER not in raw
        assert b"%PDF" not in raw
        assert raw.startswith(b"v1.k1.")
        assert path.stat().st_mode & 0o077 == 0
    rows = repr(h.sql("SELECT * FROM documents")) + repr(h.sql("SELECT changes FROM audit_events"))
    assert MARKER.decode() not in rows
    assert "sunita" not in rows.lower()  # the original file name is kept nowhere


def test_size_limit_is_413_and_only_the_upload_route_takes_large_bodies(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Setting(h)
    # Above the global 1 MiB JSON limit, well under the 10 MiB document limit: accepted.
    big = PDF_BYTES + b"0" * (1024 * 1024 + 4096)
    made = h.client.post(s.url, headers=s.supervisor, **upload_kwargs(big))
    assert made.status_code == 201, made.text
    assert made.json()["size_bytes"] == len(big)
    # Held in memory while parsed: the plaintext never spools to a temporary file on disk.
    assert MultiPartParser.spool_max_size > len(big)
    # A JSON route keeps 1 MiB.
    note = h.client.post(
        f"/v1/cases/{s.case.id}/notes",
        headers=s.supervisor,
        json={"sensitivity": "general", "body": "x" * (1024 * 1024 + 10)},
    )
    assert note.status_code == 413
    # Over the document limit: 413 from the route (file too big) and from the body limit.
    monkeypatch.setattr(h.runtime.settings, "document_max_bytes", 2048)
    over = h.client.post(s.url, headers=s.supervisor, **upload_kwargs(PDF_BYTES + b"0" * 4096))
    assert over.status_code == 413
    assert over.headers["content-type"] == "application/problem+json"
    framed = h.client.post(s.url, headers=s.supervisor, **upload_kwargs(big))
    assert framed.status_code == 413
    assert len(h.sql("SELECT id FROM documents")) == 1
    assert len(_stored_files(h)) == 1


def test_media_type_is_judged_by_the_content(h: Harness) -> None:
    s = Setting(h)
    for content, label in (
        (TEXT_BYTES, "application/pdf"),
        (GIF_BYTES, "image/png"),
        (b"<html><script>alert(1)</script></html>", "image/jpeg"),
    ):
        refused = h.client.post(
            s.url, headers=s.supervisor, **upload_kwargs(content, filename="x.pdf", label=label)
        )
        assert refused.status_code == 415, refused.text
    # A real PNG sent with a wrong label is kept as what it is.
    made = h.client.post(
        s.url, headers=s.supervisor, **upload_kwargs(PNG_BYTES, label="application/pdf")
    )
    assert made.json()["media_type"] == "image/png"
    assert len(h.sql("SELECT id FROM documents")) == 1


def test_invalid_requests_are_422_and_name_the_field_not_the_value(h: Harness) -> None:
    s = Setting(h)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, Any], list[str]]] = [
        (upload_kwargs(kind="sunita_secret_kind"), ["body", "kind"]),
        (upload_kwargs(sensitivity="sunita_secret"), ["body", "sensitivity"]),
        (upload_kwargs(occurred_at="2026-01-01T10:00:00"), ["body", "occurred_at"]),  # naive
        (upload_kwargs(occurred_at=future), ["body", "occurred_at"]),
        (upload_kwargs(b""), ["body", "file"]),
        (upload_kwargs(owner_agency_id="x"), ["body", "owner_agency_id"]),  # unknown field
        ({"data": {"kind": "fir", "sensitivity": "general"}}, ["body", "file"]),
    ]
    for kwargs, loc in cases:
        refused = h.client.post(s.url, headers=s.supervisor, **kwargs)
        assert refused.status_code == 422, (loc, refused.text)
        assert loc in [e["loc"] for e in refused.json()["errors"]], refused.text
        assert "sunita" not in refused.text.lower()
    assert h.sql("SELECT id FROM documents") == []
    assert _stored_files(h) == []


def test_a_case_outside_the_callers_view_is_404_and_nothing_is_stored(h: Harness) -> None:
    s = Setting(h)
    doc = s.upload(h, "general")
    elsewhere = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    other_state = h.auth(h.user(h.agency(AgencyType.CWC, "IN-KA"), Role.CWC_MEMBER))
    for outsider in (elsewhere, other_state):
        assert h.client.post(s.url, headers=outsider, **upload_kwargs()).status_code == 404
        assert h.client.get(s.url, headers=outsider).status_code == 404
        assert h.client.get(f"/v1/documents/{doc['id']}", headers=outsider).status_code == 404
        assert h.client.get(f"/v1/documents/{doc['id']}/content", headers=outsider).status_code == 404
    # Exactly as for a document that does not exist.
    missing = h.client.get(f"/v1/documents/{uuid.uuid4()}/content", headers=s.supervisor)
    assert missing.status_code == 404
    assert len(h.sql("SELECT id FROM documents")) == 1
    assert len(_stored_files(h)) == 1


def test_rescue_party_reads_general_only_and_a_refusal_is_logged(h: Harness) -> None:
    s = Setting(h)
    general = s.upload(h, "general")
    medical = s.upload(h, "medical_counselling", kind="medical_report")
    listed = h.client.get(s.url, headers=s.officer).json()
    assert [d["id"] for d in listed["items"]] == [general["id"]]
    assert listed["readable_classes"] == ["general"]
    assert h.client.get(f"/v1/documents/{general['id']}/content", headers=s.officer).status_code == 200
    refused = h.client.get(f"/v1/documents/{medical['id']}/content", headers=s.officer)
    assert refused.status_code == 403
    assert b"%PDF" not in refused.content
    assert h.client.get(f"/v1/documents/{medical['id']}", headers=s.officer).status_code == 403
    denied = h.sql(
        "SELECT status, outcome, object_id FROM access_log"
        " WHERE route = '/v1/documents/{document_id}/content' AND outcome = 'denied'"
    )
    assert [(r[0], r[1], r[2]) for r in denied] == [(403, "denied", medical["id"])]
    # A rescue party does not upload.
    assert h.client.post(s.url, headers=s.officer, **upload_kwargs()).status_code == 403


def test_identity_and_safety_documents_need_an_allowed_purpose(h: Harness) -> None:
    s = Setting(h)
    for sensitivity in ("identity", "safety"):
        doc = s.upload(h, sensitivity)
        url = f"/v1/documents/{doc['id']}/content"
        missing = h.client.get(url, headers=s.assigned)
        assert missing.status_code == 422
        assert [e["loc"] for e in missing.json()["errors"]] == [["query", "purpose"]]
        # Escort is a purpose of a transfer's escorting unit, not of the owner.
        assert h.client.get(f"{url}?purpose=escort", headers=s.assigned).status_code == 403
        allowed = h.client.get(f"{url}?purpose=family_tracing", headers=s.assigned)
        assert allowed.status_code == 200
        assert allowed.content == PDF_BYTES
        # Logged in the request's own transaction (not the background buffer), with its purpose.
        logged = h.sql(
            "SELECT purpose, fields, status FROM access_log WHERE route = :route"
            " AND outcome = 'read' AND object_id = :id",
            flush=False,
            route="/v1/documents/{document_id}/content",
            id=doc["id"],
        )
        assert len(logged) == 1
        assert logged[0][0] == "family_tracing"
        assert sensitivity in str(logged[0][1])
        # Unassigned staff of the owner do not see such a document at all.
        assert h.client.get(f"{url}?purpose=family_tracing", headers=s.unassigned).status_code == 403
        assert h.client.get(f"{url}?purpose=legal_proceeding", headers=s.member).status_code == 200
    assert len(h.sql("SELECT id FROM access_log WHERE outcome = 'read'")) == 4


def test_machine_clients_read_general_only(h: Harness) -> None:
    s = Setting(h)
    general = s.upload(h, "general")
    medical = s.upload(h, "medical_counselling")
    client, secret = h.machine_client(s.ngo, ["documents:read", "documents:upload"])
    headers = {"Authorization": f"Bearer {h.client_token(client, secret)}"}
    listed = h.client.get(s.url, headers=headers).json()
    assert [d["id"] for d in listed["items"]] == [general["id"]]
    assert listed["readable_classes"] == ["general"]
    assert h.client.get(f"/v1/documents/{general['id']}/content", headers=headers).status_code == 200
    assert h.client.get(f"/v1/documents/{medical['id']}/content", headers=headers).status_code == 403
    # It uploads general documents only.
    assert (
        h.client.post(s.url, headers=headers, **upload_kwargs(sensitivity="medical_counselling"))
    ).status_code == 403
    assert h.client.post(s.url, headers=headers, **upload_kwargs()).status_code == 201


def test_lists_show_only_readable_documents_of_visible_cases(h: Harness) -> None:
    s = Setting(h)
    made = {sens: s.upload(h, sens)["id"] for sens in ("general", "identity", "safety")}
    made["medical_counselling"] = s.upload(h, "medical_counselling")["id"]
    other = Setting(h)
    other.upload(h, "general")

    def listed(headers: dict[str, str]) -> set[str]:
        answer = h.client.get(s.url, headers=headers)
        assert answer.status_code == 200
        return {d["id"] for d in answer.json()["items"]}

    assert listed(s.supervisor) == set(made.values())
    assert listed(s.member) == set(made.values())
    assert listed(s.unassigned) == {made["general"]}
    assert listed(s.officer) == {made["general"]}
    # The list is logged with the ids it showed, before the answer.
    logged = h.sql(
        "SELECT object_ids FROM access_log WHERE route = '/v1/cases/{case_id}/documents'"
        " AND method = 'GET' ORDER BY occurred_at",
        flush=False,
    )
    # (The uploads' own rows go through the buffer and may land at any moment: not counted.)
    assert len(logged) == 4
    assert made["identity"] not in str(logged[-1][0])
    assert made["general"] in str(logged[-1][0])


def test_uploads_by_relation_and_class(h: Harness) -> None:
    s = Setting(h)
    assert (
        h.client.post(s.url, headers=s.unassigned, **upload_kwargs(sensitivity="safety")).status_code
        == 403
    )
    assert h.client.post(s.url, headers=s.unassigned, **upload_kwargs()).status_code == 201
    by_cwc = h.client.post(
        s.url, headers=s.member, **upload_kwargs(sensitivity="identity", kind="order")
    )
    assert by_cwc.status_code == 201
    assert by_cwc.json()["uploaded_by_agency_id"] == str(s.cwc.id)


def test_an_upload_writes_one_audit_event_without_content(h: Harness) -> None:
    s = Setting(h)
    doc = s.upload(h, "medical_counselling", kind="medical_report")
    events = h.events("document.uploaded")
    assert len(events) == 1
    _, actor_type, _, raw_objects, raw_changes, case_id = events[0]
    # JSON on SQLite comes back as text, on PostgreSQL (JSONB) as data.
    objects, changes = (json.loads(v) if isinstance(v, str) else v for v in (raw_objects, raw_changes))
    assert actor_type == "user"
    assert str(case_id).replace("-", "") == str(s.case.id).replace("-", "")
    assert {"type": "document", "id": doc["id"]} in objects
    values = {c["field"]: c["to"] for c in changes}
    assert values["kind"] == "medical_report"
    assert values["sensitivity"] == "medical_counselling"
    assert values["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert values["size_bytes"] == len(PDF_BYTES)
    assert MARKER.decode() not in repr(changes)


def test_an_idempotency_key_replay_returns_the_metadata(h: Harness) -> None:
    s = Setting(h)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    kwargs = fixed_boundary(upload_kwargs(sensitivity="identity"))
    headers = {**s.supervisor, **kwargs.pop("headers"), **key}
    first = h.client.post(s.url, headers=headers, **kwargs)
    assert first.status_code == 201, first.text
    again = h.client.post(s.url, headers=headers, **kwargs)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert b"%PDF" not in again.content
    assert len(h.sql("SELECT id FROM documents")) == 1
    assert len(_stored_files(h)) == 1


def test_a_file_moved_or_relabelled_fails_closed(h: Harness) -> None:
    s = Setting(h)
    identity = s.upload(h, "identity")
    general = s.upload(h, "general")
    # Relabelled to a class that needs no purpose: the content no longer decrypts.
    h.sql("UPDATE documents SET sensitivity = 'general' WHERE id = :id", id=_db_id(h, identity["id"]))
    relabelled = h.client.get(f"/v1/documents/{identity['id']}/content", headers=s.supervisor)
    assert relabelled.status_code == 500
    assert b"%PDF" not in relabelled.content
    # Another document's file put in its place does not decrypt either.
    root = _store(h)
    (root / general["id"]).write_bytes((root / identity["id"]).read_bytes())
    moved = h.client.get(f"/v1/documents/{general['id']}/content", headers=s.supervisor)
    assert moved.status_code == 500
    assert MARKER not in moved.content


def _db_id(h: Harness, document_id: str) -> Any:
    """The id as the database stores it (SQLite keeps a UUID as 32 hex digits)."""
    found = h.sql("SELECT id FROM documents")
    return next(r[0] for r in found if str(r[0]).replace("-", "") == document_id.replace("-", ""))
