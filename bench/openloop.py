"""A small open-loop load generator: requests at a fixed rate, evenly spaced, latency measured from
each request's *intended* send time, so a slow answer delays (and is charged to) the requests behind
it instead of silently lowering the rate (no coordinated omission).

    python -m bench.openloop URL --rate 800 --seconds 15 [--header 'Authorization: Bearer ...']

HTTP/1.1 keep-alive over a pool of connections; a request waits for a free connection when all
are busy, and that wait counts in its latency. Prints JSON: p50, p99, p99.9 (ms), the rate achieved
and errors (non-2xx answers and failed connections).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status


async def drive(
    url: str, rate: float, seconds: float, headers: list[str], connections: int = 64
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = "".join(f"{h}\r\n" for h in headers)
    request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode()
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(_Connection(*await asyncio.open_connection(host, port)))
    latencies: list[float] = []
    errors = 0
    interval = 1.0 / rate
    total = int(rate * seconds)

    async def one(intended: float) -> None:
        nonlocal errors
        connection = await idle.get()
        try:
            status = await connection.get(request)
            errors += not 200 <= status < 300
            idle.put_nowait(connection)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            connection.writer.close()
            idle.put_nowait(_Connection(*await asyncio.open_connection(host, port)))
        latencies.append((time.perf_counter() - intended) * 1000)

    started = time.perf_counter()
    tasks = []
    for number in range(total):
        intended = started + number * interval
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(intended)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    while not idle.empty():
        idle.get_nowait().writer.close()
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2)

    return {
        "rate_target": rate,
        "rate_achieved": round(len(ordered) / elapsed, 1),
        "requests": len(ordered),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "p999_ms": percentile(0.999),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    try:
        import uvloop

        run = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is pinned, but the generator needs none
        run = asyncio.run
    print(json.dumps(run(drive(args.url, args.rate, args.seconds, args.header))))


if __name__ == "__main__":
    main()
