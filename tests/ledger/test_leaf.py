"""An event's time is part of what its leaf commits to: the fast text of ``utc_text`` must be,
for every instant and offset, exactly what ``TIME_FORMAT`` documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from app.ledger.leaf import TIME_FORMAT, utc_text

OFFSETS = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS))
def test_an_event_s_time_is_written_as_strftime_would(when: datetime) -> None:
    assert utc_text(when) == when.astimezone(UTC).strftime(TIME_FORMAT)


def test_a_whole_second_keeps_its_microseconds_and_a_zone_becomes_utc() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    assert utc_text(datetime(2026, 12, 4, 5, 30, tzinfo=ist)) == "2026-12-04T00:00:00.000000Z"
