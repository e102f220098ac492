"""Which stage reports a case takes, from whom (DOMAIN.md section 2): the agency holding her
reports that she absconded, returned or died."""

from __future__ import annotations

from enum import StrEnum

from app.cases.vocab import Stage


class ReportKind(StrEnum):
    ABSCONDED = "absconded"
    RETURNED = "returned"
    DECEASED = "deceased"


# The agency holding her: the owner, or the shelter she is placed in. (Absconding on the way
# home is the escort's, reported on the transfer.)
HOLDERS = frozenset({"owner", "placement"})
# Stages she can leave or die from: open, not away already, and not in transfer (the escort
# reports what happens on the way, on the transfer).
_OPEN = frozenset(Stage) - {Stage.CLOSED, Stage.DECEASED, Stage.IN_TRANSFER}
FROM_STAGES = {
    ReportKind.ABSCONDED: _OPEN - {Stage.ABSCONDED},
    ReportKind.RETURNED: frozenset({Stage.ABSCONDED}),
    ReportKind.DECEASED: _OPEN,
}
EVENTS = {
    ReportKind.ABSCONDED: "case.absconded",
    ReportKind.RETURNED: "case.returned",
    ReportKind.DECEASED: "case.deceased",
}


ROUTES = {
    ReportKind.ABSCONDED: "absconded-report",
    ReportKind.RETURNED: "return-report",
    ReportKind.DECEASED: "death-report",
}


def report_actions(stage: Stage) -> list[str]:
    """The reports a case takes at this stage (by their route names)."""
    return [ROUTES[kind] for kind, stages in FROM_STAGES.items() if stage in stages]
