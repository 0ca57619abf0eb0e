"""What the JSON-RPC server needs from a node.

The RPC layer validates and decodes requests, formats answers, and keeps filters and subscriptions;
everything about the chain comes through this protocol. The node implements it; the RPC unit tests
use a fake. Block numbers passed in are already resolved from tags ("latest", "safe", ...) by the
RPC layer using ``head_number`` and ``finalized_number``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from eth.abc import ReceiptAPI, SignedTransactionAPI

from ordo.core.block import Block, ExecutedBlock, LogRecord, TransactionLocation
from ordo.core.call import AccountProof, CallRequest
from ordo.core.l1_fee import L1FeeRules
from ordo.execution.access_list import AccessListResult
from ordo.execution.call_overrides import NO_OVERRIDES, CallOverrides
from ordo.execution.simulation import SimulatedBlock, SimulationRequest

NewBlockListener = Callable[[Block], Awaitable[None] | None]
PendingTransactionListener = Callable[[bytes], Awaitable[None] | None]


class RpcBackend(Protocol):
    chain_id: int
    client_version: str
    l1_fee_rules: L1FeeRules | None
    """The genesis's L1 data fee rules: receipts then carry OP's L1 fee fields."""

    # --- chain ---------------------------------------------------------------------------------
    def head_number(self) -> int:
        """Number of the newest committed block."""
        ...

    def finalized_number(self) -> int:
        """Number of the newest final block (the RPC tags "safe" and "finalized")."""
        ...

    def get_block_by_number(self, number: int) -> Block | None: ...

    def get_block_by_hash(self, block_hash: bytes) -> Block | None: ...

    def pending_block(self) -> ExecutedBlock:
        """The block the mempool would make on the head now: built, never committed."""
        ...

    def get_receipts(self, block_hash: bytes) -> Sequence[ReceiptAPI]:
        """Receipts of a committed block, in transaction order (empty for an unknown block)."""
        ...

    def get_transaction_location(self, tx_hash: bytes) -> TransactionLocation | None: ...

    def get_block_logs(self, number: int) -> Sequence[LogRecord]:
        """All logs of one committed block with block-wide log indexes."""
        ...

    # --- state at a committed block ------------------------------------------------------------
    def get_balance(self, address: bytes, number: int) -> int: ...

    def get_nonce(self, address: bytes, number: int) -> int: ...

    def get_code(self, address: bytes, number: int) -> bytes: ...

    def get_storage_at(self, address: bytes, slot: int, number: int) -> int: ...

    def get_proof(self, address: bytes, slots: Sequence[int], number: int) -> AccountProof: ...

    def get_state_node(self, key: bytes) -> bytes | None:
        """A state trie node or contract code from the store, by its key (the keccak of its
        bytes), whatever block it belongs to; None when the store does not hold it."""
        ...

    def call(self, request: CallRequest, number: int,
             overrides: CallOverrides = NO_OVERRIDES) -> bytes:
        """Return data of a successful call; raises ExecutionReverted or CallFailed."""
        ...

    def estimate_gas(self, request: CallRequest, number: int,
                     overrides: CallOverrides = NO_OVERRIDES) -> int:
        """Smallest gas limit with which the call succeeds; raises ExecutionReverted/CallFailed."""
        ...

    def create_access_list(self, request: CallRequest, number: int,
                           overrides: CallOverrides = NO_OVERRIDES) -> AccessListResult:
        """The EIP-2930 list the call touches, its gas with that list and its failure, if any;
        raises CallFailed when the call cannot start."""
        ...

    def simulate(self, request: SimulationRequest, number: int) -> list[SimulatedBlock]:
        """eth_simulateV1 on the state of block ``number``; raises SimulationError."""
        ...

    # --- fees ----------------------------------------------------------------------------------
    def suggested_priority_fee(self) -> int: ...

    def next_base_fee(self) -> int:
        """Base fee of the next block to be produced."""
        ...

    def blob_base_fee(self) -> int:
        """EIP-4844 blob base fee from the head's excess blob gas (geth's eth_blobBaseFee)."""
        ...

    # --- mempool -------------------------------------------------------------------------------
    async def submit_raw_transaction(self, raw: bytes) -> bytes:
        """Admit a raw signed transaction; return its hash once it is durably journaled.

        Raises RejectedTransaction with geth's wording on refusal.
        """
        ...

    def pending_nonce(self, address: bytes) -> int:
        """Next nonce for the address counting its transactions queued in the mempool."""
        ...

    def get_pending_transaction(self, tx_hash: bytes) -> tuple[SignedTransactionAPI, bytes] | None:
        """A transaction still in the mempool, with its sender."""
        ...

    def transaction_status(self, tx_hash: bytes) -> dict[str, Any]:
        """{"status": "included" | "pending" | "dropped" | "unknown", ...} (JSON-ready); a
        dropped transaction carries the "reason" it left the mempool."""
        ...

    # --- node ----------------------------------------------------------------------------------
    def peer_count(self) -> int: ...

    def syncing(self) -> dict[str, int] | None:
        """None when in sync, else startingBlock/currentBlock/highestBlock."""
        ...

    def status(self) -> dict[str, Any]:
        """The ordo_status answer (JSON-ready)."""
        ...

    def get_commit(self, number: int) -> dict[str, Any] | None:
        """The ordo_getCommit answer for a committed block (JSON-ready), None if unknown."""
        ...

    def evidence(self) -> list[dict[str, Any]]:
        """Equivocation evidence seen by this node (JSON-ready)."""
        ...

    def add_new_block_listener(self, listener: NewBlockListener) -> None:
        """Called once per committed block, in order."""
        ...

    def add_pending_transaction_listener(self, listener: PendingTransactionListener) -> None:
        """Called with the hash of each newly admitted transaction."""
        ...
