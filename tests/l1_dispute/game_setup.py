"""A rollup with a dispute game on anvil: pool (four sequencers, stakes 40k/40k/20k/20k), queue,
inbox, portal, the test step verifier and the DisputeGame, wired as rollup_deploy does it; plus
the verbs the dispute tests need (land a toy batch, read claims, send many moves at once).

Delays are seconds: window 120 s, clocks 300 s per side with a 10 s extension, so the longest
game (2 * 300 + (max depth + 2) * 10, up to 1050 s at depth 43) fits the inbox's 1100 s and the
pool's 1500 s exit delay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vyper
from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint, TxReceipt, Wei

from ordo.batcher.batch_header import BatchHeader
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, AnvilChain, TransactionFailed
from tests.l1_contracts.ordo_votes import validator_key
from tests.l1_contracts.pool_deployment import PoolParameters, deploy_pool
from tests.l1_inbox.rollup_setup import (
    FALLBACK_BOND,
    FORCED_FEE,
    INCLUSION_WINDOW,
    PAYLOAD,
    SEQUENCER_TIMEOUT,
    STAKES,
    ZERO_ADDRESS,
    RollupSetup,
)

from .toy_trace import ToyBatch

VERIFIER_SOURCE = Path(__file__).with_name("CountingStepVerifier.vy")
CHALLENGE_WINDOW = 120
MAX_DISPUTE_DURATION = 1100
EXIT_DELAY = 1500
MAX_CLOCK = 300
CLOCK_EXTENSION = 10
BASE_BOND = 10**15
BOND_GROWTH_BPS = 12_000
DISPUTE_SLASH_BPS = 5_000
GENESIS_OUTPUT = keccak(b"toy genesis output")
INPUTS_ROOT = keccak(b"toy inputs")
MOVE_GAS = 5_000_000
NONE, OPEN, LOST, DEFENDED = 0, 1, 2, 3


@dataclass(frozen=True)
class ClaimView:
    index: int
    parent: int
    countered_by: str
    claimant: str
    bond: int
    claim: bytes
    position: int
    clock_duration: int
    clock_timestamp: int


@dataclass
class DisputeSetup:
    rollup: RollupSetup
    game: Contract
    verifier: Contract
    portal: Contract
    max_step_depth: int
    _claims: dict[int, list[ClaimView]] = field(default_factory=dict)
    _bonds: dict[int, int] = field(default_factory=dict)

    @property
    def chain(self) -> AnvilChain:
        return self.rollup.chain

    @property
    def inbox(self) -> Contract:
        return self.rollup.inbox

    @property
    def pool(self) -> Contract:
        return self.rollup.pools.pool

    def land(self, index: int, first_block: int, count: int, output_root: bytes,
             signers: tuple[int, ...] = (0, 1, 2)) -> BatchHeader:
        header = self.rollup.header(index, first_block, first_block + count - 1,
                                    output_root=output_root, inputs_root=INPUTS_ROOT)
        self.rollup.submit(header, PAYLOAD, signers)
        return header

    def toy(self, index: int, count: int) -> ToyBatch:
        start = GENESIS_OUTPUT if index == 0 else \
            bytes(self.inbox.functions.output_roots(index - 1).call())
        return ToyBatch(start, INPUTS_ROOT, count, self.max_step_depth)

    def signer_list(self, signers: tuple[int, ...] = (0, 1, 2)) -> list[str]:
        return sorted((to_checksum_address(self.rollup.keys[i].address) for i in signers),
                      key=lambda address: int(address, 16))

    def claims(self, game_id: int, fresh: bool = False) -> list[ClaimView]:
        """Every claim of the game. While a game is played a claim changes only by the counter
        a step records on a max-depth claim, so only new and max-depth claims are read again
        (a full read per round makes long games slow); ``fresh`` reads all (resolution records
        counters on every claim)."""
        count = int(self.game.functions.games(game_id).call()[7])
        if fresh:
            self._claims.pop(game_id, None)
        known = self._claims.setdefault(game_id, [])
        max_depth = 10 + 1 + self.max_step_depth
        for index, claim in enumerate(known):
            if claim.position.bit_length() - 1 == max_depth:
                known[index] = ClaimView(index, *self.game.functions.claims(game_id, index).call())
        known.extend(ClaimView(i, *self.game.functions.claims(game_id, i).call())
                     for i in range(len(known), count))
        return list(known)

    def status(self, game_id: int) -> int:
        return int(self.game.functions.games(game_id).call()[8])

    def bond(self, depth: int) -> int:
        if depth not in self._bonds:
            self._bonds[depth] = int(self.game.functions.required_bond(depth).call())
        return self._bonds[depth]

    def open_call(self, index: int, header_hash: bytes, claim: bytes) -> ContractFunction:
        return self.game.functions.open(index, header_hash, claim)

    def move_call(self, game_id: int, header_hash: bytes, parent: ClaimView, claim: bytes,
                  attack: bool) -> ContractFunction:
        return self.game.functions.move(game_id, header_hash, parent.index, parent.claim, claim,
                                        attack)

    def step_call(self, game_id: int, header_hash: bytes, leaf: int, attack: bool,
                  witness: bytes) -> ContractFunction:
        return self.game.functions.step(game_id, header_hash, leaf, attack, witness)

    def reason(self, call: ContractFunction, sender: LocalAccount, value: int = 0) -> str:
        """The revert reason of ``call`` sent with ``value`` wei."""
        return revert_reason_paying(self.chain, call, sender, value)


def revert_reason_paying(chain: AnvilChain, call: ContractFunction, sender: LocalAccount,
                         value: int) -> str:
    from web3.exceptions import ContractLogicError

    try:
        call.call({"from": sender.address, "value": Wei(value)})
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")
    raise AssertionError("the call did not revert")


def send_many(chain: AnvilChain, calls: list[tuple[ContractFunction, int]],
              sender: LocalAccount, gas: int = MOVE_GAS) -> list[TxReceipt]:
    """Send ``calls`` (each with its wei) from ``sender`` with consecutive nonces, mined in one
    block, in that order: a player's whole round at once (claim indexes follow the order)."""
    if not calls:
        return []
    w3 = chain.w3
    w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [False])
    hashes = []
    try:
        nonce = w3.eth.get_transaction_count(sender.address, "pending")
        for offset, (call, value) in enumerate(calls):
            transaction: Any = call.build_transaction({
                "from": sender.address, "value": Wei(value), "gas": gas,
                "chainId": ANVIL_CHAIN_ID, "nonce": nonce + offset,
                "maxFeePerGas": Wei(10**10), "maxPriorityFeePerGas": Wei(10**9)})
            signed = sender.sign_transaction(transaction)
            hashes.append(w3.eth.send_raw_transaction(signed.raw_transaction))
        w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    finally:
        w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [True])
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=30) for h in hashes]
    for (call, value), receipt in zip(calls, receipts, strict=True):
        if receipt["status"] != 1:
            raise TransactionFailed(f"transaction {receipt['transactionHash'].hex()} reverted: "
                                    f"{_replayed_reason(call, sender, value, receipt)}")
    return receipts


