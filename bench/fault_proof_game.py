"""Two full dispute games on anvil for bench/fault_proof.py: the real DisputeGame (deployed as
tests/l1_dispute's setup deploys it, at the deployments' depth: 2^32 steps per block, 43
levels) calling the real StepRouter, over a batch of three engine-built blocks
(tests/l1_step/test_step_block_end's chain) landed on the inbox.

- "wrong root": three of the four sequencers sign the batch with a wrong output root. The honest
  player of tests/l1_dispute (OP's honest-challenger rules) opens the game and bisects; the liar
  counters each honest claim with a wrong attack, down to the max depth, where the leaf is the
  honest player's (43 is odd): the liar's only counter would be a step, and the StepRouter
  gives the honest post-state, so the game refuses it (checked). The clocks run out, every
  claim is resolved, the game resolves LOST (the batch removed, the three signers slashed) and
  the honest player claims its credit.
- "right root": a griefer disputes the right root and attacks every defence; the defender
  (the same honest player) steps at the max depth through the StepRouter (the block-start step
  of the batch's first block), the game resolves DEFENDED and the defender claims.

Each player's claims come from the production honest trace (``ordo.challenger.honest_trace``
over ``ChainSteps``: the whole-block tracer on the engine's blocks); gas is ``gasUsed`` of each
receipt, by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from tests.challenger.test_node_steps import DevChainStore
from tests.faultproof.block_chain import DevChain
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_dispute.game_setup import (
    DEFENDED,
    LOST,
    MAX_CLOCK,
    ClaimView,
    DisputeSetup,
    deploy_dispute_setup,
    send_one,
)
from tests.l1_dispute.players import Honest, Opponent, Sent, attack_wrong, play, wrong
from tests.l1_inbox.rollup_setup import PAYLOAD
from tests.l1_step import test_step_block_end
from tests.l1_step.verifier import Verifier
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from ordo.challenger.honest_trace import BatchTrace
from ordo.challenger.l1_game import LandedBatch
from ordo.challenger.node_steps import ChainSteps
from ordo.challenger.positions import SPLIT_DEPTH, block_position, step_index
from ordo.faultproof.batch_inputs import inputs_root

MAX_STEP_DEPTH = 32
"""The deployments' depth (ordo.l1.rollup_deploy): 2^32 steps per block, 11 + 32 levels."""
SIGNERS = (0, 1, 2)
HONEST, OTHER, RESOLVER = 4, 5, 6
"""Dev accounts: the honest player, the liar or griefer, whoever resolves."""


@dataclass(frozen=True)
class RealBatch:
    """tests/l1_dispute's ToyBatch interface (what its players read) over the honest trace of
    engine-built blocks."""

    trace: BatchTrace

    @property
    def max_depth(self) -> int:
        return SPLIT_DEPTH + 1 + MAX_STEP_DEPTH

    def root(self) -> bytes:
        return self.trace.root

    def truth(self, position: int) -> bytes:
        return self.trace.value(position, self.max_depth)

    def block_of(self, position: int) -> int:
        return block_position(position)

    def step_index(self, position: int) -> int:
        return step_index(position, self.max_depth)

    def state_witness(self, block: int, step: int) -> bytes:
        """The witness of the step from state ``step`` (the players' step call's argument)."""
        return self.trace.witness(block, step)


def _l2_chain() -> DevChain:
    built: Any = test_step_block_end.blocks.__wrapped__()  # type: ignore[attr-defined]
    chain: DevChain = built.chain
    return chain


def _land(setup: DisputeSetup, c: DevChain, output_root: bytes) -> tuple[bytes, RealBatch]:
    last = len(c.blocks) - 1
    root = inputs_root([c.batch_block(n) for n in range(1, last + 1)])
    header = setup.rollup.header(0, 1, last, output_root=output_root, inputs_root=root)
    setup.rollup.submit(header, PAYLOAD, SIGNERS)
    header_hash = setup.rollup.digest(header)
    landed = LandedBatch(0, header_hash, output_root, root, 0, 1, last, 0)
    trace = BatchTrace(0, 1, c.output_root(0), root,
                       tuple(c.output_root(n) for n in range(1, last + 1)), MAX_STEP_DEPTH,
                       ChainSteps(DevChainStore(c), c.genesis, landed))
    return header_hash, RealBatch(trace)


def _by_side(receipts: Iterable[TxReceipt], names: dict[str, str]) -> dict[str, dict[str, int]]:
    sides: dict[str, dict[str, int]] = {}
    for receipt in receipts:
        side = sides.setdefault(names[receipt["from"]], {"transactions": 0, "gas": 0})
        side["transactions"] += 1
        side["gas"] += int(receipt["gasUsed"])
    return sides


