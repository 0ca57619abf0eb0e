"""The native engine: blocks built and re-executed by revm in Rust (``ordo._native``).

:class:`NativeEngine` is a :class:`PyEvmEngine` whose ``build_block`` and ``execute_block`` run
in the extension, and so do nonce and balance reads (``native_reads``); everything else
(genesis, code and storage reads, calls, gas estimates, access lists, ``eth_simulateV1``,
proofs) is still py-evm's, over the same committed state, so both engines answer every read
from the same trie nodes. The extension reads committed nodes through the
same ``KeyValueReader`` py-evm uses and hands back the block's new nodes and code in py-evm's
layout (docs/native_engine.md), so the node commits either engine's writes the same way.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.vm.forks.cancun.constants import BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CONTRACT_CODE
from eth.vm.forks.prague.constants import (
    HISTORY_STORAGE_ADDRESS,
    HISTORY_STORAGE_CONTRACT_CODE,
)
from eth_utils import keccak

from ordo.core.block import Block, ExecutedBlock
from ordo.core.errors import RejectedTransaction, UnknownBlock
from ordo.core.forced_item import ForcedDeposit, ForcedItem
from ordo.core.lazy_receipts import LazyReceipts
from ordo.core.native_loader import native_module
from ordo.core.predeploys import GAS_PRICE_ORACLE_ADDRESS
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.execution.block_assembly import make_header
from ordo.execution.engine import BlockEnvironment, BuildResult, PyEvmEngine
from ordo.execution.errors import InvalidBlock
from ordo.execution.evm_state import MAX_ANCESTOR_HASHES
from ordo.execution.header_rules import environment_error, header_mismatch
from ordo.execution.native_reads import AccountState, read_account

log = logging.getLogger(__name__)

SET_CODE_TRANSACTION_TYPE = 4
BLOB_TRANSACTION_TYPE = 3

# 5.2: the system contracts are updated only where py-evm's exact code is deployed.
_SYSTEM = (
    bytes(BEACON_ROOTS_ADDRESS),
    keccak(BEACON_ROOTS_CONTRACT_CODE),
    bytes(HISTORY_STORAGE_ADDRESS),
    keccak(HISTORY_STORAGE_CONTRACT_CODE),
)

# revm holds the base fee in 64 bits
BASE_FEE_CEILING = 2**64

TxFields = tuple[bytes, bytes]


class NativeUnsupported(Exception):
    """A block holds a value revm cannot represent exactly (a fee per gas of 2^128 or more, an
    EIP-7702 authorization whose address is not 20 bytes, a base fee of 2^64 or more): the
    engine runs that block on py-evm instead, so the result is the reference's. The extension
    raises its own ``Unsupported`` for what it finds in a transaction's encoding."""


def transaction_fields(tx: SignedTransactionAPI, sender: bytes) -> TxFields:
    """What the extension takes for one transaction: its canonical encoding (py-evm caches it)
    and its recovered sender; the extension reads the fields itself (native/src/decode.rs)."""
    return tx.encode(), sender


def decoded_fields(decoded: DecodedTransaction) -> TxFields:
    """The same for a decoded transaction, from its bytes: its py-evm object is not needed."""
    return decoded.raw, decoded.sender


def _forced_fields(
    items: Sequence[ForcedItem],
) -> tuple[list[tuple[Any, ...]], list[DecodedTransaction | None]]:
    """The forced items as the extension takes them, and each one's decoded transaction."""
    fields: list[tuple[Any, ...]] = []
    decoded: list[DecodedTransaction | None] = []
    for item in items:
        if isinstance(item, ForcedDeposit):
            fields.append(("deposit", item.recipient, item.amount))
            decoded.append(None)
            continue
        try:
            forced = decode_transaction(item.raw)
        except RejectedTransaction:
            fields.append(("transaction", None))
            decoded.append(None)
            continue
        fields.append(("transaction", decoded_fields(forced)))
        decoded.append(forced)
    return fields, decoded


