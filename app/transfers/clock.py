"""Day deadlines as the law counts them: a deadline of N days ends at 23:59:59 Asia/Kolkata on
the last day (DOMAIN.md section 7), counted from when the act happened, not when it was entered."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

INDIA = ZoneInfo("Asia/Kolkata")


def day_end(started: datetime, days: int) -> datetime:
    """The end of the ``days``-th day after ``started``, in India, as UTC."""
    last_day = started.astimezone(INDIA).date() + timedelta(days=days)
    return datetime.combine(last_day, time(23, 59, 59), INDIA).astimezone(UTC)
