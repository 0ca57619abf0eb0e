"""How a parent process learns the dev L1 is serving: one stdout line and a file, both JSON.

The file is written atomically (rename), so a reader never sees half of it, and removed on a clean
exit, so a stale one from a killed run is recognisable by its pid.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

READY_FILE = "ready.json"
READY_PREFIX = "ORDO_DEV_L1_READY "


def ready_document(url: str, chain_id: int, head: int) -> dict[str, Any]:
    return {"url": url, "chainId": chain_id, "head": head, "pid": os.getpid()}


def write_ready_file(data_dir: Path, document: dict[str, Any]) -> Path:
    path = data_dir / READY_FILE
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(document) + "\n")
    os.replace(partial, path)
    return path


def remove_ready_file(data_dir: Path) -> None:
    (data_dir / READY_FILE).unlink(missing_ok=True)


def parse_ready_line(line: str) -> dict[str, Any] | None:
    """The document of a ready line, None for any other line."""
    if not line.startswith(READY_PREFIX):
        return None
    document = json.loads(line[len(READY_PREFIX):])
    return document if isinstance(document, dict) else None
