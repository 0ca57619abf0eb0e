"""Where a devnet keeps its files.

One place decides the paths so that the first run, a resumed run and the load generator (which
reads ``devnet.json``) always agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DevnetLayout:
    root: Path

    @property
    def genesis_path(self) -> Path:
        return self.root / "genesis.json"

    @property
    def manifest_path(self) -> Path:
        return self.root / "devnet.json"

    @property
    def lock_path(self) -> Path:
        return self.root / "devnet.lock"

    @property
    def l1_record_path(self) -> Path:
        """What the devnet put on its L1 (contracts, stakes, origin): kept, unlike devnet.json,
        because a resumed devnet must find the same pool without redeploying."""
        return self.root / "l1.json"

    @property
    def dev_l1_dir(self) -> Path:
        """The embedded dev L1's own data dir (its chain persists between runs)."""
        return self.root / "l1"

    @property
    def dev_l1_log_path(self) -> Path:
        return self.dev_l1_dir / "dev-l1.log"

    def node_dir(self, index: int) -> Path:
        return self.root / f"node-{index}"

    def signer_key_path(self, index: int) -> Path:
        return self.node_dir(index) / "signer.key"

    def node_key_path(self, index: int) -> Path:
        return self.node_dir(index) / "node.key"

    def log_path(self, index: int) -> Path:
        return self.node_dir(index) / "node.log"
