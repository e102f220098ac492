"""The auditor's export and its offline verification: after a mixed workload the verifier
passes; with a checkpoint kept first, an event changed by one byte, deleted, two swapped or the
tail cut off (directly in the database, as the owner with the protection lifted) fails and names
the first bad position; a checkpoint signed by another key is refused; another state's events
are given by hash only and still verify."""

from __future__ import annotations

import json
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, text
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth.permissions import AgencyType, Role
from app.auth.principal import Principal
from app.cli import cli
from app.ledger import export, protection
from app.ledger.signing import LogSigner, public_key_pem
from app.ledger.verify import Outcome, verify_export
from app.ledger.worker import sequence_pending
from tests.harness import Harness


def _sequence(h: Harness) -> int:
    h.run(lambda: sequence_pending(h.runtime))
    return int(h.sql("SELECT count(*) FROM log_leaves")[0][0])


def _national(h: Harness) -> dict[str, str]:
    return h.auth(h.user(h.agency(AgencyType.AUDIT, None), Role.AUDITOR))


def _workload(h: Harness) -> None:
    """Cases in two states, identity changes, notes of several classes, a case update."""
    for state, home in (("IN-MH", "IN-WB"), ("IN-KA", "IN-KA")):
        owner = h.agency(AgencyType.NGO, state)
        supervisor = h.auth(h.user(owner, Role.SUPERVISOR))
        victim = {
            "track": "child", "sex": "Female", "age_claimed": 15, "exploitation_types": ["labour"],
            "home_state": home, "identity": {"names": ["Asha Devi"]},
        }  # fmt: skip
        case = h.case(owner, state=state, victim=victim)
        for sensitivity in ("general", "medical_counselling", "safety"):
            made = h.client.post(
                f"/v1/cases/{case.id}/notes",
                json={"sensitivity": sensitivity, "body": f"A {sensitivity} note."},
                headers=supervisor,
            )
            assert made.status_code == 201, made.text
        patched = h.client.patch(
            f"/v1/cases/{case.id}",
            json={"home_district": "Gumla"},
            headers={**supervisor, "If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
        )
        assert patched.status_code == 200, patched.text


def _export(h: Harness, headers: dict[str, str], first: int, end: int, **extra: Any) -> list[bytes]:
    response = h.client.get(
        "/v1/audit/export", params={"from": first, "to": end, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return response.content.splitlines()


def _checkpoint(h: Harness, headers: dict[str, str]) -> dict[str, Any]:
    response = h.client.get("/v1/audit/checkpoint?fresh=true", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _verify(h: Harness, lines: list[bytes], earlier: dict[str, Any] | None = None) -> Outcome:
    return verify_export(lines, h.runtime.log_signer.public_key, earlier)


def test_after_a_mixed_workload_the_export_verifies(h: Harness, tmp_path: Path) -> None:
    _workload(h)
    size = _sequence(h)
    auditor = _national(h)
    kept = _checkpoint(h, auditor)
    _workload(h)  # the log grows past the kept checkpoint
    grown = _sequence(h)
    assert grown > size
    lines = _export(h, auditor, 0, grown, consistent_with=size)
    outcome = _verify(h, lines, kept)
    assert outcome.ok, outcome
    # The medical and safety notes are shown in part (their bodies as commitments), every other
    # event whole; nothing by its hash alone for a national office.
    assert outcome.checked["withheld_events"] == 0
    assert outcome.checked["partly_withheld_events"] >= 4
    assert outcome.checked["verified_events"] + outcome.checked["partly_withheld_events"] == grown
    # A range that starts later verifies from the prefix hashes alone.
    tail = _export(h, auditor, size - 3, grown)
    assert _verify(h, tail).ok
    assert len(tail) == 1 + grown - (size - 3)
    # No identity in the export: the names and note bodies of encrypted classes are keyed hashes.
    body = b"\n".join(lines)
    assert b"Asha" not in body
    assert b"A medical_counselling note." not in body
    assert b"A general note." in body

    # The same through the command, as an auditor would run it.
    export_file, key_file, kept_file = (tmp_path / n for n in ("log.ndjson", "key.pem", "kept.json"))
    export_file.write_bytes(b"\n".join(lines) + b"\n")
    key_file.write_text(public_key_pem(h.runtime.log_signer.public_key) + "# fingerprint x\n")
    kept_file.write_text(json.dumps(kept))
    result = CliRunner().invoke(
        cli,
        [
            "audit",
            "verify",
            str(export_file),
            "--public-key",
            str(key_file),
            "--checkpoint",
            str(kept_file),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


def _tamper(h: Harness, *statements: str, **params: Any) -> None:
    """As the schema owner, with the log's protection lifted for this transaction only."""

    async def go() -> None:
        async with h.owner_engine.begin() as conn:
            lift, restore = protection.suspended(conn.dialect.name)
            for statement in lift:
                await conn.execute(text(statement))
            for statement in statements:
                await conn.execute(text(statement), params)
            for statement in restore:
                await conn.execute(text(statement))

    h.run(go)


_FK = "fk_log_leaves_event_id_audit_events"


def _event_at(h: Harness, seq: int) -> Any:
    return h.sql("SELECT event_id FROM log_leaves WHERE position = :p", p=seq)[0][0]


Kept = tuple[dict[str, str], dict[str, Any], int]


@pytest.fixture
def kept(h: Harness) -> Kept:
    """A sequenced workload and the checkpoint an auditor kept of it."""
    _workload(h)
    size = _sequence(h)
    assert size >= 12
    auditor = _national(h)
    return auditor, _checkpoint(h, auditor), size


def test_one_changed_byte_is_named(h: Harness, kept: Kept) -> None:
    auditor, checkpoint, size = kept
    _tamper(h, "UPDATE audit_events SET action = 'case.note_addeD' WHERE id = :id", id=_event_at(h, 7))
    outcome = _verify(h, _export(h, auditor, 0, size, consistent_with=size), checkpoint)
    assert not outcome.ok
    assert outcome.first_bad_seq == 7
    assert "does not match its leaf hash" in outcome.message


def test_a_changed_part_the_auditor_may_not_see_is_named(h: Harness, kept: Kept) -> None:
    """A medical note's body is withheld from the audit office (shown as its commitment), yet a
    change to it in the database shows in the export, at its position."""
    auditor, checkpoint, size = kept
    seq, event = next(
        (position, event)
        for position, event, changes in h.sql(
            "SELECT l.position, e.id, e.changes FROM log_leaves l"
            " JOIN audit_events e ON e.id = l.event_id ORDER BY l.position"
        )
        if "medical_counselling" in str(changes)
    )
    rewrite = (
        "UPDATE audit_events SET changes = CAST(REPLACE(CAST(changes AS TEXT), 'hmac-sha256:',"
        " 'hmac-sha256:0') AS JSON) WHERE id = :id"
        if h.owner_engine.dialect.name == "postgresql"
        else "UPDATE audit_events SET changes = REPLACE(changes, 'hmac-sha256:', 'hmac-sha256:0')"
        " WHERE id = :id"
    )
    _tamper(h, rewrite, id=event)
    lines = _export(h, auditor, 0, size)
    line = orjson.loads(lines[1 + seq])
    assert "parts" in line  # shown in part: its body is not the auditor's to read
    assert not any("value" in p and p["value"].get("field") == "body" for p in line["parts"]["changes"])
    outcome = _verify(h, lines, checkpoint)
    assert (outcome.ok, outcome.first_bad_seq) == (False, seq), outcome


def test_a_deleted_event_is_named(h: Harness, kept: Kept) -> None:
    auditor, checkpoint, size = kept
    event = _event_at(h, 5)
    _tamper(
        h,
        "DELETE FROM log_leaves WHERE position = 5",
        "DELETE FROM audit_events WHERE id = :id",
        id=event,
    )
    outcome = _verify(h, _export(h, auditor, 0, size), checkpoint)
    assert (outcome.ok, outcome.first_bad_seq) == (False, 5), outcome


def test_an_event_removed_under_its_leaf_is_named(h: Harness, kept: Kept) -> None:
    auditor, checkpoint, size = kept
    event = _event_at(h, 4)
    if h.owner_engine.dialect.name == "postgresql":
        _tamper(
            h,
            f"ALTER TABLE log_leaves DROP CONSTRAINT {_FK}",
            "DELETE FROM audit_events WHERE id = :id",
            id=event,
        )
    else:
        # SQLite turns foreign keys off only outside a transaction: a plain connection of its own.
        import sqlite3

        lift, restore = protection.suspended("sqlite", ("audit_events",))
        with sqlite3.connect(str(h.owner_engine.url.database), isolation_level=None) as conn:
            conn.execute("PRAGMA foreign_keys = OFF")
            for statement in [*lift, "DELETE FROM audit_events WHERE id = ?", *restore]:
                conn.execute(statement, (event,) if "?" in statement else ())
    try:
        outcome = _verify(h, _export(h, auditor, 0, size), checkpoint)
    finally:
        if h.owner_engine.dialect.name == "postgresql":
            # The schema is this worker's for the rest of the run: the constraint goes back.
            _tamper(
                h,
                "DELETE FROM log_leaves WHERE position = 4",
                f"ALTER TABLE log_leaves ADD CONSTRAINT {_FK}"
                " FOREIGN KEY (event_id) REFERENCES audit_events (id)",
            )
    assert (outcome.ok, outcome.first_bad_seq) == (False, 4), outcome
    assert "missing" in outcome.message


def test_two_swapped_events_are_named(h: Harness, kept: Kept) -> None:
    auditor, checkpoint, size = kept
    # Whole leaf rows change places (their hashes with them): the order of the log rewritten.
    _tamper(
        h,
        "UPDATE log_leaves SET position = -1 WHERE position = 3",
        "UPDATE log_leaves SET position = 3 WHERE position = 9",
        "UPDATE log_leaves SET position = 9 WHERE position = -1",
    )
    outcome = _verify(h, _export(h, auditor, 0, size), checkpoint)
    assert (outcome.ok, outcome.first_bad_seq) == (False, 3), outcome


def test_swapped_contents_are_named(h: Harness, kept: Kept) -> None:
    auditor, checkpoint, size = kept
    first, second = _event_at(h, 6), _event_at(h, 8)
    _tamper(
        h,
        "UPDATE audit_events SET action = 'x' WHERE id = :a",
        "UPDATE audit_events SET action = (SELECT action FROM audit_events WHERE id = :a2)"
        " WHERE id = :b",
        a=first, a2=second, b=second,
    )  # fmt: skip
    outcome = _verify(h, _export(h, auditor, 0, size), checkpoint)
    assert (outcome.ok, outcome.first_bad_seq) == (False, 6), outcome


def test_a_truncated_tail_is_named(h: Harness, kept: Kept) -> None:
    auditor, checkpoint, size = kept
    cut = size - 4
    _tamper(
        h,
        "DELETE FROM log_checkpoints",
        "DELETE FROM log_leaves WHERE position >= :cut",
        cut=cut,
    )
    refused = h.client.get("/v1/audit/export", params={"from": 0, "to": size}, headers=auditor)
    assert refused.status_code == 422
    outcome = _verify(h, _export(h, auditor, 0, cut), checkpoint)
    assert (outcome.ok, outcome.first_bad_seq) == (False, cut), outcome
    assert "lost every event" in outcome.message


def test_a_checkpoint_signed_by_another_key_is_refused(h: Harness, kept: Kept) -> None:
    auditor, checkpoint, size = kept
    lines = _export(h, auditor, 0, size)
    stranger = LogSigner.from_secret(b"another deployment")
    outcome = verify_export(lines, stranger.public_key)
    assert not outcome.ok
    assert "another key" in outcome.message
    # A kept checkpoint forged under another key (its fingerprint claimed to be ours) is refused.
    forged = dict(checkpoint)
    text_ = f"{forged['origin']}\n{forged['tree_size']}\n{forged['root_hash']}\n{forged['signed_at']}\n"
    import base64

    forged["signature"] = base64.b64encode(stranger.sign(text_.encode())).decode()
    outcome = _verify(h, lines, forged)
    assert not outcome.ok
    assert "does not verify" in outcome.message


def test_another_state_s_events_come_by_hash_and_still_verify(h: Harness) -> None:
    _workload(h)
    size = _sequence(h)
    state_auditor = h.auth(h.user(h.agency(AgencyType.AUDIT, "IN-MH"), Role.AUDITOR))
    lines = _export(h, state_auditor, 0, size)
    outcome = _verify(h, lines)
    assert outcome.ok, outcome
    withheld = [orjson.loads(line) for line in lines[1:] if b'"withheld"' in line]
    assert withheld
    assert outcome.checked["withheld_events"] == len(withheld)
    shown = [orjson.loads(line)["event"] for line in lines[1:] if b'"withheld"' not in line]
    assert not [e for e in shown if e["case_id"] and "IN-KA" in json.dumps(e)]


def test_the_export_refuses_ranges_the_log_does_not_have(h: Harness) -> None:
    _workload(h)
    size = _sequence(h)
    auditor = _national(h)

    def status(**params: Any) -> int:
        return h.client.get("/v1/audit/export", params=params, headers=auditor).status_code

    assert status(**{"from": 3, "to": 3}) == 422
    assert status(**{"from": 0, "to": size + 1}) == 422
    assert status(**{"from": 0, "to": size, "consistent_with": size + 1}) == 422
    assert status(**{"from": -1, "to": size}) == 422
    assert status(**{"from": 0}) == 422
    supervisor = h.auth(h.user(h.agency(AgencyType.NGO, "IN-MH"), Role.SUPERVISOR))
    assert h.client.get("/v1/audit/export?from=0&to=1", headers=supervisor).status_code == 403
    assert h.client.get("/v1/audit/export?from=0&to=1").status_code == 401


def test_a_large_export_streams_in_bounded_memory(h: Harness) -> None:
    """100,000 events seeded by bulk insert, sequenced, then the export's body produced (as the
    response streams it) while memory is traced: the peak stays a small fraction of the export,
    which is never held whole."""
    count = 100_000
    now = h.runtime.now()
    rows = [
        {
            "id": uuid.uuid4(),
            "occurred_at": now,
            "actor_type": "system",
            "roles": [],
            "action": "test.bulk",
            "case_id": None,
            "objects": [{"type": "case", "id": str(uuid.uuid4())}],
            "changes": [{"object": "case", "id": "x", "field": "stage", "from": None, "to": "rescued"}],
        }
        for _ in range(count)
    ]

    async def seed(events: list[dict[str, Any]]) -> None:
        async with h.runtime.db.transaction() as session:
            for start in range(0, count, 10_000):
                await session.execute(insert(AuditEvent), events[start : start + 10_000])

    h.run(seed, rows)
    del rows
    size = _sequence(h)
    assert size >= count
    agency = h.agency(AgencyType.AUDIT, None)
    auditor = Principal(
        kind="user", id=uuid.uuid4(), agency_id=agency.id, agency_type=AgencyType.AUDIT,
        agency_state=None, roles=frozenset({Role.AUDITOR}), permissions=frozenset(),
        session_id=uuid.uuid4(), authz_version=1,
    )  # fmt: skip

    async def stream(end: int) -> tuple[int, int, int]:
        async with h.runtime.db.transaction() as session:
            header = await export.export_header(session, h.runtime, auditor, 0, end, None)
        received = lines = 0
        tracemalloc.start()
        try:
            async for chunk in export.export_lines(h.runtime, auditor, header):
                received += len(chunk)
                lines += chunk.count(b"\n")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return received, lines, peak

    _, _, small_peak = h.run(stream, 10_000)
    received, lines, peak = h.run(stream, size)
    assert lines == size + 1
    assert received > 30_000_000  # the whole export went through
    # Ten times the events, the same memory: it follows the chunk, not the range.
    assert peak < 1.5 * small_peak, (peak, small_peak)
    assert peak < received / 4, (peak, received)


def test_event_times_of_every_year_are_exported_as_they_were_committed(h: Harness) -> None:
    """The export writes an event's time as the text the sequencer committed to (on PostgreSQL
    the database makes it): unpadded years before 1000, microseconds, another zone turned to
    UTC. A single character of difference would fail the leaf hash."""
    ist = timezone(timedelta(hours=5, minutes=30))
    times = [
        datetime(5, 3, 1, 1, 2, 3, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1000, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 4, 5, 30, 0, 7, tzinfo=ist),
    ]
    plain: dict[str, Any] = {
        "actor_type": "system",
        "roles": [],
        "case_id": None,
        "objects": [],
        "changes": [],
    }
    rows = [{"id": uuid.uuid4(), "occurred_at": when, "action": "test.time", **plain} for when in times]

    async def seed() -> None:
        async with h.runtime.db.transaction() as session:
            await session.execute(insert(AuditEvent), rows)

    h.run(seed)
    size = _sequence(h)
    headers = _national(h)
    _checkpoint(h, headers)
    lines = _export(h, headers, 0, size)
    written = {
        line["event"]["id"]: line["event"]["occurred_at"]
        for line in map(orjson.loads, lines[1:])
        if line.get("event") and line["event"]["action"] == "test.time"
    }
    assert written == {
        str(rows[0]["id"]): "5-03-01T01:02:03.000000Z",
        str(rows[1]["id"]): "999-12-31T23:59:59.999999Z",
        str(rows[2]["id"]): "1000-01-01T00:00:00.000000Z",
        str(rows[3]["id"]): "2026-12-04T00:00:00.000007Z",
    }
    assert _verify(h, lines).ok
