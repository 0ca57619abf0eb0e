"""Shadow checking in production: every Nth block the native engine builds or executes is
re-executed by py-evm (the reference) on the same parent state, and any difference is logged
loudly at ERROR and counted (``ordo node --shadow-check N``).

The check never changes what the node does with the block: the native result stands, since a
node that stopped on a difference would let one engine bug halt the network. The difference is
for operators and for the native engine's maintainers (docs/native_engine.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from eth.abc import BlockHeaderAPI, ReceiptAPI

from ordo.core.block import Block, ExecutedBlock
from ordo.core.forced_item import ForcedItem
from ordo.core.genesis import Genesis
from ordo.core.transaction import DecodedTransaction
from ordo.execution.ancestry import AncestorHashes
from ordo.execution.engine import BlockEnvironment, BuildResult, PyEvmEngine
from ordo.execution.errors import InvalidBlock
from ordo.execution.native_engine import NativeEngine
from ordo.execution.state_source import KeyValueReader

log = logging.getLogger(__name__)


def receipts_difference(
    reference: Sequence[ReceiptAPI], native: Sequence[ReceiptAPI]
) -> str | None:
    """The first receipt where the two engines differ, or None."""
    if len(reference) != len(native):
        return f"{len(reference)} receipts from py-evm, {len(native)} from native"
    for index, (want, have) in enumerate(zip(reference, native, strict=True)):
        if want.encode() != have.encode():
            return (f"receipt {index}: py-evm status {want.state_root!r} gas {want.gas_used} "
                    f"logs {len(want.logs)}, native status {have.state_root!r} gas "
                    f"{have.gas_used} logs {len(have.logs)}")
    return None


class ShadowCheckedEngine(NativeEngine):
    """The native engine, with every ``every``-th block re-executed by py-evm and compared."""

    def __init__(
        self,
        genesis: Genesis,
        state: KeyValueReader,
        ancestor_hashes: AncestorHashes | None = None,
        *,
        every: int,
        reference: PyEvmEngine | None = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"shadow check interval must be at least 1, got {every}")
        super().__init__(genesis, state, ancestor_hashes)
        self.every = every
        self.reference = reference or PyEvmEngine(genesis, state, ancestor_hashes)
        self.checked = 0
        self.differences: list[str] = []

    def build_block(
        self,
        parent: BlockHeaderAPI,
        candidates: Iterable[DecodedTransaction],
        env: BlockEnvironment,
    ) -> BuildResult:
        result = super().build_block(parent, candidates, env)
        self._maybe_check(parent, result.executed, env.forced)
        return result

    def execute_block(
        self, parent: BlockHeaderAPI, block: Block, forced: tuple[ForcedItem, ...] = ()
    ) -> tuple[ExecutedBlock, dict[bytes, bytes]]:
        executed, writes = super().execute_block(parent, block, forced)
        self._maybe_check(parent, executed, forced)
        return executed, writes

    def _maybe_check(
        self, parent: BlockHeaderAPI, executed: ExecutedBlock, forced: tuple[ForcedItem, ...]
    ) -> None:
        number = int(parent.block_number) + 1
        if number % self.every:
            return
        self.checked += 1
        try:
            reference, _writes = self.reference.execute_block(parent, executed.block, forced)
        except InvalidBlock as error:
            self._report(number, f"py-evm refuses the native engine's block: {error}")
            return
        difference = receipts_difference(reference.receipts, executed.receipts)
        if difference is not None:
            self._report(number, difference)

    def _report(self, number: int, difference: str) -> None:
        message = f"block {number}: {difference}"
        self.differences.append(message)
        log.error("SHADOW CHECK FAILED: the native engine and py-evm differ on %s", message)
