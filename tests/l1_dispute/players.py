"""Players of the dispute game, off chain: the honest player of OP's honest-challenger spec
(counter a claim only where it counters a claim the honest player stands behind; attack what
is wrong, defend what is right, step at the max depth) and opponents that play against it in
rounds. Each round every move of one side is sent at once (one block)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from .game_setup import ClaimView, DisputeSetup, send_many
from .toy_trace import SPLIT_DEPTH, ToyBatch, depth

Move = tuple[ContractFunction, int]


@dataclass
class Honest:
    """One honest player with the true trace of ``batch``."""

    setup: DisputeSetup
    batch: ToyBatch
    account: LocalAccount
    game_id: int
    header_hash: bytes
    done: set[tuple[int, str]] = field(default_factory=set)

    def stands_behind(self, claim: ClaimView, claims: list[ClaimView]) -> bool:
        if claim.index == 0:
            return claim.claim == self.batch.root()
        return claim.claimant == self.account.address

    def moves(self, claims: list[ClaimView]) -> list[Move]:
        chosen: list[Move] = []
        for claim in claims:
            if claim.claimant == self.account.address:
                continue
            if claim.index == 0:
                attacked = (0, "attack") in self.done or any(
                    other.parent == 0 and other.index != 0 and
                    other.claimant == self.account.address for other in claims)
                if claim.claim != self.batch.root() and not attacked:
                    chosen.append(self._move(claim, True))
                continue
            if not self.stands_behind(claims[claim.parent], claims):
                continue
            agree = claim.claim == self.batch.truth(claim.position)
            if depth(claim.position) == self.batch.max_depth:
                unanswered = claim.countered_by == "0x" + "00" * 20
                if unanswered and (claim.index, "step") not in self.done:
                    chosen.append(self._step(claim, claims, attack=not agree))
                continue
            if agree and depth(claim.position) == SPLIT_DEPTH + 1:
                continue  # a step subgame's root is never defended
            kind = "defend" if agree else "attack"
            if (claim.index, kind) not in self.done:
                chosen.append(self._move(claim, not agree))
        return chosen

    def _move(self, parent: ClaimView, attack: bool) -> Move:
        self.done.add((parent.index, "attack" if attack else "defend"))
        position = 2 * parent.position if attack else 2 * (parent.position + 1)
        value = self.batch.truth(position)
        return (self.setup.move_call(self.game_id, self.header_hash, parent, value, attack),
                self.setup.bond(depth(position)))

    def _step(self, leaf: ClaimView, claims: list[ClaimView], attack: bool) -> Move:
        self.done.add((leaf.index, "step"))
        k = self.batch.block_of(leaf.position)
        j = self.batch.step_index(leaf.position)
        witness = self.batch.state_witness(k, j - 1 if attack else j)
        return (self.setup.step_call(self.game_id, self.header_hash, leaf.index, attack,
                                     witness), 0)


def wrong(value: bytes, salt: int) -> bytes:
    return keccak(value + salt.to_bytes(4, "big"))


Strategy = Callable[[ClaimView, ToyBatch], Iterable[tuple[bool, bytes]]]
"""For a claim of the other side: the (attack?, value) counters an opponent makes."""


def attack_wrong(claim: ClaimView, batch: ToyBatch) -> Iterable[tuple[bool, bytes]]:
    yield True, wrong(batch.truth(2 * claim.position), 1)


def defend_wrong(claim: ClaimView, batch: ToyBatch) -> Iterable[tuple[bool, bytes]]:
    yield False, wrong(batch.truth(2 * (claim.position + 1)), 2)


def attack_right(claim: ClaimView, batch: ToyBatch) -> Iterable[tuple[bool, bytes]]:
    yield True, batch.truth(2 * claim.position)


def defend_right(claim: ClaimView, batch: ToyBatch) -> Iterable[tuple[bool, bytes]]:
    """Defend with the true value: down the right edge of the tree, where a claim's trace
    ancestor is the root (the audit's rightmost-position case)."""
    yield False, batch.truth(2 * (claim.position + 1))


def every_counter(claim: ClaimView, batch: ToyBatch) -> Iterable[tuple[bool, bytes]]:
    """Attack and defend, each with the right and a wrong value, where the tree stays small:
    at the first and the last two levels (elsewhere a wrong attack)."""
    here = depth(claim.position)
    if here <= 1 or here >= batch.max_depth - 2:
        for attack in (True, False):
            position = 2 * claim.position if attack else 2 * (claim.position + 1)
            yield attack, batch.truth(position)
            yield attack, wrong(batch.truth(position), 3)
    else:
        yield from attack_wrong(claim, batch)


@dataclass
class Opponent:
    """Counters every claim of the honest player with ``strategy`` (a legal subset of it: the
    contract refuses the rest, which the opponent checks with eth_call first)."""

    setup: DisputeSetup
    batch: ToyBatch
    account: LocalAccount
    honest: LocalAccount
    game_id: int
    header_hash: bytes
    strategy: Strategy
    done: set[tuple[int, bool, bytes]] = field(default_factory=set)

    def moves(self, claims: list[ClaimView]) -> list[Move]:
        chosen: list[Move] = []
        for claim in claims:
            if claim.claimant != self.honest.address:
                continue
            if depth(claim.position) >= self.batch.max_depth:
                continue  # the honest leaf is right: a step against it reverts
            for attack, value in self.strategy(claim, self.batch):
                if (claim.index, attack, value) in self.done:
                    continue
                self.done.add((claim.index, attack, value))
                position = 2 * claim.position if attack else 2 * (claim.position + 1)
                call = self.setup.move_call(self.game_id, self.header_hash, claim, value, attack)
                bond = self.setup.bond(depth(position))
                if self._accepted(call, bond):
                    chosen.append((call, bond))
        return chosen

    def _accepted(self, call: ContractFunction, bond: int) -> bool:
        try:
            call.call({"from": self.account.address, "value": bond})
        except Exception:  # a move the game refuses (e.g. a step-root rule): not available
            return False
        return True


Sent = list[tuple[ContractFunction, TxReceipt]]


def play(setup: DisputeSetup, honest: Honest, opponent: Opponent, max_rounds: int = 60,
         sent: Sent | None = None) -> int:
    """Alternate rounds until neither side has a move; returns the number of claims. Every
    transaction and its receipt is appended to ``sent`` when given (for gas)."""
    for _ in range(max_rounds):
        honest_moves = honest.moves(setup.claims(honest.game_id))
        receipts = send_many(setup.chain, honest_moves, honest.account)
        opponent_moves = opponent.moves(setup.claims(honest.game_id))
        receipts += send_many(setup.chain, opponent_moves, opponent.account)
        if sent is not None:
            calls = [call for call, _ in honest_moves + opponent_moves]
            sent.extend(zip(calls, receipts, strict=True))
        if not honest_moves and not opponent_moves:
            return len(setup.claims(honest.game_id))
    raise AssertionError("the game did not settle")


def resolve_all(setup: DisputeSetup, game_id: int, resolver: LocalAccount,
                chunk: int = 0) -> int:
    """Resolve every subgame bottom-up (children before parents); returns the transactions."""
    claims = setup.claims(game_id)
    order = sorted(claims, key=lambda claim: -depth(claim.position))
    sent = 0
    for claim in order:
        while not setup.game.functions.resolved(game_id, claim.index).call():
            send_many(setup.chain, [(setup.game.functions.resolve_claim(game_id, claim.index,
                                                                        chunk), 0)], resolver)
            sent += 1
    return sent
