"""The block-level steps (docs/fault_proofs.md 4): block start (phase 1), transaction start
(phase 2), transaction end (phase 4), block end (phase 5) and the final state (phase 6).

Like :func:`ordo.faultproof.step.execute`, each step function computes the post-state from the
pre-state and what a :class:`BlockIO` hands it, checking every item against a commitment of the
pre-state. The tracer's IO builds the items from the full state (and records the witness); the
verifier's IO hands out the witness's items and refuses one the step did not read. So the
decisions live in one place. The transaction rules are the engine's own
(:mod:`ordo.execution.transaction_rules`, state_transition.md 4.1-4.3), so the reference cannot
drift from the engine; the on-chain verifier re-implements them from that page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import rlp
from eth.abc import SignedTransactionAPI
from eth.vm.forks.cancun.constants import BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CONTRACT_CODE
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.constants import HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CONTRACT_CODE
from eth_hash.auto import keccak
from trie import HexaryTrie

from ordo.core.block_extra import decode_anchored_extra
from ordo.core.l1_fee import L1Charging, L1FeeRules, L1Prices, l1_fee
from ordo.core.predeploys import GAS_PRICE_ORACLE_ADDRESS, MESSAGE_PASSER_ADDRESS
from ordo.core.transaction import decode_transaction
from ordo.execution.transaction_rules import (
    floor_data_gas,
)
from ordo.faultproof import block_parts as bp
from ordo.faultproof import index_trie, mpt_proof
from ordo.faultproof.cells import cell_root, list_root, root_from_proof
from ordo.faultproof.machine_state import (
    PHASE_BLOCK_END,
    PHASE_TX_START,
    ZERO32,
    ZERO_ADDRESS,
    Block,
    Context,
    MachineState,
    Outcome,
    Tx,
)
from ordo.faultproof.step import (
    ACCESSED_VALUE,
    EMPTY_CODE_HASH,
    Account,
    InvalidWitness,
    UnsupportedStep,
    decode_account,
    encode_word,
)
from ordo.faultproof.witness import TrieProof

MAX_TX_BYTES = 49_152
"""Proposed block rule (state_transition.md 4.3, rule 15): a transaction's encoding is at most
this long (EIP-3860's initcode bound), so a transaction-end step fits in one witness: the
transaction, a previous transaction's trie leaf, a previous receipt's leaf and this receipt's
logs, about 230 KB at worst (docs/fault_proofs.md 4.3)."""
MAX_RECEIPT_LOGS = 48
"""Proposed block rule (state_transition.md 7.1): at most this many logs per transaction (each
at most 1,024 data bytes in version 1, 3.3): a receipt of at most about 58 KB."""
MAX_ANCESTORS = 256
MAX_CODE_SIZE = 24_576
"""EIP-170: the largest code a frame opens or a creation deposits (hashed whole)."""
CODE_DEPOSIT_GAS = 200

def _precompiles() -> tuple[bytes, ...]:
    return tuple(sorted(bytes(a) for a in PragueComputation.get_precompiles()))


PRECOMPILES = _precompiles()
"""0x01-0x11: warm in every transaction (EIP-2929); a frame is never opened at one."""


def _precompiles_trie() -> tuple[bytes, dict[bytes, bytes]]:
    db: dict[bytes, bytes] = {}
    trie = HexaryTrie(db)
    for address in PRECOMPILES:
        trie.set(keccak(address), ACCESSED_VALUE)
    return bytes(trie.root_hash), db


PRECOMPILES_ACCESSED_ROOT, PRECOMPILES_ACCESSED_NODES = _precompiles_trie()
"""The accessed set holding the precompiles only: a constant of the verifier, the root every
transaction start inserts its own warm keys into (and its nodes, for the tracer)."""

EMPTY_ACCOUNT = Account(0, 0, mpt_proof.BLANK_ROOT, EMPTY_CODE_HASH)


@dataclass(frozen=True)
class Final:
    """Phase 6: the block's output root (:data:`block_parts.INVALID_OUTPUT` for a block that
    breaks a rule derivation enforces)."""

    output_root: bytes

    def commitment(self) -> bytes:
        return bp.final_state(self.output_root)


Post = MachineState | Final


class BlockIO(Protocol):
    """What a block-level step reads besides its pre-state, and the writes the tracer follows.
    ``name`` is a field of the phase's proofs dataclass (:mod:`block_witness`)."""

    def item(self, name: str) -> Any: ...
    def trie(self, name: str, root: bytes, key: bytes) -> TrieProof: ...
    def extra(self, name: str, root: bytes, key: bytes, proof: bytes) -> bytes: ...
    def wrote(self, root: bytes, key: bytes, value: bytes | None, new_root: bytes) -> None: ...
    def index_proof(self, name: str, root: bytes, index: int) -> tuple[bytes, ...]: ...
    def code_stored(self, code: bytes) -> None: ...
    def inserted(self, root: bytes, index: int, value: bytes, new_root: bytes) -> None: ...


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise InvalidWitness(reason)


