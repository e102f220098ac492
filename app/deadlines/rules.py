"""The deadlines of DOMAIN.md section 7 as data: what starts each, how long it runs (or how it
recurs), whom it binds, and the law it comes from. A rule's duration is fixed into a deadline when
it starts, so a rule changed later applies only to deadlines started after the change."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.config import Settings
from app.transfers.clock import INDIA, day_end


@dataclass(frozen=True)
class Rule:
    id: str
    starts_at: str  # the act that starts it
    owed_by: str  # the relation that owes it: owner, competent_authority, escort, receiving_side...
    citation: str
    hours: int = 0
    days: int = 0
    months: int = 0
    # A recurring rule starts ``times`` deadlines, each ``months`` after the one before.
    times: int = 1
    # A window, not a duty: shown, never overdue.
    informational: bool = False
    # The setting that overrides its default duration (days, or months for a recurrence).
    setting: str | None = None
    # Whether it moves to the new holder when the case changes owner or authority.
    moves_with_case: bool = True

    def due(self, started: datetime, settings: Settings, *, extra_hours: int = 0) -> list[datetime]:
        """When each of its deadlines falls due, from when the starting act happened."""
        if self.setting is not None:
            configured = getattr(settings, self.setting)
            if self.months:
                return _months(started, configured, self.times)
            return [day_end(started, configured)]
        if self.months:
            return _months(started, self.months, self.times)
        if self.days:
            return [day_end(started, self.days)]
        return [started + timedelta(hours=self.hours + extra_hours)]


def _months(started: datetime, every: int, times: int) -> list[datetime]:
    """The same day ``every`` months on, ``times`` times (the month's last day where it is
    shorter), each ending at the day's end in India."""
    first = started.astimezone(INDIA).date()
    found = []
    for n in range(1, times + 1):
        months = first.month - 1 + every * n
        year, month = first.year + months // 12, months % 12 + 1
        day = min(first.day, calendar.monthrange(year, month)[1])
        found.append(day_end(datetime.combine(date(year, month, day), time(12), INDIA), 0))
    return found


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("JJ31_PRODUCTION", "rescue of a child", "owner",
             "JJ Act 2015 s.31(1): within 24 hours, excluding the journey", hours=24),
        Rule("JJ94_AGE", "age-determination order", "owner",
             "JJ Act 2015 s.94(2): age determined within 15 days", days=15),
        Rule("JJ36_SIR", "SIR direction", "investigator",
             "JJ Act 2015 s.36(2): social investigation within 15 days", days=15),
        Rule("JJ36_FINAL_ORDER", "first production before the CWC", "competent_authority",
             "JJ Act 2015 s.36(4): inquiry completed within 4 months", months=4),
        Rule("JJ95_ESCORT", "escort order", "escort",
             "JJ Model Rules 2016 r.81: escorted home within 15 days", days=15,
             moves_with_case=False),
        Rule("JJ101_APPEAL", "a CWC order", "none",
             "JJ Act 2015 s.101(1): appeal within 30 days", days=30, informational=True,
             moves_with_case=False),
        Rule("ITPA17_INTERMEDIATE", "intermediate custody order", "competent_authority",
             "ITPA 1956 s.17(1): intermediate custody at most 10 days", days=10),
        Rule("ITPA17_SAFE_CUSTODY", "safe custody pending inquiry", "competent_authority",
             "ITPA 1956 s.17(3): safe custody pending inquiry at most 3 weeks", days=21),
        Rule("BNSS396_COMPENSATION", "compensation application", "compensation_forum",
             "BNSS 2023 s.396(4): decided within 2 months", months=2, moves_with_case=False),
        Rule("TRANSFER_CONSULTATION", "consultation requested", "receiving_authority",
             "JJ Act 2015 s.95(1); configurable", setting="transfer_consultation_days",
             moves_with_case=False),
        Rule("TRANSFER_ACCEPTANCE", "handed over", "receiving_side",
             "JJ Act 2015 s.95(4); configurable", setting="transfer_acceptance_days",
             moves_with_case=False),
        Rule("FOLLOW_UP_VISIT", "final order of restoration", "owner",
             "JJ Model Rules 2016 Form 7 (care plan); configurable", months=3, times=8,
             setting="follow_up_every_months"),
    )
}  # fmt: skip
