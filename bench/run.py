"""Drive the benchmark: the API and the reference server side by side on one database.

    python -m bench.run --owner-url postgresql+asyncpg://OWNER:PW@127.0.0.1/postgres \\
                        --api-url   postgresql+asyncpg://API:PW@127.0.0.1/postgres \\
                        [--cases 10000,1000000] [--seconds 10]

For each data size: (re)creates the database ``homecoming_bench``, migrates and seeds it, starts the
API and the reference (one worker each, pinned to core 0), then for each scenario runs
``wrk -t1 -c32`` (pinned to core 1; PostgreSQL is not pinned) against both, alternating, three
times each; then drives S1 on the API at a fixed rate (70% of its saturation) with the open-loop
generator (three runs, medians), and EXPLAINs S2's query. Prints one table of medians with the
ratio API / reference, and writes everything, with versions and the machine, to bench/results/.

Scenarios (the API with every security feature on: bearer token, currency check, visibility
predicate, field set, access log):
  S1   read one case by id as an assigned caseworker of the owning agency
  S1b  read identity (names, date of birth, phones) with a purpose, decrypting; logged first
  S2   list 50 cases by home state and stage as that state's commission officer, following the
       cursor up to 20 pages
  S3   accept requested referrals as the receiving NGO's caseworker, each id once (a pool of at
       least twice what a run can send, a fresh part of it for every run)
  S4   export the first 1,000,000 events of the log (all, if fewer) as a national auditor, from a
       fresh API process: events per second and the process's peak memory (absolute targets)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
DATABASE = "homecoming_bench"
IDENTITY_QUERY = "purpose=family_tracing&fields=names&fields=date_of_birth&fields=phones"
REFERENCE_IDENTITY_QUERY = "fields=names&fields=date_of_birth&fields=phones"
FIXED_RATE_SHARE = 0.7
# S3's pool is sized for runs of this rate at most (the reference, on this machine, stays well
# below); each run checks it sent at most half of its part.
S3_MAX_RATE = 4000
S4_EVENTS = 1_000_000


@dataclass(frozen=True)
class Scenario:
    name: str
    api_path: str
    reference_path: str
    principal: str  # which seeded token the API is called with
    follow: bool = False  # S2: follow next_cursor up to 20 pages


def scenarios(seeded: dict[str, Any]) -> list[Scenario]:
    case_id = seeded["case_id"]
    wanted = seeded["filter"]
    listing = f"home_state={wanted['home_state']}&stage={wanted['stage']}"
    return [
        Scenario("S1", f"/v1/cases/{case_id}", f"/cases/{case_id}", "caseworker"),
        Scenario(
            "S1b",
            f"/v1/cases/{case_id}/identity?{IDENTITY_QUERY}",
            f"/identity/{case_id}?{REFERENCE_IDENTITY_QUERY}",
            "caseworker",
        ),
        Scenario("S2", f"/v1/cases?{listing}&limit=50", f"/cases?{listing}", "commission", True),
    ]


def _plain(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


def _async(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _recreate(owner_url: str) -> None:
    conn = await asyncpg.connect(_plain(owner_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    return keep | {
        "HOMECOMING_DATABASE_URL": database_url,
        "HOMECOMING_MIGRATION_DATABASE_URL": database_url,
        "HOMECOMING_DATA_DIR": str(data_dir),
        "HOMECOMING_LOG_LEVEL": "WARNING",
        # The seeded tokens must outlive seeding and every run of a size (a million cases take
        # over ten minutes to seed); the API checks each token's own expiry.
        "HOMECOMING_ACCESS_TOKEN_MINUTES": "240",
    }


def s3_pool_size(seconds: int, rounds: int) -> int:
    """Twice the most a run can send, for every run: a warm-up and ``rounds`` per server."""
    return 2 * (2 + 2 * rounds) * S3_MAX_RATE * seconds


def prepare(owner_url: str, cases: int, data_dir: Path, s3_pool: int) -> dict[str, Any]:
    asyncio.run(_recreate(owner_url))
    env = _env(_async(owner_url, DATABASE), data_dir)
    subprocess.run([str(BIN / "homecoming"), "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "python"), "-m", "bench.seed", "--cases", str(cases), "--s3-pool", str(s3_pool)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    seeded: dict[str, Any] = json.loads((RESULTS / "seed.json").read_text())
    seeded["seed_seconds_total"] = round(time.perf_counter() - started, 1)
    return seeded


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _wrk(
    url: str, token: str | None, seconds: int, follow: bool, script: list[str] | None = None
) -> dict[str, float]:
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c32", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if follow:
        command += ["-s", str(ROOT / "bench" / "follow.lua")]
    if script:
        command += ["-s", script[0], url, "--", *script[1:]]
    else:
        command.append(url)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    sent = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        value, unit = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses: (\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        found = re.search(pattern, out)
        if found:
            errors += sum(int(g) for g in found.groups())
    return {
        "rps": rps,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "errors": errors,
        "requests": sent,
    }


def _builtin(
    url: str, token: str | None, seconds: int, follow: bool, concurrency: int = 8
) -> dict[str, float]:
    """A small closed-loop driver for when wrk is absent (the quick mode in the test suite): it
    keeps the harness working, it does not measure saturation."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        path, pages = url, 0
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            response = await client.get(path, headers=headers)
            latencies.append((time.perf_counter() - sent) * 1000)
            errors += response.status_code >= 400
            pages += 1
            cursor = response.json().get("next_cursor") if follow and response.is_success else None
            path, pages = (f"{url}&cursor={cursor}", pages) if cursor and pages < 20 else (url, 0)

    async def drive() -> float:
        async with httpx.AsyncClient(timeout=10) as client:
            started = time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(*[worker(client, deadline) for _ in range(concurrency)])
            return time.perf_counter() - started

    elapsed = asyncio.run(drive())
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / elapsed,
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "errors": float(errors),
    }