class _Tries:
    """Reads and writes of the world state and the accessed set through ``io``'s proofs."""

    def __init__(self, io: BlockIO) -> None:
        self.io = io

    def read(self, name: str, root: bytes, key: bytes) -> tuple[bytes | None, TrieProof]:
        proof = self.io.trie(name, root, key)
        try:
            return mpt_proof.read(root, key, proof.proof), proof
        except mpt_proof.MptProofError as error:
            raise InvalidWitness(f"{name}: {error}") from error

    def write(self, name: str, root: bytes, key: bytes, value: bytes | None,
              proof: TrieProof) -> bytes:
        """Write with the proof read before; a deletion asks for the ``extra`` node (1.3.1)."""
        extra = self.io.extra(name, root, key, proof.proof) if value is None else b""
        try:
            new_root = mpt_proof.write(root, key, value, proof.proof, extra)
        except mpt_proof.MptProofError as error:
            raise InvalidWitness(f"{name} write: {error}") from error
        self.io.wrote(root, key, value, new_root)
        return new_root

    def account(self, name: str, root: bytes, address: bytes
                ) -> tuple[Account | None, TrieProof]:
        value, proof = self.read(name, root, keccak(address))
        return decode_account(value), proof

    def put_account(self, name: str, root: bytes, address: bytes, account: Account | None,
                    proof: TrieProof) -> bytes:
        return self.write(name, root, keccak(address),
                          None if account is None else account.encoded(), proof)

    def code(self, name: str, account: Account | None) -> bytes:
        code_hash = account.code_hash if account else EMPTY_CODE_HASH
        code = self.io.item(name)
        _require(isinstance(code, bytes) and keccak(code) == code_hash,
                 f"{name} does not hash to the account's code hash")
        return bytes(code)


def _inputs(io: BlockIO, block: Block) -> bp.BlockInputs:
    data = io.item("block_inputs")
    _require(keccak(data) == block.inputs_hash, "block_inputs is not the block's inputs")
    return bp.decode_block_inputs(data)


def _parent(io: BlockIO, parent_output_root: bytes) -> Any:
    parent = io.item("parent")
    _require(bp.output_root(parent.state_root, parent.message_passer_root,
                            parent.block_hash) == parent_output_root,
             "parent is not the preimage of the parent output root")
    return parent


# ---------------------------------------------------------------------------------------------
# Phase 1: block start
# ---------------------------------------------------------------------------------------------


def _block_hashes(io: BlockIO, parent_hash: bytes, parent_header: bp.ParentHeader,
                  number: int) -> list[bytes]:
    """The BLOCKHASH list: ``[P.hash, P.parent_hash, ...]``, ``min(number, 256)`` hashes, each
    after the second proved by the header of the block before it in the list."""
    count = min(number, MAX_ANCESTORS)
    ancestors = io.item("ancestors")
    _require(len(ancestors) == max(count - 2, 0),
             f"{len(ancestors)} ancestor headers given, {max(count - 2, 0)} needed")
    hashes = [parent_hash]
    if count >= 2:
        hashes.append(parent_header.parent_hash)
    for header in ancestors:
        _require(keccak(header) == hashes[-1], "an ancestor header is not the listed block's")
        try:
            hashes.append(bp.header_parent_hash(header))
        except bp.BlockPartError as error:
            raise InvalidWitness(str(error)) from error
    return hashes


