"""No Docker engine runs here, so the image cannot be built in CI; the Dockerfile is checked as text."""

from __future__ import annotations

import json
from pathlib import Path

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    joined = DOCKERFILE.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_multi_stage_and_non_root() -> None:
    steps = _instructions()
    assert [k for k, _ in steps].count("FROM") >= 2
    final_stage = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM") :]
    users = [v for k, v in final_stage if k == "USER"]
    assert users
    assert users[-1] not in ("root", "0")


def test_runs_uvicorn_and_not_migrations() -> None:
    steps = _instructions()
    cmd = json.loads(next(v for k, v in reversed(steps) if k == "CMD"))
    assert cmd[0] == "uvicorn"
    assert "app.main:create_app" in cmd
    assert "--factory" in cmd
    assert not any(k == "ENTRYPOINT" for k, _ in steps)
    assert "upgrade" not in " ".join(cmd)


def test_installs_from_the_pinned_constraints() -> None:
    assert "-c constraints.txt" in DOCKERFILE