def _builtin_posts(
    requests: list[tuple[str, str | None]], seconds: int, concurrency: int = 8
) -> dict[str, float]:
    """S3 without wrk: POST each (url, token) once, in order, for ``seconds``."""
    latencies: list[float] = []
    errors, pending = 0, iter(requests)

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        for url, token in pending:
            if time.perf_counter() >= deadline:
                return
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            sent = time.perf_counter()
            response = await client.post(url, headers=headers, json={})
            latencies.append((time.perf_counter() - sent) * 1000)
            errors += response.status_code >= 400

    async def drive() -> float:
        async with httpx.AsyncClient(timeout=10) as client:
            started = time.perf_counter()
            await asyncio.gather(*[worker(client, started + seconds) for _ in range(concurrency)])
            return time.perf_counter() - started

    elapsed = asyncio.run(drive())
    ordered = sorted(latencies) or [0.0]
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "errors": float(errors),
        "requests": len(latencies),
    }


def _cpu_ticks() -> dict[str, list[int]]:
    """Per-core CPU time counters (/proc/stat): user, nice, system, idle, iowait, irq, softirq,
    steal. Empty where there is no /proc."""
    ticks: dict[str, list[int]] = {}
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                name, *values = line.split()
                if name.startswith("cpu") and name[3:].isdigit():
                    ticks[name] = [int(v) for v in values[:8]]
    except OSError:
        pass
    return ticks


def _steal(before: dict[str, list[int]], after: dict[str, list[int]]) -> dict[str, float]:
    """The share of each core's time the hypervisor gave to someone else during a run (a shared
    virtual machine's noise: runs with much of it are not comparable)."""
    shares = {}
    for core, start in before.items():
        spent = [b - a for a, b in zip(start, after.get(core, start), strict=True)]
        total = sum(spent)
        shares[core] = round(100 * spent[7] / total, 1) if total and len(spent) > 7 else 0.0
    return shares


def _observed(run: Any) -> Any:
    """Run ``run()`` and add the cores' steal time during it to its result."""

    def measured(*args: Any, **kwargs: Any) -> dict[str, Any]:
        before = _cpu_ticks()
        result: dict[str, Any] = run(*args, **kwargs)
        result["steal_pct"] = _steal(before, _cpu_ticks())
        return result

    return measured


@_observed
def _fixed_rate(url: str, token: str, rate: float, seconds: int) -> dict[str, Any]:
    command = [
        "taskset", "-c", "1", str(BIN / "python"), "-m", "bench.openloop", url,
        "--rate", f"{rate:.0f}", "--seconds", str(seconds),
        "--header", f"Authorization: Bearer {token}",
    ]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    result: dict[str, Any] = json.loads(out)
    return result


