"""A real ``homecoming serve`` process on a free local port, migrated and seeded with the demo."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


@dataclass
class LiveServer:
    base: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def log_lines(self) -> list[str]:
        return (self.data_dir / "server.log").read_text().splitlines()

    def password(self, username: str) -> str:
        users = json.loads((self.data_dir / "demo-credentials.json").read_text())["users"]
        return str(users[username])

    def token(self, username: str) -> str:
        response = httpx.post(
            f"{self.base}/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": self.password(username)},
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(data_dir: Path) -> Iterator[LiveServer]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOMECOMING_", "TEST_"))} | {
        "HOMECOMING_DATA_DIR": str(data_dir),
        "HOMECOMING_ARGON2_MEMORY_KIB": "19456",
        "HOMECOMING_ARGON2_TIME_COST": "2",
        "HOMECOMING_ARGON2_PARALLELISM": "1",
    }
    homecoming = str(BIN / "homecoming")
    subprocess.run([homecoming, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([homecoming, "demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    # Logs go to a file: a pipe nobody reads would fill up and stall the server.
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [homecoming, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, process)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{server.base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