def _replayed_reason(call: ContractFunction, sender: LocalAccount, value: int,
                     receipt: TxReceipt) -> str:
    """The reason of a reverted call, replayed on the state before its block (exact for the
    first call of a round; a hint for the others)."""
    from web3.exceptions import ContractLogicError

    try:
        call.call({"from": sender.address, "value": Wei(value)},
                  block_identifier=receipt["blockNumber"] - 1)
    except ContractLogicError as error:
        return str(error.message)
    return "(no revert when replayed alone)"


def send_one(chain: AnvilChain, call: ContractFunction, sender: LocalAccount,
             value: int = 0) -> TxReceipt:
    return send_many(chain, [(call, value)], sender)[0]


def signers_hash(signers: list[str]) -> bytes:
    return keccak(encode(["address[]"], [signers]))


def deploy_verifier(chain: AnvilChain) -> Contract:
    out = vyper.compile_code(VERIFIER_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    return chain.deploy_code(out["abi"], bytes.fromhex(out["bytecode"][2:]))


def deploy_dispute_setup(chain: AnvilChain, max_step_depth: int = 2,
                         verifier: Contract | None = None,
                         genesis_output: bytes = GENESIS_OUTPUT) -> DisputeSetup:
    """``verifier``: the step verifier the game calls (the counting test verifier unless
    given, e.g. the real StepRouter); ``genesis_output``: the agreed start of batch 0."""
    pools = deploy_pool(chain, PoolParameters(exit_delay=EXIT_DELAY))
    keys = [validator_key(index) for index in range(len(STAKES))]
    for index, (key, stake) in enumerate(zip(keys, STAKES, strict=True)):
        pools.lock(pools.account(index + 1), stake, to_checksum_address(key.address))
    pools.advance_epoch()
    epoch = int(pools.pool.functions.current_epoch().call())
    owner = pools.owner
    queue = chain.deploy("ForcedInclusionQueue", INCLUSION_WINDOW, FORCED_FEE,
                         chain.accounts[9].address, sender=owner)
    inbox = chain.deploy("RollupInbox", pools.pool.address, queue.address, CHALLENGE_WINDOW,
                         MAX_DISPUTE_DURATION, ZERO_ADDRESS, SEQUENCER_TIMEOUT, FALLBACK_BOND,
                         sender=owner)
    chain.send(pools.pool.functions.set_inbox(inbox.address), owner)
    portal = chain.deploy("WithdrawalPortal", inbox.address, queue.address, sender=owner)
    chain.send(queue.functions.set_portal(portal.address), owner)
    verifier = verifier or deploy_verifier(chain)
    game = chain.deploy("DisputeGame", inbox.address, pools.pool.address, verifier.address,
                        genesis_output, max_step_depth, MAX_CLOCK, CLOCK_EXTENSION, BASE_BOND,
                        BOND_GROWTH_BPS, sender=owner)
    chain.send(inbox.functions.set_disputes(game.address), owner)
    chain.send(pools.pool.functions.set_dispute_game(game.address, DISPUTE_SLASH_BPS), owner)
    rollup = RollupSetup(pools, queue, inbox, keys, epoch)
    return DisputeSetup(rollup, game, verifier, portal, max_step_depth)
