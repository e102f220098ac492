"""Audit events and referral acts get time-ordered ids (UUIDv7), so that their primary-key index
grows at its right edge; they must still be valid, distinct UUIDs of version 7, ordered by the
millisecond they were made in."""

from __future__ import annotations

import time
import uuid

from app.audit.events import SYSTEM, event_values
from app.db import time_ordered_id


def test_a_time_ordered_id_is_a_uuid7_with_the_time_in_milliseconds_first() -> None:
    before = time.time_ns() // 1_000_000
    made = time_ordered_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after
    assert uuid.UUID(str(made)) == made


def test_ids_made_in_later_milliseconds_sort_after_and_none_repeat() -> None:
    first = [time_ordered_id() for _ in range(1000)]
    time.sleep(0.002)
    later = [time_ordered_id() for _ in range(1000)]
    assert len(set(first + later)) == 2000
    assert max(i.int >> 80 for i in first) < min(i.int >> 80 for i in later)
    assert max(first).bytes < min(later).bytes


def test_an_audit_event_row_is_given_a_time_ordered_id() -> None:
    row = event_values(SYSTEM, "test.made", [], [])
    assert row["id"].version == 7