async def _explain_s2(owner_url: str, seeded: dict[str, Any]) -> dict[str, Any]:
    """EXPLAIN ANALYZE of S2's statement exactly as the API sends it for the commission officer
    (visibility predicate and currency check included), for the first page and a later one."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    from app.access.cases import Shape
    from app.auth.current import with_check
    from app.auth.permissions import AgencyType, Role
    from app.cases.service import _page_select

    claims = jwt.decode(seeded["tokens"]["commission"], options={"verify_signature": False})
    shape = Shape("user", AgencyType.COMMISSION, frozenset({Role.COMMISSION_OFFICER}), False)
    principal = type("P", (), {"kind": "user"})()
    values: dict[str, Any] = {
        "cur_sid": uuid.UUID(claims["sid"]),
        "cur_now": datetime.now(UTC),
        "cur_pid": uuid.UUID(claims["sub"].split(":")[1]),
        "cur_ver": claims["ver"],
        "cur_agy": uuid.UUID(claims["agy"]),
        "caller_agency": uuid.UUID(claims["agy"]),
        "caller_id": uuid.UUID(claims["sub"].split(":")[1]),
        "caller_state": claims["ast"],
        **seeded["filter"],
        "page_size": 51,
    }
    conn = await asyncpg.connect(_plain(owner_url, DATABASE))
    plans: dict[str, Any] = {}
    try:
        for label, after in (("first_page", False), ("later_page", True)):
            statement, _ = _page_select(shape, frozenset({"home_state", "stage"}), (), after)
            compiled = with_check(statement, principal).compile(  # type: ignore[arg-type]
                dialect=dialect()  # type: ignore[no-untyped-call]
            )
            if after:
                row = await conn.fetchrow(
                    "SELECT updated_at, id FROM cases WHERE home_state = $1 AND stage = $2"
                    " ORDER BY updated_at DESC, id DESC OFFSET 500 LIMIT 1",
                    values["home_state"],
                    values["stage"],
                )
                values["after_updated"], values["after_id"] = (
                    (row["updated_at"], row["id"]) if row else (datetime.now(UTC), uuid.UUID(int=0))
                )
            args = [values[name] for name in compiled.positiontup or ()]
            lines = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", *args)
            text = "\n".join(line[0] for line in lines)
            plans[label] = {
                "uses_index": "ix_cases_home_state_stage_updated_at_id" in text,
                "seq_scan_on_cases": "Seq Scan on cases" in text,
                "plan": text,
            }
    finally:
        await conn.close()
    return plans


def _s3(
    api: str,
    reference: str,
    tokens: list[str],
    seconds: int,
    rounds: int,
    use_wrk: bool,
    quick: bool,
) -> dict[str, Any]:
    """S3: every run (a warm-up and ``rounds`` per server, alternating) accepts its own part of
    the pool, each id once, as a caseworker of the agency it was sent to (the reference needs no
    token); a run is valid if it sent at most half of its part."""
    pool = [line.split() for line in (RESULTS / "s3_pool.txt").read_text().splitlines()]
    runs_needed = 2 + 2 * rounds
    part = len(pool) // runs_needed
    parts = iter(pool[i * part : (i + 1) * part] for i in range(runs_needed))
    targets: dict[str, tuple[str, str, list[str]]] = {
        "api": (api, "/v1/referrals/%s/accept", tokens),
        "reference": (reference, "/referrals/%s/accept", []),
    }

    @_observed
    def load(origin: str, path: str, keys: list[str], secs: int) -> dict[str, Any]:
        ids = next(parts)
        if use_wrk:
            listing = RESULTS / "data" / "s3_part.txt"
            listing.write_text("".join(f"{i} {k}\n" for i, k in ids))
            script = [str(ROOT / "bench" / "accept.lua"), str(listing), path, *keys]
            result = _wrk(origin + "/", None, secs, False, script)
        else:
            requests = [(origin + path % i, keys[int(k) - 1] if keys else None) for i, k in ids]
            result = _builtin_posts(requests, secs)
        result["pool_part"] = len(ids)
        result["valid"] = result["requests"] * 2 <= len(ids)
        return result

    for origin, path, keys in targets.values():
        load(origin, path, keys, 1 if quick else 2)
    runs: dict[str, list[dict[str, Any]]] = {"api": [], "reference": []}
    for _ in range(rounds):
        for name, (origin, path, keys) in targets.items():
            runs[name].append(load(origin, path, keys, seconds))
    medians = {
        name: {
            key: statistics.median(r[key] for r in measured)
            for key in ("rps", "p50_ms", "p99_ms", "errors")
        }
        for name, measured in runs.items()
    }
    return {
        "medians": medians,
        "ratio": round(medians["api"]["rps"] / medians["reference"]["rps"], 3),
        "valid": all(r["valid"] for measured in runs.values() for r in measured),
        "pool": len(pool),
        "runs": runs,
    }


def _wait_sequenced(owner_url: str, limit_seconds: float = 300) -> float:
    """Wait until the sequencer's queue (``log_pending``) is empty; the seconds it took."""

    async def wait() -> float:
        started = time.monotonic()
        connection = await asyncpg.connect(_plain(owner_url, DATABASE))
        try:
            while await connection.fetchval("SELECT count(*) FROM log_pending"):
                if time.monotonic() - started > limit_seconds:
                    raise RuntimeError(f"the sequencer did not catch up in {limit_seconds:.0f} s")
                await asyncio.sleep(0.5)
        finally:
            await connection.close()
        return round(time.monotonic() - started, 1)

    return asyncio.run(wait())


