"""Two engines on one chain: every block is built by py-evm (the reference) and by the native
engine from the same parent state, and must come out identical; each engine then re-executes
the other's block. Only the native engine's state writes are committed, so the reference's next
block reads the native trie nodes: a node the native engine failed to write fails the next block.

The first difference is reported by name: skipped candidates, transactions, the header field
(docs/state_transition.md 2.9 order), the receipt (status, gas, logs, bloom), and, when the state
roots differ, each touched account's nonce, balance, code and storage root at both roots.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pytest
import rlp
from eth.abc import BlockHeaderAPI, ReceiptAPI
from eth_utils import keccak

from ordo.core.block import ExecutedBlock
from ordo.core.forced_item import ForcedDeposit, ForcedItem
from ordo.core.genesis import Genesis
from ordo.core.native_loader import native_available
from ordo.core.transaction import DecodedTransaction
from ordo.execution.engine import BlockEnvironment, BuildResult, PyEvmEngine
from ordo.execution.header_rules import header_mismatch
from ordo.execution.native_engine import NativeEngine
from ordo.execution.state_source import MemoryKeyValueStore
from ordo.storage.encoding import encode_receipts

COINBASE = bytes.fromhex("c0ffee0000000000000000000000000000000001")


def require_native() -> None:
    """Skip where the extension is not built; in CI (which has cargo) it must be."""
    if native_available():
        return
    if os.environ.get("CI"):
        pytest.fail("the native engine is not built in CI: `pip install -e .` must build it")
    pytest.skip("the native engine is not built on this machine (no Rust toolchain)")


def created_address(sender: bytes, nonce: int) -> bytes:
    return keccak(rlp.encode([sender, nonce]))[12:]


class EngineDifference(AssertionError):
    """The two engines disagree; the message names the first difference."""


@dataclass
class TwinChain:
    genesis: Genesis
    store: MemoryKeyValueStore = field(default_factory=MemoryKeyValueStore)
    headers: list[BlockHeaderAPI] = field(default_factory=list)
    blocks: int = 0
    transactions: int = 0

    def __post_init__(self) -> None:
        self.reference = PyEvmEngine(self.genesis, self.store)
        self.native = NativeEngine(self.genesis, self.store)
        executed, writes = self.reference.genesis_block()
        native_executed, _native_writes = self.native.genesis_block()
        assert native_executed.block.hash == executed.block.hash
        self.store.apply(writes)
        self.headers.append(executed.block.header)

    @property
    def head(self) -> BlockHeaderAPI:
        return self.headers[-1]

    def next_base_fee(self) -> int:
        return self.reference.next_base_fee(self.head)

    def block(
        self,
        candidates: Sequence[DecodedTransaction] = (),
        *,
        forced: tuple[ForcedItem, ...] = (),
        coinbase: bytes = COINBASE,
        timestamp: int | None = None,
        gas_limit: int | None = None,
        watch: Iterable[bytes] = (),
    ) -> BuildResult:
        """Build the next block with both engines, compare, cross-execute, commit native's."""
        parent = self.head
        env = BlockEnvironment(
            coinbase=coinbase,
            timestamp=int(parent.timestamp) + 1 if timestamp is None else timestamp,
            gas_limit=int(parent.gas_limit) if gas_limit is None else gas_limit,
            extra_data=b"\x00" * 20,
            prev_randao=keccak(int(parent.block_number).to_bytes(8, "big")),
            forced=forced,
        )
        reference = self.reference.build_block(parent, list(candidates), env)
        native = self.native.build_block(parent, list(candidates), env)
        touched = _touched(candidates, forced, coinbase, reference, native, watch)
        self._compare(parent, reference, native, touched)
        # each engine accepts the other's block, with the same receipts
        executed, writes = self.native.execute_block(parent, reference.executed.block, forced)
        _compare_receipts(reference.executed.receipts, executed.receipts, "native re-execution")
        _compare_encodings(reference.executed.receipts, executed, "native re-execution")
        if writes.keys() != native.state_writes.keys():
            raise EngineDifference("native execute_block wrote other nodes than build_block")
        self.reference.execute_block(parent, native.executed.block, forced)
        self.store.apply(native.state_writes)
        self.headers.append(native.executed.block.header)
        self.blocks += 1
        self.transactions += len(native.executed.block.transactions)
        return native

    def _compare(
        self,
        parent: BlockHeaderAPI,
        reference: BuildResult,
        native: BuildResult,
        touched: set[bytes],
    ) -> None:
        number = int(parent.block_number) + 1
        if reference.skipped != native.skipped:
            raise EngineDifference(
                f"block {number}: skipped differ:\n py-evm {reference.skipped}\n"
                f" native {native.skipped}"
            )
        ref_txs = [bytes(tx.hash) for tx in reference.executed.block.transactions]
        nat_txs = [bytes(tx.hash) for tx in native.executed.block.transactions]
        if ref_txs != nat_txs:
            raise EngineDifference(f"block {number}: included transactions differ")
        _compare_receipts(reference.executed.receipts, native.executed.receipts, f"block {number}")
        _compare_encodings(reference.executed.receipts, native.executed, f"block {number}")
        mismatch = header_mismatch(reference.executed.block.header, native.executed.block.header)
        if mismatch is not None:
            accounts = self._account_differences(reference, native, touched)
            raise EngineDifference(f"block {number}: native {mismatch}\n{accounts}")

    def _account_differences(
        self, reference: BuildResult, native: BuildResult, touched: set[bytes]
    ) -> str:
        combined = MemoryKeyValueStore()
        combined.apply(self.store._entries)
        combined.apply(reference.state_writes)
        combined.apply(native.state_writes)
        reader = PyEvmEngine(self.genesis, combined)
        lines = []
        for address in sorted(touched):
            want = _account(reader, reference.executed.block.header, address)
            have = _account(reader, native.executed.block.header, address)
            if want != have:
                lines.append(f"  0x{address.hex()}: py-evm {want}\n  {' ' * 42}  native {have}")
        return "touched accounts that differ:\n" + ("\n".join(lines) or "  (none of those)")


