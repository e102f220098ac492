"""Append-only tables, enforced by the database: triggers that refuse UPDATE and DELETE (and
TRUNCATE, on PostgreSQL), installed by the migrations. On PostgreSQL the API's role is also
granted only SELECT and INSERT on them and owns nothing, so it can neither change a row nor
disable a trigger; the owner role can (that is the tampering the Merkle log exposes). SQLite has
no roles: there the triggers guard against mistakes, not against whoever holds the file."""

from __future__ import annotations

APPEND_ONLY = ("audit_events", "log_leaves", "log_nodes", "log_checkpoints")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION homecoming_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$
"""


def protect(dialect: str, table: str) -> list[str]:
    """The statements that make ``table`` append-only."""
    if dialect == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION homecoming_refuse_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION homecoming_refuse_change()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
        f" BEGIN SELECT RAISE(ABORT, 'append-only: {verb} on {table} is refused'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def unprotect(dialect: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]


_PG_QUEUE_FUNCTION = """
CREATE OR REPLACE FUNCTION homecoming_queue_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO log_pending (event_id) VALUES (NEW.id);
  RETURN NULL;
END $$
"""


def queue(dialect: str) -> list[str]:
    """The trigger that puts every new audit event on the sequencer's queue (``log_pending``) in
    the event's own transaction: whoever writes an event, it is sequenced once it commits."""
    if dialect == "postgresql":
        return [
            _PG_QUEUE_FUNCTION,
            "CREATE TRIGGER audit_events_queue AFTER INSERT ON audit_events"
            " FOR EACH ROW EXECUTE FUNCTION homecoming_queue_event()",
        ]
    return [
        "CREATE TRIGGER audit_events_queue AFTER INSERT ON audit_events"
        " BEGIN INSERT INTO log_pending (event_id) VALUES (NEW.id); END"
    ]


def unqueue(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS audit_events_queue ON audit_events",
            "DROP FUNCTION IF EXISTS homecoming_queue_event()",
        ]
    return ["DROP TRIGGER IF EXISTS audit_events_queue"]


def suspended(dialect: str, tables: tuple[str, ...] = APPEND_ONLY) -> tuple[list[str], list[str]]:
    """(before, after): statements that lift the protection for one transaction of the owner
    (the tests' cleanup between tests; a tamper test) and put it back."""
    if dialect == "postgresql":
        return (
            [f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in tables],
            [f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in tables],
        )
    before = [s for t in tables for s in unprotect(dialect, t)]
    after = [s for t in tables for s in protect(dialect, t)]
    return before, after


LOG = ("log_leaves", "log_nodes", "log_checkpoints")


def rebuild_log(dialect: str) -> list[str]:
    """The statements that empty the log and queue every event again, to be sequenced anew (for a
    migration that changes the leaf's form before any release: as the owner, the log's
    protection lifted for those statements only)."""
    lift, restore = suspended(dialect, LOG)
    return [
        *lift,
        *(f"DELETE FROM {table}" for table in LOG),  # noqa: S608 (our own table names)
        *restore,
        "DELETE FROM log_pending",
        "INSERT INTO log_pending (event_id) SELECT id FROM audit_events",
    ]
