"""Print the OpenAPI document (``make openapi`` writes it to openapi/openapi.json)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from app.config import Settings


def openapi_document() -> dict[str, Any]:
    from app.main import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(env="development", data_dir=Path(tmp), log_level="WARNING"))
        return app.openapi()


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