def _account(reader: PyEvmEngine, header: BlockHeaderAPI, address: bytes) -> tuple[object, ...]:
    try:
        proof = reader.get_proof(header, address, ())
        return (proof.nonce, proof.balance, proof.code_hash.hex(), proof.storage_hash.hex())
    except Exception as error:  # a missing node is itself the difference to show
        return (f"unreadable: {error}",)


def _touched(
    candidates: Sequence[DecodedTransaction],
    forced: tuple[ForcedItem, ...],
    coinbase: bytes,
    reference: BuildResult,
    native: BuildResult,
    watch: Iterable[bytes],
) -> set[bytes]:
    touched = {coinbase, *watch}
    for candidate in candidates:
        touched.add(candidate.sender)
        if candidate.tx.to:
            touched.add(bytes(candidate.tx.to))
        else:
            touched.add(created_address(candidate.sender, int(candidate.tx.nonce)))
    for item in forced:
        if isinstance(item, ForcedDeposit):
            touched.add(item.recipient)
    for result in (reference, native):
        for receipt in result.executed.receipts:
            touched.update(bytes(log.address) for log in receipt.logs)
    return touched


def _compare_receipts(
    reference: Sequence[ReceiptAPI], native: Sequence[ReceiptAPI], where: str
) -> None:
    if len(reference) != len(native):
        raise EngineDifference(f"{where}: {len(reference)} receipts vs {len(native)}")
    for index, (want, have) in enumerate(zip(reference, native, strict=True)):
        for name in ("state_root", "gas_used", "bloom"):
            if getattr(want, name) != getattr(have, name):
                raise EngineDifference(
                    f"{where}: receipt {index} {name}: py-evm {getattr(want, name)!r} "
                    f"native {getattr(have, name)!r}"
                )
        want_logs = [(bytes(log.address), tuple(log.topics), bytes(log.data)) for log in want.logs]
        have_logs = [(bytes(log.address), tuple(log.topics), bytes(log.data)) for log in have.logs]
        if want_logs != have_logs:
            raise EngineDifference(
                f"{where}: receipt {index} logs:\n py-evm {want_logs}\n native {have_logs}"
            )
        if want.encode() != have.encode():
            raise EngineDifference(f"{where}: receipt {index} encodings differ")



def _compare_encodings(
    reference: Sequence[ReceiptAPI], native: ExecutedBlock, where: str
) -> None:
    """The receipts record the store writes for the native engine's block (from the encodings
    the extension hands back, or from the receipts after a fall back to py-evm) is the
    reference's record byte for byte."""
    want = encode_receipts(tuple(reference))
    have = encode_receipts(native.receipts, native.receipt_encodings)
    if want != have:
        raise EngineDifference(
            f"{where}: stored receipts record: py-evm 0x{want.hex()} native 0x{have.hex()}"
        )
