"""Object access is decided in one place: code outside app/access does not compare the caller's
agency to decide what it may reach (the token currency check in app/auth/current.py aside)."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
ACCESS_PACKAGE = APP / "access"
ALLOWED = {APP / "auth" / "current.py"}
COMPARISON = re.compile(r"(==|!=)\s*principal\.agency_id|principal\.agency_id\s*(==|!=)")


def test_no_hand_written_agency_comparisons_outside_the_access_package() -> None:
    offenders = [
        f"{path.relative_to(APP)}:{number}"
        for path in APP.rglob("*.py")
        if path not in ALLOWED and ACCESS_PACKAGE not in path.parents
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if COMPARISON.search(line)
    ]
    assert offenders == []


def test_the_lint_itself_catches_a_comparison() -> None:
    assert COMPARISON.search("query.where(Case.agency_id == principal.agency_id)")
    assert COMPARISON.search("if principal.agency_id != agency_id:")
    assert not COMPARISON.search("session.get(Agency, principal.agency_id)")
