"""A block's receipts kept as their consensus encodings until something reads one.

The native engine returns each receipt's encoding (it hashed them for the receipts root) and the
store writes those bytes. Building a py-evm receipt object per transaction at every block, as the
engine did, cost ~5 µs each on every node for objects that only an RPC answer, a log query or a
shadow check ever reads, and for most blocks nothing does. ``LazyReceipts`` decodes the whole
block's receipts the first time one is read (the same decoding the store applies to its stored
record), and keeps them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from eth.abc import ReceiptAPI
from eth.vm.forks.prague.receipts import PragueReceiptBuilder


def decode_receipt(encoding: bytes) -> ReceiptAPI:
    """One receipt from its consensus encoding (legacy RLP list or typed ``type ‖ rlp``)."""
    receipt: ReceiptAPI = PragueReceiptBuilder.decode(encoding)
    return receipt


class LazyReceipts(Sequence[ReceiptAPI]):
    __slots__ = ("_decoded", "encodings")

    def __init__(self, encodings: tuple[bytes, ...]) -> None:
        self.encodings = encodings
        self._decoded: tuple[ReceiptAPI, ...] | None = None

    def decoded(self) -> tuple[ReceiptAPI, ...]:
        if self._decoded is None:
            self._decoded = tuple(decode_receipt(encoding) for encoding in self.encodings)
        return self._decoded

    @property
    def is_decoded(self) -> bool:
        return self._decoded is not None

    def __len__(self) -> int:
        return len(self.encodings)

    @overload
    def __getitem__(self, index: int) -> ReceiptAPI: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[ReceiptAPI, ...]: ...

    def __getitem__(self, index: int | slice) -> ReceiptAPI | tuple[ReceiptAPI, ...]:
        return self.decoded()[index]

    def __iter__(self) -> Iterator[ReceiptAPI]:
        return iter(self.decoded())

    def __repr__(self) -> str:
        state = "decoded" if self.is_decoded else "encoded"
        return f"LazyReceipts({len(self.encodings)} receipts, {state})"
