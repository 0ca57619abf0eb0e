"""``python -m ordo.derivation`` as a separate process, started from inside the event loop that
runs the in-process cluster (a blocking subprocess call would freeze the very node it compares
against)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120.0


async def derive_from_l1(l1_url: str, inbox: bytes, genesis: Path, data_dir: Path,
                         compare_rpc: str) -> tuple[int, dict[str, Any]]:
    """The command's exit status and JSON summary; it reads only the L1 (and the genesis file)
    and checks each derived block against ``compare_rpc``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ordo.derivation", "--l1-rpc", l1_url, "--inbox",
        "0x" + inbox.hex(), "--genesis", str(genesis), "--data-dir", str(data_dir),
        "--compare-rpc", compare_rpc, cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert stdout, stderr.decode(errors="replace")[-4000:]
    summary: dict[str, Any] = json.loads(stdout)
    assert process.returncode is not None
    return process.returncode, summary
