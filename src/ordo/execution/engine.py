"""Ordo's execution engine interface and its py-evm implementation.

Everything the node needs from the EVM goes through :class:`PyEvmEngine`'s methods, so a faster
engine can replace it later and be checked against it block by block. The engine holds no chain:
it is given parent headers, reads committed state through a :class:`KeyValueReader`, and hands
back each block's state writes for the node to commit atomically with the block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from eth.abc import AtomicDatabaseAPI, BlockHeaderAPI, SignedTransactionAPI
from eth.constants import BLANK_ROOT_HASH
from eth.db.account import AccountDB
from eth.vm.interrupt import EVMMissingData
from eth_typing import Address, Hash32
from eth_utils import ValidationError
from trie.exceptions import MissingTrieNode

from ordo.core.block import Block, ExecutedBlock
from ordo.core.call import AccountProof, CallRequest
from ordo.core.errors import CallFailed, RejectedTransaction, UnknownBlock
from ordo.core.forced_item import ForcedItem
from ordo.core.genesis import Genesis
from ordo.core.l1_fee import NO_PRICES, L1Charging, L1Prices, header_l1_prices
from ordo.core.transaction import DecodedTransaction, known_transaction, recover_sender
from ordo.execution import message_call
from ordo.execution.access_list import AccessListResult, create_access_list
from ordo.execution.ancestry import AncestorHashes, RememberedAncestry
from ordo.execution.base_fee import blob_base_fee, next_base_fee
from ordo.execution.block_assembly import (
    genesis_header,
    make_header,
    receipts_root,
    transactions_root,
)
from ordo.execution.block_run import BlockRun
from ordo.execution.call_overrides import (
    NO_OVERRIDES,
    BlockOverrides,
    CallOverrides,
    align_ancestors,
    apply_state_overrides,
)
from ordo.execution.errors import InvalidBlock
from ordo.execution.evm_state import (
    ZERO_ADDRESS,
    apply_block_end,
    apply_block_start,
    make_context,
    open_state,
)
from ordo.execution.forced_inclusion import apply_forced_items
from ordo.execution.header_rules import environment_error, header_mismatch
from ordo.execution.proofs import build_account_proof
from ordo.execution.simulation import (
    SimulatedBlock,
    SimulationBase,
    SimulationRequest,
    Simulator,
)
from ordo.execution.state_source import KeyValueReader, open_overlay
from ordo.execution.transaction_rules import BLOB_TRANSACTION_TYPE, TX_BASE_GAS

UINT64_CEILING = 2**64
UINT256_CEILING = 2**256
SENDER_ALREADY_SKIPPED = "an earlier transaction of this sender was skipped in this block"

T = TypeVar("T")


@dataclass(frozen=True)
class BlockEnvironment:
    coinbase: bytes  # fee recipient of the producer (priority fees go here)
    timestamp: int  # seconds; >= parent timestamp (equal allowed)
    gas_limit: int
    extra_data: bytes = b""
    prev_randao: bytes = b"\x00" * 32
    """The header's mix_hash and the EVM's PREVRANDAO: Ordo puts the hash of the block's L1
    origin there (as the OP stack passes its L1 origin's randao), a value no sequencer chooses."""
    forced: tuple[ForcedItem, ...] = ()
    """Forced-queue items this block takes first (see ordo.core.forced_item)."""
    l1_prices: L1Prices = NO_PRICES
    """The L1 origin's base fee and blob base fee the L1 data fee uses (state_transition.md
    6.4), carried in the header's ``parent_beacon_block_root``; zero without the L1 fee."""

    @classmethod
    def of_header(cls, header: BlockHeaderAPI) -> BlockEnvironment:
        """The environment a proposed block's header chose (what re-execution runs under)."""
        return cls(coinbase=bytes(header.coinbase), timestamp=int(header.timestamp),
                   gas_limit=int(header.gas_limit), extra_data=bytes(header.extra_data),
                   prev_randao=bytes(header.mix_hash),
                   l1_prices=header_l1_prices(header))


@dataclass(frozen=True)
class BuildResult:
    executed: ExecutedBlock
    state_writes: dict[bytes, bytes]
    skipped: tuple[tuple[bytes, str], ...]  # (tx hash, reason) of candidates not included


class PyEvmEngine:
    """EVM execution on py-evm (Prague rules) over the node's committed state.

    ``ancestor_hashes`` answers BLOCKHASH (see :mod:`ordo.execution.ancestry`); a node passes
    a lookup into its block store. Without it the engine remembers the blocks it has built or
    executed, which is enough when it sees every block from genesis on.
    """

    def __init__(
        self,
        genesis: Genesis,
        state: KeyValueReader,
        ancestor_hashes: AncestorHashes | None = None,
    ) -> None:
        self.genesis = genesis
        self._reader = state
        self._remembered: RememberedAncestry | None = None
        if ancestor_hashes is None:
            self._remembered = RememberedAncestry()
            ancestor_hashes = self._remembered
        self._ancestor_hashes = ancestor_hashes

    # --- blocks ------------------------------------------------------------------------------

    def genesis_block(self) -> tuple[ExecutedBlock, dict[bytes, bytes]]:
        """The genesis block and the state writes of its allocation (deterministic)."""
        rules = self.genesis.fee_rules
        db, overlay = open_overlay(self._reader)
        context = make_context(
            coinbase=ZERO_ADDRESS,
            timestamp=self.genesis.timestamp,
            block_number=0,
            gas_limit=self.genesis.gas_limit,
            base_fee=rules.initial_base_fee,
            chain_id=self.genesis.chain_id,
            ancestor_hashes=(),
        )
        state = open_state(db, context, BLANK_ROOT_HASH)
        for address, account in sorted(self.genesis.alloc.items()):
            try:
                canonical = Address(address)
                state.set_balance(canonical, account.balance)
                state.set_nonce(canonical, account.nonce)
                state.set_code(canonical, account.code)
                for slot, value in account.storage:
                    state.set_storage(canonical, slot, value)
            except ValidationError as error:
                raise ValueError(f"genesis alloc 0x{address.hex()}: {error}") from error
        state.persist()
        header = genesis_header(
            gas_limit=self.genesis.gas_limit,
            timestamp=self.genesis.timestamp,
            extra_data=self.genesis.header_extra_data,
            base_fee=rules.initial_base_fee,
            state_root=state.state_root,
            mix_hash=self.genesis.header_mix_hash,
        )
        self._remember(header)
        block = Block(header=header, transactions=(), senders=())
        return ExecutedBlock(block=block, receipts=()), dict(overlay.writes)

    def build_block(
        self,
        parent: BlockHeaderAPI,
        candidates: Iterable[DecodedTransaction],
        env: BlockEnvironment,
    ) -> BuildResult:
        """Build a child of ``parent`` from ``candidates`` taken in the order given.

        A candidate that is not valid now is skipped with geth's reason, and so are the later
        ones of the same sender (their nonces cannot follow). Building stops, without reading
        further candidates, once less than 21,000 gas is left: those stay in the mempool and are
        not reported. Raises ValueError for an environment the header rules refuse.
        """
        problem = environment_error(
            parent, timestamp=env.timestamp, gas_limit=env.gas_limit, extra_data=env.extra_data
        )
        if problem is not None:
            raise ValueError(problem)
        if len(env.coinbase) != 20:
            raise ValueError(f"coinbase must be 20 bytes, got {len(env.coinbase)}")
        if len(env.prev_randao) != 32:
            raise ValueError(f"prev_randao must be 32 bytes, got {len(env.prev_randao)}")
        problem = self._l1_prices_error(env.l1_prices)
        if problem is not None:
            raise ValueError(problem)
        db, overlay = open_overlay(self._reader)
        run = self._start_block(db, parent, env)
        apply_forced_items(run, env.forced)
        skipped: list[tuple[bytes, str]] = []
        refused_senders: set[bytes] = set()
        pending = iter(candidates)
        while run.gas_remaining >= TX_BASE_GAS:
            candidate = next(pending, None)
            if candidate is None:
                break
            if candidate.sender in refused_senders:
                skipped.append((candidate.hash, SENDER_ALREADY_SKIPPED))
                continue
            reason = run.apply(candidate.tx, candidate.sender)
            if reason is not None:
                skipped.append((candidate.hash, reason))
                refused_senders.add(candidate.sender)
        header = self._finish_block(run, parent, env)
        block = Block(header=header, transactions=tuple(run.transactions),
                      senders=tuple(run.senders))
        self._remember(header)
        return BuildResult(
            executed=ExecutedBlock(block=block, receipts=tuple(run.receipts)),
            state_writes=dict(overlay.writes),
            skipped=tuple(skipped),
        )

    def execute_block(
        self, parent: BlockHeaderAPI, block: Block, forced: tuple[ForcedItem, ...] = ()
    ) -> tuple[ExecutedBlock, dict[bytes, bytes]]:
        """Re-execute a block proposed by another node; raises InvalidBlock on any mismatch."""
        self._check_proposal(parent, block)
        header = block.header
        env = BlockEnvironment.of_header(header)
        db, overlay = open_overlay(self._reader)
        run = self._start_block(db, parent, env)
        included = apply_forced_items(run, forced)
        leading = tuple(bytes(tx.hash) for tx in block.transactions[:len(included)])
        if leading != tuple(bytes(tx.hash) for tx in included):
            raise InvalidBlock(f"the block does not start with the {len(included)} valid forced "
                               "transactions of its forced-queue items, in queue order")
        for index, (tx, sender) in enumerate(zip(block.transactions, block.senders, strict=True)):
            if index < len(included):
                continue
            reason = run.apply(tx, sender)
            if reason is not None:
                raise InvalidBlock(f"transaction {index} (0x{bytes(tx.hash).hex()}): {reason}")
        expected = self._finish_block(run, parent, env)
        mismatch = header_mismatch(expected, header)
        if mismatch is not None:
            raise InvalidBlock(mismatch)
        self._remember(header)
        return ExecutedBlock(block=block, receipts=tuple(run.receipts)), dict(overlay.writes)

    def next_base_fee(self, parent: BlockHeaderAPI) -> int:
        return next_base_fee(parent, self.genesis.fee_rules)

    def blob_base_fee(self, header: BlockHeaderAPI) -> int:
        return blob_base_fee(header)

    # --- reads at a committed header ---------------------------------------------------------

    def get_balance(self, header: BlockHeaderAPI, address: bytes) -> int:
        return self._read(header, address, lambda db: db.get_balance(Address(address)))

    def get_nonce(self, header: BlockHeaderAPI, address: bytes) -> int:
        return self._read(header, address, lambda db: db.get_nonce(Address(address)))

    def get_code(self, header: BlockHeaderAPI, address: bytes) -> bytes:
        return self._read(header, address, lambda db: bytes(db.get_code(Address(address))))

    def get_storage_at(self, header: BlockHeaderAPI, address: bytes, slot: int) -> int:
        if not 0 <= slot < UINT256_CEILING:
            raise ValueError(f"storage slot out of range: {slot}")
        return self._read(
            header, address, lambda db: db.get_storage(Address(address), slot, from_journal=False)
        )

    def get_proof(
        self, header: BlockHeaderAPI, address: bytes, slots: Sequence[int]
    ) -> AccountProof:
        try:
            return build_account_proof(self._reader, bytes(header.state_root), address, slots)
        except (MissingTrieNode, EVMMissingData) as error:
            raise self._state_unavailable(header) from error

    def call(
        self,
        header: BlockHeaderAPI,
        request: CallRequest,
        overrides: CallOverrides = NO_OVERRIDES,
    ) -> bytes:
        """Return data of ``request`` run on the state of ``header``, in that block's context
        (with ``overrides`` applied to a throw-away copy).

        Raises ExecutionReverted (with the revert data and decoded reason) or CallFailed.
        """
        _check_request(request)
        frame = self._call_frame(header, overrides)
        return self._on_state(
            header,
            lambda: message_call.run_call(
                frame.open_state,
                request,
                block_gas_limit=frame.gas_limit,
                base_fee=frame.base_fee,
            ),
        )

    def estimate_gas(
        self,
        header: BlockHeaderAPI,
        request: CallRequest,
        overrides: CallOverrides = NO_OVERRIDES,
    ) -> int:
        """Least gas with which ``request`` succeeds on the state of ``header``.

        Raises ExecutionReverted if it reverts even with the highest allowed gas, CallFailed
        with "gas required exceeds allowance (N)" if it runs out of gas there.
        """
        _check_request(request)
        frame = self._call_frame(header, overrides)
        return self._on_state(
            header,
            lambda: message_call.estimate_gas(
                frame.open_state,
                request,
                block_gas_limit=frame.gas_limit,
                base_fee=frame.base_fee,
                code_size_of=lambda address: len(frame.open_state(0).get_code(Address(address))),
            ),
        )

    def create_access_list(
        self,
        header: BlockHeaderAPI,
        request: CallRequest,
        overrides: CallOverrides = NO_OVERRIDES,
    ) -> AccessListResult:
        """The access list ``request`` touches on the state of ``header`` (eth_createAccessList)."""
        _check_request(request)
        frame = self._call_frame(header, overrides)
        coinbase = bytes(header.coinbase)
        if overrides.block is not None and overrides.block.fee_recipient is not None:
            coinbase = overrides.block.fee_recipient
        return self._on_state(
            header,
            lambda: create_access_list(
                frame.open_state,
                request,
                block_gas_limit=frame.gas_limit,
                base_fee=frame.base_fee,
                coinbase=coinbase,
            ),
        )

    def simulate(self, header: BlockHeaderAPI, request: SimulationRequest) -> list[SimulatedBlock]:
        """eth_simulateV1 on top of ``header``; raises SimulationError for a refused request."""
        for entry in request.blocks:
            for call in entry.calls:
                _check_request(call)
        number = int(header.block_number)
        ancestors: tuple[bytes, ...] = (bytes(header.hash),)
        if number:
            ancestors += tuple(self._ancestor_hashes(bytes(header.parent_hash)))
        base = SimulationBase(
            header=header,
            ancestors=ancestors,
            chain_id=self.genesis.chain_id,
            next_base_fee=self.next_base_fee,
            open_database=lambda: open_overlay(self._reader)[0],
        )
        return self._on_state(header, lambda: Simulator(base, request).run())

    # --- internals ---------------------------------------------------------------------------

    def _remember(self, header: BlockHeaderAPI) -> None:
        if self._remembered is not None:
            self._remembered.remember(bytes(header.hash), bytes(header.parent_hash))

    def _start_block(
        self,
        db: AtomicDatabaseAPI,
        parent: BlockHeaderAPI,
        env: BlockEnvironment,
    ) -> BlockRun:
        number = int(parent.block_number) + 1
        base_fee = self.next_base_fee(parent)
        context = make_context(
            coinbase=env.coinbase,
            timestamp=env.timestamp,
            block_number=number,
            gas_limit=env.gas_limit,
            base_fee=base_fee,
            chain_id=self.genesis.chain_id,
            ancestor_hashes=tuple(self._ancestor_hashes(bytes(parent.hash))),
            mix_hash=env.prev_randao,
        )
        state = open_state(db, context, bytes(parent.state_root))
        charging = self.l1_charging(env.l1_prices)
        apply_block_start(state, number, env.timestamp, bytes(parent.hash),
                          l1_charging=charging)
        return BlockRun(
            state, base_fee=base_fee, gas_limit=env.gas_limit, chain_id=self.genesis.chain_id,
            l1=charging,
        )

    def l1_charging(self, prices: L1Prices) -> L1Charging | None:
        """The L1 fee a block with ``prices`` charges (None on a chain without the L1 fee)."""
        rules = self.genesis.l1_fee
        return None if rules is None else L1Charging(rules, prices)

    def _l1_prices_error(self, prices: L1Prices) -> str | None:
        """6.4: a chain without the L1 fee keeps the header's L1 fee word zero."""
        if self.genesis.l1_fee is None and prices != NO_PRICES:
            return ("parent_beacon_block_root must be zero: this chain has no L1 data fee, "
                    f"got L1 prices {prices.base_fee}/{prices.blob_base_fee}")
        return None

    def _finish_block(
        self, run: BlockRun, parent: BlockHeaderAPI, env: BlockEnvironment
    ) -> BlockHeaderAPI:
        apply_block_end(run.state, env.coinbase)
        run.state.persist()
        return make_header(
            parent_hash=bytes(parent.hash),
            block_number=int(parent.block_number) + 1,
            coinbase=env.coinbase,
            timestamp=env.timestamp,
            gas_limit=env.gas_limit,
            extra_data=env.extra_data,
            base_fee=run.base_fee,
            state_root=bytes(run.state.state_root),
            transaction_root=transactions_root(run.transactions),
            receipt_root=receipts_root(run.receipts),
            bloom=run.bloom,
            gas_used=run.gas_used,
            mix_hash=env.prev_randao,
            l1_fee_word=env.l1_prices.word(),
        )

    def _check_proposal(self, parent: BlockHeaderAPI, block: Block) -> None:
        """The checks a proposed block must pass before it is executed (2.2-2.4, 2.6, 2.7)."""
        header = block.header
        if bytes(header.parent_hash) != bytes(parent.hash):
            raise InvalidBlock(
                f"parent_hash mismatch: expected 0x{bytes(parent.hash).hex()}, "
                f"got 0x{bytes(header.parent_hash).hex()}"
            )
        if int(header.block_number) != int(parent.block_number) + 1:
            raise InvalidBlock(
                f"block_number mismatch: expected {int(parent.block_number) + 1}, "
                f"got {header.block_number}"
            )
        problem = environment_error(
            parent,
            timestamp=int(header.timestamp),
            gas_limit=int(header.gas_limit),
            extra_data=bytes(header.extra_data),
        )
        if problem is not None:
            raise InvalidBlock(problem)
        problem = self._l1_prices_error(header_l1_prices(header))
        if problem is not None:
            raise InvalidBlock(problem)
        self._check_senders(block)
        expected_tx_root = self._transactions_root(block.transactions)
        if expected_tx_root != bytes(header.transaction_root):
            raise InvalidBlock(
                f"transaction_root mismatch: expected 0x{expected_tx_root.hex()}, "
                f"got 0x{bytes(header.transaction_root).hex()}"
            )

    def _transactions_root(self, transactions: Sequence[SignedTransactionAPI]) -> bytes:
        return transactions_root(transactions)

    def _check_senders(self, block: Block) -> None:
        if len(block.transactions) != len(block.senders):
            raise InvalidBlock(
                f"{len(block.transactions)} transactions but {len(block.senders)} senders"
            )
        for index, (tx, sender) in enumerate(zip(block.transactions, block.senders, strict=True)):
            if not self._recovered_here(tx, sender):
                self._check_sender(index, tx, sender)

    @staticmethod
    def _recovered_here(tx: SignedTransactionAPI, sender: bytes) -> bool:
        """This process decoded the transaction's exact bytes and recovered ``sender`` from
        them (``known_transaction``): as it does for nearly every transaction of a block, which
        it met first over RPC or gossip, then in the proposal. Recovering it again would cost
        a signature recovery per transaction per block for nothing."""
        known = known_transaction(tx.encode())
        return known is not None and known.sender == bytes(sender) \
            and tx.type_id != BLOB_TRANSACTION_TYPE

    @staticmethod
    def _check_sender(index: int, tx: SignedTransactionAPI, sender: bytes) -> None:
        """2.7: no blob transaction, and the signature recovers to the sender given."""
        if tx.type_id == BLOB_TRANSACTION_TYPE:
            raise InvalidBlock(f"transaction {index}: blob transactions are not accepted")
        try:
            recovered = recover_sender(tx)
        except RejectedTransaction as error:
            raise InvalidBlock(f"transaction {index}: {error.message}") from error
        if recovered != bytes(sender):
            raise InvalidBlock(
                f"transaction {index}: sender 0x{bytes(sender).hex()} does not match "
                f"signature (0x{recovered.hex()})"
            )

    def _account_db(self, header: BlockHeaderAPI) -> AccountDB:
        database, _overlay = open_overlay(self._reader)
        return AccountDB(database, Hash32(bytes(header.state_root)))

    def _read(self, header: BlockHeaderAPI, address: bytes, read: Callable[[AccountDB], T]) -> T:
        if len(address) != 20:
            raise ValueError(f"address must be 20 bytes, got {len(address)}")
        return self._on_state(header, lambda: read(self._account_db(header)))

    def _on_state(self, header: BlockHeaderAPI, action: Callable[[], T]) -> T:
        try:
            return action()
        except (MissingTrieNode, EVMMissingData) as error:
            raise self._state_unavailable(header) from error

    @staticmethod
    def _state_unavailable(header: BlockHeaderAPI) -> UnknownBlock:
        return UnknownBlock(
            f"state of block {header.block_number} (root 0x{bytes(header.state_root).hex()}) "
            "is not available"
        )

    def _call_frame(self, header: BlockHeaderAPI, overrides: CallOverrides) -> CallFrame:
        """How calls on ``header`` open their state: its block context with the block
        overrides, and its state with the state overrides applied."""
        block = overrides.block or BlockOverrides()
        real_number = int(header.block_number)
        number = real_number if block.number is None else block.number
        ancestors: tuple[bytes, ...] = ()
        if real_number:
            ancestors = tuple(self._ancestor_hashes(bytes(header.parent_hash)))
        if number != real_number:
            ancestors = align_ancestors(ancestors, real_number, number)
        gas_limit = int(header.gas_limit) if block.gas_limit is None else block.gas_limit
        coinbase = bytes(header.coinbase) if block.fee_recipient is None else block.fee_recipient
        timestamp = int(header.timestamp) if block.time is None else block.time
        mix_hash = bytes(header.mix_hash) if block.prev_randao is None else block.prev_randao
        state_overrides = overrides.state

        def open_call_state(base_fee: int) -> message_call.CallState:
            database, _overlay = open_overlay(self._reader)
            context = make_context(
                coinbase=coinbase,
                timestamp=timestamp,
                block_number=number,
                gas_limit=gas_limit,
                base_fee=base_fee,
                chain_id=self.genesis.chain_id,
                ancestor_hashes=ancestors,
                mix_hash=mix_hash,
            )
            state = message_call.open_call_state(database, context, bytes(header.state_root))
            state.blob_base_fee_override = block.blob_base_fee
            apply_state_overrides(state, state_overrides)
            return state

        base_fee = block.base_fee_per_gas
        return CallFrame(
            open_state=open_call_state,
            gas_limit=gas_limit,
            base_fee=int(header.base_fee_per_gas or 0) if base_fee is None else base_fee,
        )


@dataclass(frozen=True)
class CallFrame:
    open_state: message_call.StateOpener
    gas_limit: int
    base_fee: int


def _check_request(request: CallRequest) -> None:
    """Range checks the RPC layer may not have made; CallFailed so clients see them."""
    for name in ("sender", "to"):
        value = getattr(request, name)
        if value is not None and len(value) != 20:
            raise CallFailed(f"invalid {name} address: must be 20 bytes, got {len(value)}")
    if request.gas is not None and not 0 <= request.gas < UINT64_CEILING:
        raise CallFailed(f"gas out of range: {request.gas}")
    for name in ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas"):
        value = getattr(request, name)
        if value is not None and not 0 <= value < UINT256_CEILING:
            raise CallFailed(f"{name} out of range: {value}")
    if not 0 <= request.value < UINT256_CEILING:
        raise CallFailed(f"value out of range: {request.value}")
    for address, slots in request.access_list:
        if len(address) != 20:
            raise CallFailed("invalid access list address: must be 20 bytes")
        if any(not 0 <= slot < UINT256_CEILING for slot in slots):
            raise CallFailed("access list storage key out of range")

