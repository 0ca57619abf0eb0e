"""An L1-anchored devnet chain whose forced items come from a real ForcedInclusionQueue on the
tests' anvil: items 0-3 enqueued (a deposit to a new account, a valid and a refused forced
transaction, a deposit to a dev account), the block's origin the L1 block of item 3, item 4
enqueued after it. Block 1 takes items 0-3 before its own transaction. The block-start and
transaction-start parts are deployed with that queue's address (the router of the module's
verifier is built for a chain without L1), and the queue's items are read back into the
``ListQueue`` the Python reference is given, so both read the same queue."""

from __future__ import annotations

from dataclasses import dataclass, replace

from eth_utils import to_checksum_address
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ordo.core.block_extra import encode_anchored_extra
from ordo.core.forced_item import ForcedDeposit, ForcedTransaction
from ordo.core.genesis import GenesisL1, devnet_genesis
from ordo.execution.state_source import OverlayDatabase
from ordo.faultproof.block_parts import ListQueue, QueueItem
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.l1.compiler import compile_contract
from tests.faultproof.block_chain import BUILDER, DevChain, rules_of
from tests.l1_contracts.anvil_chain import AnvilChain

from .routes import TX_START
from .verifier import STEP_ABI, STEP_GAS, Verifier

DEPOSITEE = bytes.fromhex("de" * 20)
QUEUE_FEE = 10**14


@dataclass(frozen=True)
class Anchored:
    chain: DevChain
    queue: ListQueue
    block_start: Contract
    tx_start: Contract
    raw: dict[int, bytes]
    origin: int


def anchored_extra(origin_number: int, forced_through: int) -> bytes:
    return encode_anchored_extra(BUILDER, origin_number, forced_through)


def anchored_chain(chain: AnvilChain, verifier: Verifier) -> Anchored:
    """Items 0-3 enqueued on anvil (a deposit, a valid and a refused forced transaction, a
    deposit), the origin the block of item 3; item 4 after it. Block 1 takes items 0-3."""
    queue = chain.deploy("ForcedInclusionQueue", 100, QUEUE_FEE, chain.accounts[0].address)
    genesis_l1 = GenesisL1(chain_id=31337, locking_pool=bytes.fromhex("11" * 20),
                           origin_number=1, origin_hash=bytes.fromhex("0a" * 32),
                           forced_queue=bytes.fromhex(queue.address[2:]))
    c = DevChain(genesis=devnet_genesis(l1=genesis_l1))
    valid = c.sign(3, c.address(4), value=123)
    refused = c.sign(5, c.address(4), value=1, nonce=9)
    _enqueue(chain, queue, "deposit", DEPOSITEE, QUEUE_FEE + 5 * 10**18)
    _enqueue(chain, queue, "enqueue_transaction", valid.raw, QUEUE_FEE)
    _enqueue(chain, queue, "enqueue_transaction", refused.raw, QUEUE_FEE)
    _enqueue(chain, queue, "deposit", c.address(6), QUEUE_FEE + 7)
    _enqueue(chain, queue, "deposit", DEPOSITEE, QUEUE_FEE + 1)
    records = tuple(_item(queue, i) for i in range(5))
    origin = records[3].enqueued_block
    assert records[4].enqueued_block > origin
    items = (ForcedDeposit(0, DEPOSITEE, 5 * 10**18, records[0].enqueued_block),
             ForcedTransaction(1, valid.raw, records[1].enqueued_block),
             ForcedTransaction(2, refused.raw, records[2].enqueued_block),
             ForcedDeposit(3, c.address(6), 7, records[3].enqueued_block))
    c.build([c.sign(0, c.address(1), value=10**18)], forced=items,
            extra_data=anchored_extra(origin, 4), mix_hash=bytes.fromhex("0c" * 32))
    mpt = verifier.mpt.address
    rules = rules_of(c.genesis)
    start = compile_contract("step/StepBlockStart")
    block_start = chain.deploy_code(
        start.abi + STEP_ABI, start.bytecode, mpt, queue.address, rules.chain_id,
        rules.base_fee_floor, rules.elasticity_multiplier, rules.base_fee_max_change_denominator,
        rules.anchored, rules.l1_fee, bytes(20))
    tx = compile_contract("step/StepTxStart")
    deployed = verifier.parts[TX_START].functions
    tx_start = chain.deploy_code(tx.abi + STEP_ABI, tx.bytecode, mpt, queue.address,
                                 deployed.pending().call(), deployed.own().call())
    return Anchored(c, ListQueue(records), block_start, tx_start,
                    {1: valid.raw, 2: refused.raw}, origin)


def _enqueue(chain: AnvilChain, queue: Contract, function: str, argument: object,
             value: int) -> None:
    call = getattr(queue.functions, function)(
        to_checksum_address(argument) if isinstance(argument, bytes) and function == "deposit"
        else argument)
    sender = chain.accounts[1]
    tx = call.build_transaction({
        "from": sender.address, "value": value, "gas": 500_000, "chainId": chain.w3.eth.chain_id,
        "nonce": chain.w3.eth.get_transaction_count(sender.address, "pending")})
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction))
    assert receipt["status"] == 1


def _item(queue: Contract, index: int) -> QueueItem:
    kind, _sender, transaction_hash, recipient, amount, enqueued, _deadline = \
        queue.functions.items(index).call()
    return QueueItem(int(kind), bytes(transaction_hash), bytes.fromhex(recipient[2:]),
                     int(amount), int(enqueued))


def anchored_trace(a: Anchored, **changes: object) -> BlockTrace:
    """The trace of block 1 as a batch would post it with ``changes``."""
    c = a.chain
    posted = replace(c.batch_block(1), **changes)  # type: ignore[arg-type]
    return trace_block(OverlayDatabase(c.store), rules_of(c.genesis), c.header_rlp(0), [],
                       [posted], 0, a.queue, a.raw)


def part_step(part: Contract, pre: bytes, witness: bytes) -> bytes | str:
    """A part's answer called directly: the post-state, or its revert reason."""
    try:
        return bytes(part.functions.step(pre, witness).call({"gas": STEP_GAS}))
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")