def _header_rule_error(inputs: bp.BlockInputs, extra: bytes, parent: bp.ParentHeader,
                       rules: bp.ChainRules) -> str | None:
    """state_transition.md 2.2-2.4 and 2.6 rules 1-3, 7 ([E] + [D]); None when they hold."""
    if inputs.number != parent.number + 1:
        return "the block does not follow its parent"
    if not parent.timestamp <= inputs.timestamp < bp.UINT64:
        return "timestamp out of range or before the parent's"
    limit, parent_limit = inputs.gas_limit, parent.gas_limit
    if limit >= bp.UINT64 or limit < bp.MIN_GAS_LIMIT:
        return "gas limit out of range"
    if limit != parent_limit and abs(limit - parent_limit) >= max(parent_limit // 1024, 1):
        return "gas limit moves more than 1/1024"
    if len(extra) > bp.MAX_EXTRA_DATA:
        return "extra data longer than 32 bytes"
    if not rules.anchored:
        if len(extra) != bp.BUILDER_LENGTH or inputs.mix_hash != ZERO32:
            return "not the layout of a network without L1"
        return None
    own = decode_anchored_extra(extra)
    if own is None:
        return "not the anchored extra-data layout"
    before = decode_anchored_extra(parent.extra_data)
    if before is not None:
        if own.origin_number < before.origin_number:
            return "the L1 origin goes back"
        if own.origin_number == before.origin_number and inputs.mix_hash != parent.mix_hash:
            return "one L1 origin named with two hashes"
        if own.forced_through < before.forced_through:
            return "forced_through goes back"
    return None


def forced_range(inputs: bp.BlockInputs, extra: bytes, parent: bp.ParentHeader,
                 queue: bp.ForcedQueue) -> tuple[int, int] | None:
    """The queue items the block takes, ``[P.forced_through, H.forced_through)``, or None when
    ``H.forced_through`` is not the number of items enqueued at L1 blocks up to the block's
    origin (state_transition.md 2.6 rule 7). Items are appended with non-decreasing L1 block
    numbers, so two reads of the queue decide it. Without L1 there is no queue: ``(0, 0)``."""
    own = decode_anchored_extra(extra)
    if own is None:
        return 0, 0
    before = decode_anchored_extra(parent.extra_data)
    start = before.forced_through if before is not None else 0
    end, origin = own.forced_through, own.origin_number
    if end > queue.length():
        return None
    if end > 0 and queue.item(end - 1).enqueued_block > origin:
        return None
    if end < queue.length() and queue.item(end).enqueued_block <= origin:
        return None
    return start, end


def _fee_word_error(inputs: bp.BlockInputs, extra: bytes, parent: bp.ParentHeader,
                    rules: bp.ChainRules) -> str | None:
    """state_transition.md 6.4 rules 1-2 as far as the chain itself decides them: no L1 fee
    word without ``l1Fee``; on an anchored chain, one L1 origin with one fee word (the word
    against the origin's L1 header is derivation's check, like the origin hash, 4.6)."""
    if not rules.l1_fee:
        return None if inputs.l1_fee_word == ZERO32 else "an L1 fee word without l1Fee"
    own, before = decode_anchored_extra(extra), decode_anchored_extra(parent.extra_data)
    if own is not None and before is not None and \
            own.origin_number == before.origin_number and \
            inputs.l1_fee_word != parent.l1_fee_word:
        return "one L1 origin named with two L1 fee words"
    return None


def _write_oracle(tries: _Tries, root: bytes, charging: L1Charging) -> bytes:
    """state_transition.md 5.2 rule 3: the GasPriceOracle's slots 0 (the fee word), 1 and 2
    (the scalars), written straight into its storage. The genesis puts the oracle's code there
    and nothing removes it; a proof of its absence is a state no engine runs, so unprovable."""
    account, account_proof = tries.account("oracle_account", root, GAS_PRICE_ORACLE_ADDRESS)
    if account is None:
        raise UnsupportedStep("the GasPriceOracle is absent on a chain with the L1 fee (4.1)")
    storage = account.storage_root
    for slot, value in charging.oracle_slots():
        name = f"oracle_slot_{slot}"
        key = keccak(slot.to_bytes(32, "big"))
        _, proof = tries.read(name, storage, key)
        storage = tries.write(name, storage, key, encode_word(value), proof)
    return tries.put_account("oracle_account", root, GAS_PRICE_ORACLE_ADDRESS,
                             replace(account, storage_root=storage), account_proof)


def block_start(first: Any, io: BlockIO, rules: bp.ChainRules,
                queue: bp.ForcedQueue = bp.NO_QUEUE) -> Post:
    """Phase 1 (4.1): from ``(parent_output_root, inputs_root, k)`` to the first transaction
    start, or to block end for an empty block."""
    if rules.l1_fee and rules.l1_fee_rules is None:
        raise UnsupportedStep("a chain with the L1 data fee (state_transition.md 6.4) whose "
                              "l1Fee rules (scalars, vault) were not given (4.1)")
    parent = _parent(io, first.parent_output_root)
    header_bytes = io.item("parent_header")
    _require(keccak(header_bytes) == parent.block_hash, "parent_header is not the parent block's")
    try:
        header = bp.decode_header(header_bytes)
    except bp.BlockPartError as error:
        raise InvalidWitness(str(error)) from error
    _require(header.state_root == parent.state_root,
             "the parent header's state root is not the parent output's")
    inputs_data = io.item("block_inputs")
    siblings = io.item("inputs_siblings")
    _require(root_from_proof(first.position, keccak(inputs_data), tuple(siblings))
             == first.inputs_root, "block_inputs is not leaf k of inputs_root")
    try:
        inputs = bp.decode_block_inputs(inputs_data)
    except bp.BlockPartError as error:
        raise InvalidWitness(str(error)) from error
    extra = io.item("extra_data")
    _require(keccak(extra) == inputs.extra_data_hash, "extra_data is not the block's")
    problem = _header_rule_error(inputs, extra, header, rules) or \
        _fee_word_error(inputs, extra, header, rules)
    forced = None if problem is not None else forced_range(inputs, extra, header, queue)
    if forced is None:
        return Final(bp.INVALID_OUTPUT)
    hashes = _block_hashes(io, parent.block_hash, header, inputs.number)
    tries = _Tries(io)
    for name, address, code in (
            ("beacon_roots_account", BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CONTRACT_CODE),
            ("history_account", HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CONTRACT_CODE)):
        account, _ = tries.account(name, parent.state_root, bytes(address))
        if account is not None and account.code_hash == keccak(code):
            raise UnsupportedStep("a genesis with the EIP-4788 / EIP-2935 contract: its "
                                  "block-start writes are not in version 1 (4.1)")
    state_root = parent.state_root
    if rules.l1_fee_rules is not None:
        state_root = _write_oracle(tries, state_root, L1Charging(
            rules.l1_fee_rules, L1Prices.of_word(inputs.l1_fee_word)))
    block = Block(
        number=inputs.number, timestamp=inputs.timestamp, coinbase=inputs.coinbase,
        gas_limit=inputs.gas_limit, base_fee=bp.next_base_fee(header, rules),
        prev_randao=inputs.mix_hash, chain_id=rules.chain_id,
        parent_output_root=first.parent_output_root, inputs_hash=keccak(inputs_data),
        block_hashes_root=list_root(hashes))
    totals = bp.totals_hash(mpt_proof.BLANK_ROOT, mpt_proof.BLANK_ROOT, bp.ZERO_BLOOM, *forced)
    context = Context(state_root, mpt_proof.BLANK_ROOT, mpt_proof.BLANK_ROOT,
                      mpt_proof.BLANK_ROOT, 0, ZERO32, 0, 0, totals)
    return between_transactions(block, 0, inputs.tx_count, context, forced[0] < forced[1])


def between_transactions(block: Block, index: int, count: int, context: Context,
                         forced_pending: bool = False) -> MachineState:
    """The state before transaction ``index`` or the next forced item (phase 2), or block end
    (phase 5) after the last: no frame, the per-transaction roots empty, the totals kept."""
    cleared = replace(context, accessed_root=mpt_proof.BLANK_ROOT,
                      created_root=mpt_proof.BLANK_ROOT, transient_root=mpt_proof.BLANK_ROOT,
                      refund=0, logs_hash=ZERO32, logs_count=0)
    if forced_pending or index < count:
        return MachineState(PHASE_TX_START, block, Tx(ZERO_ADDRESS, 0, index, ZERO32, ZERO32),
                            cleared, None)
    return MachineState(PHASE_BLOCK_END, block, Tx(ZERO_ADDRESS, 0, 0, ZERO32, ZERO32),
                        cleared, None)


# ---------------------------------------------------------------------------------------------
# Shared by transaction start and end
# ---------------------------------------------------------------------------------------------


def _transaction(io: BlockIO, state: MachineState,
                 inputs: bp.BlockInputs | None = None) -> tuple[bp.BlockInputs, bytes]:
    """The block's transaction at ``tx_index``, proved against its ``txs_root``."""
    if inputs is None:
        inputs = _inputs(io, state.block)
    index = state.tx.tx_index
    _require(index < inputs.tx_count, "no transaction at this index")
    raw = io.item("raw_tx")
    siblings = io.item("tx_siblings")
    _require(root_from_proof(index, keccak(raw), tuple(siblings)) == inputs.txs_root,
             "raw_tx is not the block's transaction at this index")
    if len(raw) > MAX_TX_BYTES:
        raise UnsupportedStep(f"a transaction of {len(raw)} bytes; the proposed rule allows "
                              f"{MAX_TX_BYTES} (4.2)")
    return inputs, bytes(raw)


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int) -> int:
    return min(int(tx.max_fee_per_gas), int(tx.max_priority_fee_per_gas) + base_fee)


