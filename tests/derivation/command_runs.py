"""Running ``python -m ordo.derivation`` as a subprocess, as an operator would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.l1_inbox.rollup_setup import RollupSetup

REPO_ROOT = Path(__file__).resolve().parents[2]


def l1_url(rollup: RollupSetup) -> str:
    return str(rollup.chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


def run_command(*arguments: str) -> tuple[int, dict[str, object]]:
    """The exit status and the JSON summary printed on stdout."""
    finished = subprocess.run([sys.executable, "-m", "ordo.derivation", *arguments],
                              capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert finished.stdout, finished.stderr
    summary: dict[str, object] = json.loads(finished.stdout)
    return finished.returncode, summary
