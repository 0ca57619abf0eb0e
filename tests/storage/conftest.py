from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The block builder sits beside the tests and is also imported by the crash-test child process.
sys.path.insert(0, str(Path(__file__).parent))

from ordo.storage.chain_store import ChainStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChainStore]:
    chain_store = ChainStore(tmp_path / "chain", map_size=64 * 2**20)
    yield chain_store
    chain_store.close()