def tip_per_gas(tx: SignedTransactionAPI, base_fee: int) -> int:
    return min(int(tx.max_fee_per_gas) - base_fee, int(tx.max_priority_fee_per_gas))


def target_of(tx: SignedTransactionAPI, sender: bytes) -> bytes:
    """The recipient, or for a creation the new contract's address
    ``keccak(rlp([sender, nonce]))[12:]`` (the nonce the transaction carries, the sender's)."""
    if tx.to:
        return bytes(tx.to)
    return keccak(rlp.encode([sender, int(tx.nonce)]))[12:]


def warm_keys(tx: SignedTransactionAPI, sender: bytes, coinbase: bytes) -> list[bytes]:
    """The keys a transaction start inserts into the precompiles' accessed set, in order:
    sender, recipient, coinbase, then each access-list address followed by its storage keys
    (``keccak(address ‖ slot)``). A key already present is inserted again (no change)."""
    keys = [keccak(sender), keccak(target_of(tx, sender)), keccak(coinbase)]
    for address, slots in tx.access_list:
        keys.append(keccak(bytes(address)))
        keys.extend(keccak(bytes(address) + int(slot).to_bytes(32, "big")) for slot in slots)
    return keys


# ---------------------------------------------------------------------------------------------
# Phase 4: transaction end
# ---------------------------------------------------------------------------------------------


