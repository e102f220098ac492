"""Key rotation: new writes use the new key, old keys still decrypt, rotation leaves every row
readable and none on the old key, without changing case versions; blind indexes rotate apart."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import SecretStr

from app.auth.permissions import AgencyType, Role
from app.runtime import Runtime, build_runtime
from app.vault import rotation
from app.vault.crypto import new_key_spec
from tests.documents.support import PDF_BYTES, upload_kwargs
from tests.harness import Harness


def _spec(kid: str, key: bytes) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(key).decode().rstrip('=')}"


def _runtime_with(h: Harness, **keyrings: str) -> Runtime:
    settings = h.runtime.settings.model_copy(
        update={name: SecretStr(value) for name, value in keyrings.items()}
    )
    runtime = build_runtime(settings, database_url=h.runtime.db.url)
    runtime.clock = h.clock
    return runtime


def _stored(h: Harness) -> list[str]:
    rows = h.sql("SELECT names, date_of_birth FROM identity_records")
    placements = h.sql("SELECT placement FROM cases WHERE placement IS NOT NULL")
    return [v for row in rows + placements for v in row if v is not None]


def test_rotation_moves_every_value_to_the_new_key(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.user(ngo, Role.SUPERVISOR)
    victim: dict[str, Any] = {
        "track": "child",
        "exploitation_types": ["labour"],
        "placement": "Shelter 9",
        "identity": {"names": ["Rekha"], "date_of_birth": "2010-01-02"},
    }
    cases = [h.case(ngo, victim=victim) for _ in range(3)]
    note = h.client.post(
        f"/v1/cases/{cases[0].id}/notes",
        json={"sensitivity": "medical_counselling", "body": "Sleeping better."},
        headers=h.auth(supervisor),
    )
    assert note.status_code == 201
    document = h.client.post(
        f"/v1/cases/{cases[0].id}/documents",
        headers=h.auth(supervisor),
        **upload_kwargs(sensitivity="identity"),
    )
    assert document.status_code == 201, document.text
    stored_file = h.runtime.settings.effective_document_dir / document.json()["id"]
    assert stored_file.read_bytes().startswith(b"v1.k1.")
    versions = {str(r[0]): r[1] for r in h.sql("SELECT id, version FROM cases")}
    assert all(v.startswith("v1.k1.") for v in _stored(h))
    old = h.runtime.secrets.vault_keys["k1"]
    both = _runtime_with(h, vault_keys=f"{_spec('k1', old)},{new_key_spec('k2')}")
    summary = h.run(rotation.rotate_vault, both)
    assert summary == {"active_key": "k2", "values_reencrypted": 10, "documents_reencrypted": 1}
    assert stored_file.read_bytes().startswith(b"v1.k2.")
    assert [r[0] for r in h.sql("SELECT key_id FROM documents")] == ["k2"]
    assert h.sql("SELECT body FROM case_notes")[0][0].startswith("v1.k2.")
    assert all(v.startswith("v1.k2.") for v in _stored(h))
    assert {str(r[0]): r[1] for r in h.sql("SELECT id, version FROM cases")} == versions
    assert len(h.events("vault.keys_rotated")) == 1
    # The old key can now go: a runtime holding only the new key reads everything.
    only_new = _runtime_with(h, vault_keys=_spec("k2", both.secrets.vault_keys["k2"]))
    h.client.app.state.runtime = only_new
    try:
        headers = h.auth(supervisor)
        for case in cases:
            read = h.client.get(
                f"/v1/cases/{case.id}/identity?purpose=production&fields=names", headers=headers
            )
            assert read.status_code == 200
            assert read.json()["fields"]["names"] == ["Rekha"]
            assert (
                h.client.get(f"/v1/cases/{case.id}", headers=headers).json()["placement"] == "Shelter 9"
            )
        notes = h.client.get(f"/v1/cases/{cases[0].id}/notes", headers=headers)
        assert [n["body"] for n in notes.json()["items"]] == ["Sleeping better."]
        content = h.client.get(
            f"/v1/documents/{document.json()['id']}/content?purpose=production", headers=headers
        )
        assert content.status_code == 200
        assert content.content == PDF_BYTES
    finally:
        h.client.app.state.runtime = h.runtime
        h.run(both.db.dispose)
        h.run(only_new.db.dispose)


def test_blind_index_rotation_keeps_search_working(h: Harness) -> None:
    ngo = h.agency(AgencyType.NGO, "IN-MH")
    supervisor = h.user(ngo, Role.SUPERVISOR)
    case = h.case(
        ngo,
        victim={"track": "adult", "exploitation_types": ["labour"], "identity": {"names": ["Zainab"]}},
    )
    old = h.runtime.secrets.blind_index_keys["b1"]
    rotated = _runtime_with(h, blind_index_keys=f"{_spec('b1', old)},{new_key_spec('b2')}")
    assert h.run(rotation.rotate_blind_indexes, rotated)["records_reindexed"] == 1
    assert {r[0] for r in h.sql("SELECT key_id FROM identity_blind_indexes")} == {"b2"}
    only_new = _runtime_with(h, blind_index_keys=_spec("b2", rotated.secrets.blind_index_keys["b2"]))
    h.client.app.state.runtime = only_new
    try:
        found = h.client.post(
            "/v1/cases/search",
            json={"purpose": "family_tracing", "name": "ज़ैनब"},
            headers=h.auth(supervisor),
        )
        assert [hit["id"] for hit in found.json()["items"]] == [str(case.id)]
    finally:
        h.client.app.state.runtime = h.runtime
        h.run(rotated.db.dispose)
        h.run(only_new.db.dispose)
