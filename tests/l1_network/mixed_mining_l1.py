"""An L1 that ticks a block a second and also mines each transaction at once: anvil with
``--mixed-mining``, or the embedded dev L1 with ``--automine`` (what ``ticking_l1`` runs for
it).

The batch tests need a ticking L1 (origins and confirmations advance with time) but not the
cluster's ~30 setup transactions (deploys, stakes, funding) waiting a second each, which on an
interval-only anvil costs ~11 s per test.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ordo.devnet.ports import free_port
from tests.l1_contracts.anvil_chain import ANVIL_BINARY as ANVIL
from tests.l1_network.l1_cluster import L1_CHAIN_ID


@pytest.fixture(params=["anvil", "dev"])
def mixed_mining_l1(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    if request.param == "anvil":
        command = [str(ANVIL), "--port", str(port), "--silent", "--chain-id", str(L1_CHAIN_ID),
                   "--block-time", "1", "--mixed-mining"]
    else:
        command = [sys.executable, "-m", "ordo.devchain", "--port", str(port),
                   "--data-dir", str(tmp_path / "dev-l1"), "--block-time", "1", "--automine"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.kill()
        process.wait(timeout=10)
