"""A chaos run on anvil with one L1 reorg deeper than the genesis's 2 confirmations (seed 1,
30 s: a 3-block anvil_reorg at 5 s): no final block names an L1 origin the reorg replaced, so
derivation can still reproduce the chain from L1. Before origins were kept at or below the L1's
finalized block (l1_watch), blocks named the L1 block 2 deep, and the same run reported final
blocks naming replaced origins (docs/reliability.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ordo.chaos.harness import ChaosOptions, run_chaos

pytestmark = pytest.mark.slow


def test_no_final_block_names_an_origin_a_deep_reorg_replaced(tmp_path: Path) -> None:
    options = ChaosOptions(seed=1, duration=30, l1="anvil", only=("l1_reorg",),
                           workdir=tmp_path)
    summary = run_chaos(options)
    print(json.dumps({key: summary[key] for key in ("violations", "fault_log", "l1")}, indent=2))
    reorgs = summary["l1"]["reorgs"]
    assert reorgs and all(entry["replaced"] and entry["depth"] > 2 for entry in reorgs)
    assert summary["l1"]["l1_origins_checked"] > 0
    origin_violations = [text for text in summary["violations"] if "L1 origin" in text]
    assert origin_violations == [], f"repeat with: {summary['repeat']}"
    transactions = summary["transactions"]
    assert transactions["acknowledged"] > 100 and transactions["lost"] == 0
    assert summary["forks_seen"] == 0
