"""The extension's list-trie root (transactions and receipts roots) against py-evm's, across the
key-length boundaries of rlp(i) (0x80, 1..127 one byte, 128.. two or more bytes)."""

from __future__ import annotations

import pytest
from eth.db.trie import make_trie_root_and_nodes

from ordo.core.native_loader import native_module
from tests.native.twin_chain import require_native


class _Item:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def encode(self) -> bytes:
        return self.payload


@pytest.mark.parametrize("count", [0, 1, 2, 16, 17, 127, 128, 129, 300])
def test_ordered_root_matches_py_evm(count: int) -> None:
    require_native()
    items = [bytes([index % 251]) * (index % 70) + b"\xc0" for index in range(count)]
    want, _nodes = make_trie_root_and_nodes(tuple(_Item(item) for item in items))
    assert native_module().ordered_trie_root(items) == bytes(want)
