"""The benchmark harness in quick mode (tiny data, one short round), so that it never rots. It
measures nothing that counts: the figures come from `make bench`."""

from __future__ import annotations

import os

import pytest

from bench.run import run


@pytest.mark.postgres
def test_the_benchmark_harness_runs_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    # The built-in driver, whatever the machine has: CI machines need not have wrk.
    monkeypatch.setattr("bench.run.shutil.which", lambda name: None)
    owner = os.environ["TEST_DATABASE_URL"]
    api = os.environ["TEST_API_DATABASE_URL"]
    report = run(owner, api, cases=200, seconds=1, rounds=1, quick=True)
    assert report["scenario"] == "S1"
    for server in ("api", "reference"):
        assert report["medians"][server]["rps"] > 0
        assert report["medians"][server]["errors"] == 0
    assert report["ratio"] > 0
    assert report["driver"] == "built-in"