def _executed(block: Block, out: dict[str, Any]) -> ExecutedBlock:
    """The block with its receipts as the extension encoded them (for the receipts root): the
    store writes those bytes, and py-evm receipt objects are decoded from them only when an
    answer reads them (``LazyReceipts``), not built for every transaction of every block."""
    encodings = tuple(out["receipt_encodings"])
    if len(encodings) != len(block.transactions):
        raise InvalidBlock(f"the extension returned {len(encodings)} receipts for "
                           f"{len(block.transactions)} transactions")
    return ExecutedBlock(block=block, receipts=LazyReceipts(encodings),
                         receipt_encodings=encodings)


class NativeEngine(PyEvmEngine):
    """Blocks, nonces and balances on revm's side (Rust); code and storage reads, calls,
    estimates, simulation and proofs on py-evm."""

    def build_block(
        self,
        parent: BlockHeaderAPI,
        candidates: Iterable[DecodedTransaction],
        env: BlockEnvironment,
    ) -> BuildResult:
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
        taken: list[DecodedTransaction] = []
        pending = iter(candidates)

        def feed() -> Iterator[TxFields]:
            for candidate in pending:
                taken.append(candidate)
                yield decoded_fields(candidate)

        try:
            forced, forced_decoded = _forced_fields(env.forced)
            out = native_module().build_block(
                self._reader.get, self._block_input(parent, env), forced, feed()
            )
        except (NativeUnsupported, native_module().Unsupported) as reason:
            log.info("block %d runs on py-evm: %s", int(parent.block_number) + 1, reason)
            return super().build_block(parent, itertools.chain(taken, pending), env)
        chosen = [forced_decoded[i] for i in out["forced_included"]]
        included = [c for c in chosen if c is not None] + [taken[i] for i in out["included"]]
        header, executed = self._assemble(parent, env, included, out)
        self._remember(header)
        return BuildResult(
            executed=executed,
            state_writes=out["writes"],
            skipped=tuple((taken[i].hash, reason) for i, reason in out["skipped"]),
        )

    def execute_block(
        self, parent: BlockHeaderAPI, block: Block, forced: tuple[ForcedItem, ...] = ()
    ) -> tuple[ExecutedBlock, dict[bytes, bytes]]:
        """Re-execute a block proposed by another node; raises InvalidBlock on any mismatch."""
        self._check_proposal(parent, block)
        header = block.header
        env = BlockEnvironment.of_header(header)
        native = native_module()
        try:
            forced_fields, _decoded = _forced_fields(forced)
            out = native.execute_block(
                self._reader.get,
                self._block_input(parent, env),
                forced_fields,
                [transaction_fields(tx, sender)
                 for tx, sender in zip(block.transactions, block.senders, strict=True)],
            )
        except native.InvalidBlock as error:
            raise InvalidBlock(str(error)) from error
        except (NativeUnsupported, native.Unsupported) as reason:
            log.info("block %d runs on py-evm: %s", int(header.block_number), reason)
            return super().execute_block(parent, block, forced)
        expected = self._header(parent, env, out)
        mismatch = header_mismatch(expected, header)
        if mismatch is not None:
            raise InvalidBlock(mismatch)
        self._remember(header)
        return _executed(block, out), out["writes"]

    # --- reads -------------------------------------------------------------------------------
    def get_nonce(self, header: BlockHeaderAPI, address: bytes) -> int:
        """Walked in Rust (``native_reads``): the same trie nodes py-evm's ``AccountDB`` reads,
        without its Python trie walk (about 0.2 ms a read)."""
        found = self._native_account(header, address)
        return 0 if found is None else found.nonce

    def get_balance(self, header: BlockHeaderAPI, address: bytes) -> int:
        found = self._native_account(header, address)
        return 0 if found is None else found.balance

    def _native_account(self, header: BlockHeaderAPI, address: bytes) -> AccountState | None:
        try:
            return read_account(self._reader, bytes(header.state_root), address)
        except UnknownBlock as error:
            raise self._state_unavailable(header) from error

    # --- internals ---------------------------------------------------------------------------

    def _check_senders(self, block: Block) -> None:
        """2.7 with the signatures this process has not recovered yet (``_recovered_here``)
        recovered in the extension; any transaction it does not confirm (a blob type, an odd
        legacy v, a bad signature, another sender) goes through py-evm's path, which decides
        and words the refusal."""
        if len(block.transactions) != len(block.senders):
            super()._check_senders(block)
            return
        pairs = zip(block.transactions, block.senders, strict=True)
        unknown = [(index, tx, sender) for index, (tx, sender) in enumerate(pairs)
                   if not self._recovered_here(tx, sender)]
        recovered = native_module().recover_senders([tx.encode() for _, tx, _ in unknown])
        for (index, tx, sender), found in zip(unknown, recovered, strict=True):
            if found is None or found != bytes(sender) or tx.type_id == BLOB_TRANSACTION_TYPE:
                self._check_sender(index, tx, sender)

    def _transactions_root(self, transactions: Sequence[SignedTransactionAPI]) -> bytes:
        root: bytes = native_module().ordered_trie_root([tx.encode() for tx in transactions])
        return root

    def _block_input(self, parent: BlockHeaderAPI, env: BlockEnvironment) -> tuple[Any, ...]:
        base_fee = self.next_base_fee(parent)
        if base_fee >= BASE_FEE_CEILING:
            raise NativeUnsupported(f"base fee {base_fee} is 2^64 or more")
        ancestors = tuple(self._ancestor_hashes(bytes(parent.hash)))[:MAX_ANCESTOR_HASHES]
        return (
            bytes(parent.state_root),
            bytes(parent.hash),
            int(parent.block_number) + 1,
            env.coinbase,
            env.timestamp,
            env.gas_limit,
            base_fee,
            env.prev_randao,
            self.genesis.chain_id,
            [bytes(h) for h in ancestors],
            *_SYSTEM,
            self._l1_fee_input(env),
        )

    def _l1_fee_input(self, env: BlockEnvironment
                      ) -> tuple[bytes, int, int, int, int, bytes] | None:
        """What the extension charges the L1 data fee with (state_transition.md 6.4), and the
        GasPriceOracle block start writes the prices and scalars to."""
        rules = self.genesis.l1_fee
        if rules is None:
            return None
        prices = env.l1_prices
        return (rules.vault, rules.base_fee_scalar, rules.blob_base_fee_scalar,
                prices.base_fee, prices.blob_base_fee, GAS_PRICE_ORACLE_ADDRESS)

    def _header(
        self, parent: BlockHeaderAPI, env: BlockEnvironment, out: dict[str, Any]
    ) -> BlockHeaderAPI:
        return make_header(
            parent_hash=bytes(parent.hash),
            block_number=int(parent.block_number) + 1,
            coinbase=env.coinbase,
            timestamp=env.timestamp,
            gas_limit=env.gas_limit,
            extra_data=env.extra_data,
            base_fee=self.next_base_fee(parent),
            state_root=out["state_root"],
            transaction_root=out["transactions_root"],
            receipt_root=out["receipts_root"],
            bloom=int.from_bytes(out["bloom"], "big"),
            gas_used=out["gas_used"],
            mix_hash=env.prev_randao,
            l1_fee_word=env.l1_prices.word(),
        )

    def _assemble(
        self,
        parent: BlockHeaderAPI,
        env: BlockEnvironment,
        included: Sequence[DecodedTransaction],
        out: dict[str, Any],
    ) -> tuple[BlockHeaderAPI, ExecutedBlock]:
        header = self._header(parent, env, out)
        block = Block(header=header, transactions=tuple(d.tx for d in included),
                      senders=tuple(d.sender for d in included))
        return header, _executed(block, out)
