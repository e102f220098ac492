"""The benchmark harness in quick mode (tiny data, one short round), so that it never rots. It
measures nothing that counts: the figures come from `make bench`."""

from __future__ import annotations

import os

import pytest

import bench.run as bench_run
from bench.run import run, table


@pytest.mark.postgres
def test_the_benchmark_harness_runs_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    # A database of its own: a real `make bench` may be running on this machine.
    monkeypatch.setattr(bench_run, "DATABASE", "homecoming_bench_quick")
    owner = os.environ["TEST_DATABASE_URL"]
    api = os.environ["TEST_API_DATABASE_URL"]
    report = run(owner, api, [200], seconds=1, rounds=1, quick=True)
    (size,) = report["sizes"]
    assert size["driver"] == "built-in"
    assert size["seed"]["cases"] == 200
    assert size["seed"]["history_events"] >= 200 * 8
    # Every produced child has her production deadline; cases in follow-up eight visits.
    assert size["seed"]["deadlines"] >= 50
    assert set(size["scenarios"]) == {"S1", "S1b", "S2", "S3"}
    # S3 accepted referrals of the pool, each once (no 409 for an id sent twice).
    assert size["seed"]["s3_pool"] > 0
    assert all(r["requests"] > 0 for r in size["scenarios"]["S3"]["runs"]["api"])
    # S4 exported the whole (small) log from a fresh process, and it verified offline.
    export = size["export_s4"]
    assert export["events"] == size["seed"]["log_size"] >= size["seed"]["history_events"]
    assert (export["status"], export["verified"]) == (200, True), export
    assert export["peak_rss_mib"] > 0
    for name, result in size["scenarios"].items():
        for server in ("api", "reference"):
            assert result["medians"][server]["rps"] > 0, (name, server)
            assert result["medians"][server]["errors"] == 0, (name, server)
        assert result["ratio"] > 0
    fixed = size["fixed_rate_s1"]
    assert fixed["requests"] > 0
    # Each run records how much CPU the hypervisor took (a shared machine's noise).
    assert all(0 <= v <= 100 for v in fixed["runs"][0]["steal_pct"].values())
    assert fixed["errors"] == 0
    # The fixed-rate runs began once S3's events were all sequenced (the time that took).
    assert 0 <= fixed["waited_for_sequencer_s"] < 300
    for plan in size["explain_s2"].values():
        assert "Limit" in plan["plan"]
    assert "S1b" in table(report)
    assert "S4" in table(report)