def _resolve(setup: DisputeSetup, game_id: int, resolver: LocalAccount) -> list[TxReceipt]:
    """Every claim resolved bottom-up (players.resolve_all's order), each receipt kept."""
    receipts = []
    claims = setup.claims(game_id, fresh=True)
    for claim in sorted(claims, key=lambda c: -c.position.bit_length()):
        while not setup.game.functions.resolved(game_id, claim.index).call():
            receipts.append(send_one(setup.chain, setup.game.functions.resolve_claim(
                game_id, claim.index, 0), resolver))
    return receipts


def _liar_step_refused(setup: DisputeSetup, batch: RealBatch, game_id: int, header_hash: bytes,
                       liar: LocalAccount) -> str:
    """The liar's only counter to the honest leaf: a step from the state before it. The
    StepRouter computes the honest claim, so the game refuses it; returns the reason."""
    claims = setup.claims(game_id, fresh=True)
    leaf = next(c for c in claims if c.position.bit_length() - 1 == batch.max_depth)
    j = batch.step_index(leaf.position)
    witness = batch.state_witness(batch.block_of(leaf.position), j - 1)
    try:
        setup.step_call(game_id, header_hash, leaf.index, True, witness).call(
            {"from": liar.address})
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")
    raise AssertionError("the StepRouter let the liar counter the honest leaf")


def _game(chain: AnvilChain, router: Contract, c: DevChain, right_root: bool) -> dict[str, Any]:
    setup = deploy_dispute_setup(chain, MAX_STEP_DEPTH, router, c.output_root(0))
    honest_account, other_account = chain.accounts[HONEST], chain.accounts[OTHER]
    resolver = chain.accounts[RESOLVER]
    right = c.output_root(len(c.blocks) - 1)
    header_hash, batch = _land(setup, c, right if right_root else keccak(b"wrong" + right))
    opener, first = (other_account, wrong(batch.truth(2), 7)) if right_root else \
        (honest_account, batch.truth(2))
    opened = send_one(chain, setup.open_call(0, header_hash, first), opener, setup.bond(1))
    game_id = int(setup.game.functions.game_count().call())
    honest = Honest(setup, batch, honest_account, game_id, header_hash)  # type: ignore[arg-type]
    if not right_root:
        honest.done.add((0, "attack"))
    other = Opponent(setup, batch, other_account, honest_account, game_id,  # type: ignore[arg-type]
                     header_hash, attack_wrong)
    sent: Sent = []
    claims = play(setup, honest, other, sent=sent)
    steps = [receipt for call, receipt in sent if call.fn_name == "step"]
    refused = "" if right_root else _liar_step_refused(setup, batch, game_id, header_hash,
                                                       other_account)
    chain.increase_time(MAX_CLOCK + 1)
    resolutions = _resolve(setup, game_id, resolver)
    signers = [] if right_root else setup.signer_list(SIGNERS)
    resolved = send_one(chain, setup.game.functions.resolve(game_id, signers), resolver)
    status = setup.status(game_id)
    assert status == (DEFENDED if right_root else LOST), status
    every_claim = setup.claims(game_id, fresh=True)
    names = {honest_account.address: "honest", other_account.address:
             "griefer" if right_root else "liar", resolver.address: "resolver"}
    bonds = _bonds(every_claim, names)
    credit = int(setup.game.functions.credit(honest_account.address).call())
    claimed = send_one(chain, setup.game.functions.claim_credit(honest_account.address),
                       honest_account)
    moves = [receipt for _, receipt in sent]
    return {
        "batch": {"blocks": len(c.blocks) - 1, "root": "right" if right_root else "wrong",
                  "signers": len(SIGNERS)},
        "max_game_depth": batch.max_depth, "claims": claims,
        "moves": len([r for r in moves if r not in steps]) + 1, "steps_on_chain": len(steps),
        "step_gas": [int(r["gasUsed"]) for r in steps],
        "liar_step_refused": refused or None,
        "gas_by_side": {
            "play": _by_side([opened, *moves], names),
            "resolution (anyone)": _by_side([*resolutions, resolved], names),
            "claim_credit": int(claimed["gasUsed"]),
        },
        "open_gas": int(opened["gasUsed"]),
        "resolve_gas": int(resolved["gasUsed"]),
        "bonds_wei": bonds,
        "honest_credit_wei": str(credit),
        "status": "DEFENDED" if right_root else "LOST",
    }


def _bonds(claims: list[ClaimView], names: dict[str, str]) -> dict[str, str]:
    """The bonds each side posted (claim 0, the landed root, holds none)."""
    total: dict[str, int] = {}
    for claim in claims[1:]:
        side = names.get(claim.claimant, claim.claimant)
        total[side] = total.get(side, 0) + claim.bond
    return {side: str(value) for side, value in total.items()}


def play_games(chain: AnvilChain, verifier: Verifier,
               progress: Callable[[str], None] = print) -> dict[str, Any]:
    c = _l2_chain()
    games = {}
    for right_root in (False, True):
        name = "right root, griefer" if right_root else "wrong root, liar"
        games[name] = _game(chain, verifier.router, c, right_root)
        progress(f"game {name}: {games[name]['claims']} claims")
    return games
