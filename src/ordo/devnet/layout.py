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

    def node_dir(self, index: int) -> Path:
        return self.root / f"node-{index}"

    def signer_key_path(self, index: int) -> Path:
        return self.node_dir(index) / "signer.key"

    def node_key_path(self, index: int) -> Path:
        return self.node_dir(index) / "node.key"

    def log_path(self, index: int) -> Path:
        return self.node_dir(index) / "node.log"
