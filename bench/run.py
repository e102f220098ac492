"""Drive the benchmark: the API and the reference server side by side on one database.

    python -m bench.run --owner-url postgresql+asyncpg://OWNER:PW@127.0.0.1/postgres \\
                        --api-url   postgresql+asyncpg://API:PW@127.0.0.1/postgres [--cases 10000]

Creates (or reuses) the database ``homecoming_bench``, migrates and seeds it, then for each scenario
runs ``wrk -t1 -c32`` against the API and the reference, alternating, three times each; the server
under test is pinned to core 0 and wrk to core 1. Prints medians and the ratio API / reference, and
writes them to bench/results/. So far: scenario S1 (read one case as its assigned caseworker)."""

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
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
DATABASE = "homecoming_bench"


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
    }


def prepare(owner_url: str, cases: int, data_dir: Path) -> dict[str, Any]:
    asyncio.run(_recreate(owner_url))
    env = _env(_async(owner_url, DATABASE), data_dir)
    subprocess.run([str(BIN / "homecoming"), "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "python"), "-m", "bench.seed", "--cases", str(cases)], env=env, check=True, cwd=ROOT
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


def _wrk(url: str, token: str | None, seconds: int) -> dict[str, float]:
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", url]
    if token:
        command[6:6] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

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
    return {"rps": rps, "p50_ms": percentile("50"), "p99_ms": percentile("99"), "errors": errors}


def _builtin(url: str, token: str | None, seconds: int, concurrency: int = 8) -> dict[str, float]:
    """A small closed-loop driver for when wrk is absent (the quick mode in the test suite): it
    keeps the harness working, it does not measure saturation."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append((time.perf_counter() - sent) * 1000)
            errors += response.status_code >= 400

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    owner_url: str, api_url: str, cases: int, seconds: int, rounds: int = 3, quick: bool = False
) -> dict[str, Any]:
    """Seed, serve both, measure. ``quick`` uses the built-in driver when wrk is absent."""
    use_wrk = shutil.which("wrk") is not None
    if not use_wrk and not quick:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    load = _wrk if use_wrk else _builtin
    api_port, reference_port = _free_port(), _free_port()
    data_dir = RESULTS / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    seeded = prepare(owner_url, cases, data_dir)
    api = subprocess.Popen(
        ["taskset", "-c", "0", str(BIN / "homecoming"), "serve", "--port", str(api_port)],
        env=_env(_async(api_url, DATABASE), data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    reference = subprocess.Popen(
        ["taskset", "-c", "0", str(BIN / "uvicorn"), "bench.reference:app",
         "--port", str(reference_port), "--log-level", "warning", "--no-access-log"],
        env=os.environ | {"BENCH_REFERENCE_DSN": _plain(api_url, DATABASE)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{api_port}/health/live")
        _wait(f"http://127.0.0.1:{reference_port}/cases/00000000-0000-4000-8000-000000000000")
        case_id = seeded["case_id"]
        targets = {
            "api": (f"http://127.0.0.1:{api_port}/v1/cases/{case_id}", seeded["tokens"]["caseworker"]),
            "reference": (f"http://127.0.0.1:{reference_port}/cases/{case_id}", None),
        }
        for name, (url, token) in targets.items():  # warm up, and check the answer is a 200
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            assert httpx.get(url, headers=headers).status_code == 200, name
            load(url, token, 1 if quick else 2)
        runs: dict[str, list[dict[str, float]]] = {"api": [], "reference": []}
        for _ in range(rounds):
            for name, (url, token) in targets.items():
                runs[name].append(load(url, token, seconds))
    finally:
        for process in (api, reference):
            process.terminate()
            process.wait(timeout=10)
    medians = {
        name: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for name, results in runs.items()
    }
    report = {
        "scenario": "S1",
        "cases": cases,
        "seed_seconds": seeded["seconds"],
        "medians": medians,
        "ratio": round(medians["api"]["rps"] / medians["reference"]["rps"], 3),
        "driver": "wrk" if use_wrk else "built-in",
        "runs": runs,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    }
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"s1-{cases}-{stamp}.json").write_text(json.dumps(report, indent=2))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--owner-url", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="One short round on tiny data.")
    args = parser.parse_args()
    if args.quick:
        report = run(args.owner_url, args.api_url, 200, 2, rounds=1, quick=True)
    else:
        report = run(args.owner_url, args.api_url, args.cases, args.seconds)
    print(f"{'S1':<4} {'server':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, m in report["medians"].items():
        row = f"{m['rps']:>9.0f} {m['p50_ms']:>8.2f} {m['p99_ms']:>8.2f} {m['errors']:>7.0f}"
        print(f"{'':<4} {name:<10} {row}")
    print(f"ratio API / reference: {report['ratio']}")


if __name__ == "__main__":
    main()