def _totals(io: BlockIO, context: Context) -> Any:
    totals = io.item("totals")
    try:
        ok = bp.totals_hash(totals.receipts_root, totals.transactions_root, totals.bloom,
                            totals.forced_next, totals.forced_end) == context.totals_hash
    except bp.BlockPartError as error:
        raise InvalidWitness(str(error)) from error
    _require(ok, "totals is not the preimage of the context's totals_hash")
    return totals


def _logs(io: BlockIO, context: Context) -> Sequence[tuple[bytes, Sequence[bytes], bytes]]:
    if context.logs_count > MAX_RECEIPT_LOGS:
        raise UnsupportedStep(f"{context.logs_count} logs; the proposed rule allows "
                              f"{MAX_RECEIPT_LOGS} per transaction (4.3)")
    logs = io.item("logs")
    chain = ZERO32
    for address, topics, data in logs:
        chain = keccak(chain + bp.log_entry_hash(address, topics, data))
    _require(len(logs) == context.logs_count and chain == context.logs_hash,
             "logs are not the transaction's logs")
    return logs


def gas_accounting(gas: int, gas_left: int, refund_counter: int, floor: int
                   ) -> tuple[int, int, int]:
    """``(charged, returned, counted)``: the gas paid for (EIP-3529 cap, EIP-7623 floor), the gas
    returned to the sender, and the block gas py-evm counts (state_transition.md 6.1, 6.3)."""
    used = gas - gas_left
    refund = min(refund_counter, used // 5)
    extra = max(floor - (used - refund), 0)
    charged = used - refund + extra
    counted = used + extra - min(refund_counter, (used + extra) // 5)
    return charged, gas - charged, counted


def tx_end(state: MachineState, io: BlockIO, fee: L1FeeRules | None = None) -> Post:
    """Phase 4 (4.3): fees, EIP-161 clearing, receipt and transaction into the block's tries;
    with ``fee`` (the chain's ``l1Fee``) the vault credited after them (4.3 step 4a)."""
    block, context, outcome = state.block, state.context, state.frame
    assert isinstance(outcome, Outcome)
    inputs, raw = _transaction(io, state)
    tx = decode_transaction(raw).tx  # it decoded at its start
    sender, index = state.tx.origin, state.tx.tx_index
    tries = _Tries(io)
    success, gas_left = outcome.success, outcome.gas_left
    if not tx.to and success:
        context, success, gas_left = _deposit_code(io, tries, context, outcome,
                                                   target_of(tx, sender))
    refund_counter = context.refund if success else 0
    floor = floor_data_gas(bytes(tx.data))
    charged, returned, counted = gas_accounting(int(tx.gas), gas_left, refund_counter, floor)
    logs = _logs(io, context)
    root = context.state_root
    payer, proof = tries.account("sender", root, sender)
    _require(payer is not None, "the sender's account is absent at transaction end")
    assert payer is not None
    root = tries.put_account("sender", root, sender,
                             replace(payer, balance=payer.balance + returned * state.tx.gas_price),
                             proof)
    coinbase = block.coinbase
    tip = charged * tip_per_gas(tx, block.base_fee)
    before, proof = tries.account("coinbase", root, coinbase)
    after = replace(before or EMPTY_ACCOUNT, balance=(before or EMPTY_ACCOUNT).balance + tip)
    if after.is_empty:  # EIP-161: the coinbase is touched, and cleared when empty
        if before is not None:
            root = tries.put_account("coinbase", root, coinbase, None, proof)
    else:
        root = tries.put_account("coinbase", root, coinbase, after, proof)
    to = bytes(tx.to)
    if success and tx.to and to != coinbase:
        touched, proof = tries.account("recipient", root, to)
        if touched is not None and touched.is_empty:
            root = tries.put_account("recipient", root, to, None, proof)
    if fee is not None:
        share = charged * block.base_fee + \
            l1_fee(raw, L1Prices.of_word(inputs.l1_fee_word), fee)
        root = _credit_vault(tries, root, fee.vault, share)
    cumulative = context.cumulative_gas + counted
    totals = _totals(io, context)
    receipt = bp.receipt_encoding(None if tx.type_id is None else int(tx.type_id),
                                  success, cumulative, logs)
    receipts_root = _insert(io, "receipt_proof", totals.receipts_root, index, receipt)
    transactions_root = _insert(io, "transaction_proof", totals.transactions_root, index, raw)
    bloom = bp.bloom_or(totals.bloom, bp.bloom_of(logs))
    new_context = replace(context, state_root=root, cumulative_gas=cumulative,
                          totals_hash=bp.totals_hash(receipts_root, transactions_root, bloom,
                                                     totals.forced_next, totals.forced_end))
    return between_transactions(block, index + 1, inputs.tx_count, new_context,
                                totals.forced_next < totals.forced_end)


def _credit_vault(tries: _Tries, root: bytes, vault: bytes, share: int) -> bytes:
    """state_transition.md 6.4 rule 3: the vault credited the base fee of the charged gas plus
    the L1 fee, created by its first credit. A zero share to an absent vault (a zero base fee
    and zero L1 prices) would leave an empty account that py-evm and revm may treat apart:
    unprovable rather than guessed."""
    account, proof = tries.account("vault", root, vault)
    if account is None and share == 0:
        raise UnsupportedStep("a zero fee-vault credit to an absent vault (4.3)")
    credited = replace(account or EMPTY_ACCOUNT,
                       balance=(account or EMPTY_ACCOUNT).balance + share)
    return tries.put_account("vault", root, vault, credited, proof)


def _deposit_code(io: BlockIO, tries: _Tries, context: Context, outcome: Outcome,
                  address: bytes) -> tuple[Context, bool, int]:
    """A creation's code deposit (py-evm's ``apply_create_message``): the init code's output
    becomes the code at ``address`` for 200 gas a byte; over 24,576 bytes (EIP-170), starting
    with ``0xef`` (EIP-3541) or with too little gas left, the creation fails instead: all gas
    used, the context rolled back to the frame's entry snapshot (3.2 keeps it for this)."""
    output = io.item("output")
    _require(len(output) == outcome.output_size and cell_root(output) == outcome.output_root,
             "output is not the frame's return data")
    cost = CODE_DEPOSIT_GAS * len(output)
    if len(output) > MAX_CODE_SIZE or output[:1] == b"\xef" or cost > outcome.gas_left:
        snap = io.item("snapshot")
        restored = replace(
            context, state_root=snap.state_root, accessed_root=snap.accessed_root,
            created_root=snap.created_root, transient_root=snap.transient_root,
            refund=snap.refund, logs_hash=snap.logs_hash, logs_count=snap.logs_count)
        _require(restored.snapshot() == outcome.entry_snapshot,
                 "snapshot is not the preimage of the frame's entry snapshot")
        return restored, False, 0
    if not output:
        return context, True, outcome.gas_left
    account, proof = tries.account("created", context.state_root, address)
    _require(account is not None, "the created account is absent at its code deposit")
    assert account is not None
    io.code_stored(output)
    root = tries.put_account("created", context.state_root, address,
                             replace(account, code_hash=keccak(output)), proof)
    return replace(context, state_root=root), True, outcome.gas_left - cost


def _insert(io: BlockIO, name: str, root: bytes, index: int, value: bytes) -> bytes:
    proof = io.index_proof(name, root, index)
    try:
        new_root = index_trie.insert(root, index, value, proof)
    except index_trie.IndexTrieError as error:
        raise InvalidWitness(f"{name}: {error}") from error
    io.inserted(root, index, value, new_root)
    return new_root


# ---------------------------------------------------------------------------------------------
# Phase 5: block end
# ---------------------------------------------------------------------------------------------


def block_end(state: MachineState, io: BlockIO) -> Post:
    """Phase 5 (4.4): the coinbase touch, the header and its hash, the output root."""
    block, context = state.block, state.context
    inputs = _inputs(io, block)
    extra = io.item("extra_data")
    _require(keccak(extra) == inputs.extra_data_hash, "extra_data is not the block's")
    parent = _parent(io, block.parent_output_root)
    tries = _Tries(io)
    root = context.state_root
    coinbase, proof = tries.account("coinbase", root, block.coinbase)
    if coinbase is None:
        root = tries.put_account("coinbase", root, block.coinbase, EMPTY_ACCOUNT, proof)
    passer, _ = tries.account("message_passer", root, MESSAGE_PASSER_ADDRESS)
    passer_root = passer.storage_root if passer else mpt_proof.BLANK_ROOT
    totals = _totals(io, context)
    _require(totals.forced_next == totals.forced_end, "block end with forced items left")
    header = bp.HeaderFields(
        parent_hash=parent.block_hash, coinbase=block.coinbase, state_root=root,
        transactions_root=totals.transactions_root, receipts_root=totals.receipts_root,
        bloom=totals.bloom, number=block.number, gas_limit=block.gas_limit,
        gas_used=context.cumulative_gas, timestamp=block.timestamp, extra_data=bytes(extra),
        mix_hash=block.prev_randao, base_fee=block.base_fee, l1_fee_word=inputs.l1_fee_word)
    return Final(bp.output_root(root, passer_root, keccak(header.encoded())))