def _receivers_tokens(tokens: dict[str, str]) -> list[str]:
    """The S3 receiving NGOs' tokens in their numbers' order ("s3_1", "s3_2", ... "s3_16")."""
    numbered = {int(k.removeprefix("s3_")): v for k, v in tokens.items() if k.startswith("s3_")}
    return [numbered[n] for n in sorted(numbered)]


def _memory_mib(pid: int, field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (the peak since start, or since the last reset)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _reset_peak(pid: int) -> bool:
    """Start the peak-memory count again from what the process holds now (Linux: clear_refs 5),
    so that the start-up's own peak (argon2's decoy hash takes 64 MiB for a moment) is not
    counted as the export's. False where the system does not allow it (the peak then includes
    the start-up)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _s4(env: dict[str, str], seeded: dict[str, Any]) -> dict[str, Any]:
    """S4: the export of the first events of the log from a fresh API process (its peak memory is
    then the export's), downloaded by curl on the other core, then verified offline."""
    from app.ledger.verify import load_public_key, verify_export

    port = _free_port()
    # Its own sequencer off, as in the other scenarios: the log is complete, and the export is
    # the only work measured on its core.
    api = subprocess.Popen(
        ["taskset", "-c", "0", str(BIN / "homecoming"), "serve", "--port", str(port)],
        env=env | {"HOMECOMING_SEQUENCER_INTERVAL_SECONDS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    events = min(S4_EVENTS, int(seeded["log_size"]))
    target = RESULTS / "data" / "export.ndjson"
    try:
        _wait(f"http://127.0.0.1:{port}/health/live")
        startup_peak = _memory_mib(api.pid, "VmHWM")
        peak_reset = _reset_peak(api.pid)
        before = _memory_mib(api.pid, "VmRSS")
        url = f"http://127.0.0.1:{port}/v1/audit/export?from=0&to={events}"
        command = [
            "taskset", "-c", "1", "curl", "-sS", "-o", str(target),
            "-w", "%{http_code} %{size_download}",
            "-H", f"Authorization: Bearer {seeded['tokens']['auditor']}", url,
        ]  # fmt: skip
        started = time.perf_counter()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        seconds = time.perf_counter() - started
        status, size = out.split()
        peak = _memory_mib(api.pid, "VmHWM")
    finally:
        api.terminate()
        api.wait(timeout=10)
    key = subprocess.run(
        [str(BIN / "homecoming"), "audit", "public-key"], env=env, check=True, capture_output=True
    ).stdout
    with target.open("rb") as lines:
        outcome = verify_export(lines, load_public_key(key))
    target.unlink()
    return {
        "events": events,
        "status": int(status),
        "bytes": int(size),
        "seconds": round(seconds, 2),
        "events_per_second": round(events / seconds),
        "startup_peak_rss_mib": startup_peak,
        "peak_reset_before_export": peak_reset,
        "rss_before_mib": before,
        "peak_rss_mib": peak,
        "verified": outcome.ok,
        "verify_message": outcome.message,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(
    owner_url: str, api_url: str, cases: int, seconds: int, rounds: int, quick: bool
) -> dict[str, Any]:
    """One data size: seed, serve both, run every scenario, the fixed-rate run and the EXPLAIN."""
    use_wrk = shutil.which("wrk") is not None and not quick
    data_dir = RESULTS / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    seeded = prepare(owner_url, cases, data_dir, s3_pool_size(seconds, rounds))
    api_port, reference_port = _free_port(), _free_port()
    env = _env(_async(api_url, DATABASE), data_dir)
    # The log's sequencer runs as its own process on the other core (a deployment's choice the
    # README describes): in the API process it would also sequence the reference's S3 events,
    # on the core the reference is measured on.
    api = subprocess.Popen(
        ["taskset", "-c", "0", str(BIN / "homecoming"), "serve", "--port", str(api_port)],
        env=env | {"HOMECOMING_SEQUENCER_INTERVAL_SECONDS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sequencer = subprocess.Popen(
        ["taskset", "-c", "1", str(BIN / "homecoming"), "sequencer"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    reference = subprocess.Popen(
        ["taskset", "-c", "0", str(BIN / "uvicorn"), "bench.reference:app",
         "--port", str(reference_port), "--log-level", "warning", "--no-access-log"],
        env=env | {"BENCH_REFERENCE_DSN": _plain(api_url, DATABASE)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results: dict[str, Any] = {}
    try:
        _wait(f"http://127.0.0.1:{api_port}/health/live")
        _wait(f"http://127.0.0.1:{reference_port}/cases/00000000-0000-4000-8000-000000000000")
        for scenario in scenarios(seeded):
            token = seeded["tokens"][scenario.principal]
            targets = {
                "api": (f"http://127.0.0.1:{api_port}{scenario.api_path}", token),
                "reference": (f"http://127.0.0.1:{reference_port}{scenario.reference_path}", None),
            }

            @_observed
            def load(url: str, token: str | None, secs: int, follow: bool = scenario.follow) -> Any:
                if use_wrk:
                    return _wrk(url, token, secs, follow)
                return _builtin(url, token, secs, follow)

            for name, (url, tok) in targets.items():  # warm up, and check the answer is a 200
                headers = {"Authorization": f"Bearer {tok}"} if tok else {}
                answer = httpx.get(url, headers=headers)
                assert answer.status_code == 200, (scenario.name, name, answer.text[:300])
                load(url, tok, 1 if quick else 2)
            runs: dict[str, list[dict[str, Any]]] = {"api": [], "reference": []}
            for _ in range(rounds):
                for name, (url, tok) in targets.items():
                    runs[name].append(load(url, tok, seconds))
            medians = {
                name: {
                    key: statistics.median(r[key] for r in measured)
                    for key in ("rps", "p50_ms", "p99_ms", "errors")
                }
                for name, measured in runs.items()
            }
            results[scenario.name] = {
                "medians": medians,
                "ratio": round(medians["api"]["rps"] / medians["reference"]["rps"], 3),
                "runs": runs,
            }
        results["S3"] = _s3(
            f"http://127.0.0.1:{api_port}",
            f"http://127.0.0.1:{reference_port}",
            _receivers_tokens(seeded["tokens"]),
            seconds,
            rounds,
            use_wrk,
            quick,
        )
        # S3 may leave events to sequence (most of them the reference's): the fixed-rate runs
        # start once the queue is empty, so the sequencer catching up on the load generator's
        # core is not counted as the API's latency (1.5 s of waiting on 2026-12-05).
        waited = _wait_sequenced(owner_url)
        s1 = scenarios(seeded)[0]
        rate = 5 if quick else FIXED_RATE_SHARE * results["S1"]["medians"]["api"]["rps"]
        fixed_runs = [
            _fixed_rate(
                f"http://127.0.0.1:{api_port}{s1.api_path}",
                seeded["tokens"][s1.principal],
                rate,
                2 if quick else 10,
            )
            for _ in range(rounds)
        ]
        # Medians of the runs, as for the saturation runs (one noisy run does not decide).
        fixed = {
            key: statistics.median(r[key] for r in fixed_runs)
            for key in ("rate_target", "rate_achieved", "requests", "p50_ms", "p99_ms", "p999_ms")
        } | {
            "errors": sum(r["errors"] for r in fixed_runs),
            "runs": fixed_runs,
            "waited_for_sequencer_s": waited,
        }
    finally:
        for process in (api, sequencer, reference):
            process.terminate()
            process.wait(timeout=10)
    explain = asyncio.run(_explain_s2(owner_url, seeded))
    export = _s4(env, seeded)
    return {
        "cases": cases,
        "seed": {k: v for k, v in seeded.items() if k != "tokens"},
        "driver": "wrk" if use_wrk else "built-in",
        "scenarios": results,
        "fixed_rate_s1": fixed,
        "explain_s2": explain,
        "export_s4": export,
    }


def _versions() -> dict[str, str]:
    names = ["fastapi", "starlette", "sqlalchemy", "asyncpg", "pydantic", "uvicorn", "uvloop", "orjson"]
    found = {name: metadata.version(name) for name in names}
    found["python"] = platform.python_version()
    try:
        found["wrk"] = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    except (OSError, IndexError):
        found["wrk"] = "absent"
    return found


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory / 2**30, 1),
        "platform": platform.platform(),
    }


def run(
    owner_url: str,
    api_url: str,
    sizes: list[int],
    seconds: int,
    rounds: int = 3,
    quick: bool = False,
) -> dict[str, Any]:
    report = {
        "started": datetime.now(UTC).isoformat(),
        "sizes": [measure(owner_url, api_url, n, seconds, rounds, quick) for n in sizes],
        "versions": _versions(),
        "machine": _machine(),
    }
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def table(report: dict[str, Any]) -> str:
    lines = [
        "| cases | scenario | server | req/s | p50 ms | p99 ms | errors | ratio |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size in report["sizes"]:
        for name, result in size["scenarios"].items():
            for server, m in result["medians"].items():
                ratio = f"**{result['ratio']}**" if server == "api" else ""
                if server == "api" and result.get("valid") is False:
                    ratio += " (pool part over half used: not valid)"
                lines.append(
                    f"| {size['cases']:,} | {name} | {server} | {m['rps']:.0f} | {m['p50_ms']:.2f} |"
                    f" {m['p99_ms']:.2f} | {m['errors']:.0f} | {ratio} |"
                )
    steal = [
        v
        for size in report["sizes"]
        for result in size["scenarios"].values()
        for measured in result["runs"].values()
        for run in measured
        for v in run.get("steal_pct", {}).values()
    ]
    if steal:
        lines.insert(
            0,
            f"CPU steal during the saturation runs (per core): median {statistics.median(steal):.1f}%,"
            f" highest {max(steal):.1f}%.\n",
        )
    lines.append("")
    lines.append("| cases | S4 events | seconds | events/s | peak RSS MiB | verified |")
    lines.append("| ---: | ---: | ---: | ---: | ---: | --- |")
    for size in report["sizes"]:
        e = size["export_s4"]
        lines.append(
            f"| {size['cases']:,} | {e['events']:,} | {e['seconds']} | {e['events_per_second']:,} |"
            f" {e['peak_rss_mib']} | {e['verified']} |"
        )
    lines.append("")
    lines.append(
        "| cases | fixed rate S1 (API) | achieved | p50 ms | p99 ms | p99.9 ms | p99/p50 | errors |"
    )
    lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in report["sizes"]:
        f = size["fixed_rate_s1"]
        ratio = f["p99_ms"] / f["p50_ms"] if f["p50_ms"] else float("nan")
        lines.append(
            f"| {size['cases']:,} | {f['rate_target']:.0f}/s | {f['rate_achieved']:.0f}/s |"
            f" {f['p50_ms']:.2f} | {f['p99_ms']:.2f} | {f['p999_ms']:.2f} | {ratio:.1f} |"
            f" {f['errors']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--owner-url", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument(
        "--cases", default="10000,1000000", help="Data sizes, comma-separated (one run each)."
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="One short round on tiny data.")
    args = parser.parse_args()
    if args.quick:
        report = run(args.owner_url, args.api_url, [200], 2, rounds=1, quick=True)
    else:
        sizes = [int(n) for n in args.cases.split(",")]
        report = run(args.owner_url, args.api_url, sizes, args.seconds)
    print(table(report))


if __name__ == "__main__":
    main()
