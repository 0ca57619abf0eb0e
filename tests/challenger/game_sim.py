"""An in-memory DisputeGame for the solver's unit tests: the contract's move, step and
resolution rules (src/ordo/l1/contracts/DisputeGame.vy) over a synthetic honest trace, so claim
trees of any shape are built by hand or at random in microseconds. The anvil tests run the real
contract; this model only has to refuse what the contract refuses and decide the same winner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from eth_abi import encode
from eth_utils import keccak

from ordo.challenger.game_model import STATUS_OPEN, ZERO_ADDRESS, Claim, Game, GameRules
from ordo.challenger.honest_trace import BatchTrace, final_state
from ordo.challenger.positions import (
    SPLIT_DEPTH,
    attack_position,
    defend_position,
    depth,
    trace_index,
)
from ordo.challenger.solver import Action, Move, Step

RUN_STEPS = 2
HONEST = b"\x0a" * 20
OPPONENT = b"\x0b" * 20
MAX_CLOCK = 100
EXTENSION = 5


class Refused(Exception):
    """What the contract would revert with."""


@dataclass(frozen=True)
class SyntheticSteps:
    """A block runs RUN_STEPS states after its first, then sits in its final state."""

    trace_outputs: tuple[bytes, ...]
    start: bytes
    max_step_depth: int

    def state(self, block: int, step: int) -> bytes:
        if step <= RUN_STEPS:
            return keccak(b"running" + block.to_bytes(8, "big") + step.to_bytes(8, "big") +
                          self.start)
        return final_state(self.trace_outputs[block])

    def witness(self, block: int, step: int) -> bytes:
        return encode(["uint256", "uint256"], [block, step])


def synthetic_trace(count: int = 5, max_step_depth: int = 2, salt: bytes = b"") -> BatchTrace:
    start = keccak(b"start" + salt)
    outputs = tuple(keccak(b"output" + salt + k.to_bytes(8, "big")) for k in range(count))
    return BatchTrace(1, 100, start, keccak(b"inputs"), outputs, max_step_depth,
                      SyntheticSteps(outputs, start, max_step_depth))


def rules_for(max_step_depth: int = 2) -> GameRules:
    max_depth = SPLIT_DEPTH + 1 + max_step_depth
    bonds = (0, *(10 + d for d in range(1, max_depth + 1)))
    return GameRules(max_depth, MAX_CLOCK, EXTENSION, bonds)


def wrong(value: bytes, salt: int = 1) -> bytes:
    return keccak(value + salt.to_bytes(4, "big"))


@dataclass
class SimGame:
    trace: BatchTrace
    rules: GameRules
    root_value: bytes
    now: int = 1000
    verifier: Callable[[bytes, bytes], bytes] | None = None
    """A real step function (pre-state, witness) -> post-state; None: the synthetic one."""
    claims: list[Claim] = field(default_factory=list)
    made: set[tuple[bytes, int, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.claims.append(Claim(0, 0, ZERO_ADDRESS, ZERO_ADDRESS, 0, self.root_value, 1, 0,
                                 self.now))

    def view(self) -> Game:
        return Game(1, 1, b"\x11" * 32, self.root_value, self.trace.start_root,
                    self.trace.inputs_root, len(self.trace.outputs), STATUS_OPEN,
                    tuple(self.claims))

    def _used(self, index: int) -> int:
        return self.view().used_clock(index, self.now, self.rules)

    def move(self, parent_index: int, value: bytes, attack: bool, who: bytes) -> int:
        parent = self.claims[parent_index]
        new_depth = parent.depth + 1
        if not attack and parent_index == 0:
            raise Refused("the root claim can only be attacked")
        if not attack and new_depth == SPLIT_DEPTH + 2:
            raise Refused("a step subgame's root can only be attacked")
        if new_depth > self.rules.max_game_depth:
            raise Refused("a claim at the max depth is countered by step")
        position = attack_position(parent.position) if attack else \
            defend_position(parent.position)
        if new_depth == SPLIT_DEPTH + 1:
            self._check_step_root(parent, value, attack)
        duration = self._used(parent_index)
        if duration >= self.rules.max_clock_duration:
            raise Refused("the clock to counter that claim ran out")
        duration = min(duration, self.rules.max_clock_duration - self.rules.clock_extension)
        key = (value, position, parent_index)
        if key in self.made:
            raise Refused("the same claim is already made there")
        self.made.add(key)
        index = len(self.claims)
        self.claims.append(Claim(index, parent_index, ZERO_ADDRESS, who,
                                 self.rules.bond(new_depth), value, position, duration, self.now))
        return index

    def _ancestor(self, position: int, start: int) -> Claim:
        target = position
        while target & 1:
            target >>= 1
        index = start
        for _ in range(70):
            if self.claims[index].position == target:
                return self.claims[index]
            index = self.claims[index].parent_index
        raise Refused("no claim commits to that trace index")

    def _check_step_root(self, parent: Claim, value: bytes, attack: bool) -> None:
        if attack:
            if value == final_state(parent.value):
                raise Refused("a step subgame root attacking an output must not end in it")
            return
        disputed = self._ancestor(parent.position + 1, parent.index)
        final = final_state(disputed.value)
        if disputed.depth % 2 == SPLIT_DEPTH % 2:
            if value == final:
                raise Refused("a step subgame root disputing an output must not end in it")
        elif value != final:
            raise Refused("a step subgame root agreeing with an output must end in it")

    def _first_state(self, leaf: Claim) -> bytes:
        index, step_root = leaf.index, leaf.index
        while self.claims[index].depth > SPLIT_DEPTH:
            step_root = index
            index = self.claims[index].parent_index
        output = self.claims[index]
        leaf_index = trace_index(output.position, SPLIT_DEPTH)
        if self.claims[step_root].position == 2 * output.position:
            k = leaf_index
            start = self.trace.start_root if k == 0 else \
                self._ancestor(output.position - 1, index).value
        else:
            k = leaf_index + 1
            start = output.value
        if k >= len(self.trace.outputs):
            return final_state(start)
        return keccak(encode(["uint256", "bytes32", "bytes32", "uint256"],
                             [1, start, self.trace.inputs_root, k]))

    def _verify(self, pre: bytes, witness: bytes) -> bytes:
        """The synthetic step verifier: the witness names a state of the honest trace, which
        must be the pre-state; the step gives the next one."""
        from eth_abi import decode
        if witness == encode(["uint256", "bytes32"], [6, self.trace.root]):
            # the final state's witness (past the batch's last block): it steps to itself
            if pre != final_state(self.trace.root):
                raise Refused("witness does not match the pre-state")
            return pre
        block, step = decode(["uint256", "uint256"], witness)
        if self.trace.state(block, step) != pre:
            raise Refused("witness does not match the pre-state")
        last = 1 << self.rules.max_step_depth
        return self.trace.state(block, min(step + 1, last))

    def step(self, claim_index: int, attack: bool, witness: bytes, who: bytes) -> None:
        leaf = self.claims[claim_index]
        max_depth = self.rules.max_game_depth
        if leaf.depth != max_depth:
            raise Refused("only a claim at the max depth is countered by step")
        if leaf.countered_by != ZERO_ADDRESS:
            raise Refused("the claim is already stepped on")
        if attack:
            if (2 * leaf.position) % (1 << (max_depth - SPLIT_DEPTH)) == 0:
                pre = self._first_state(leaf)
            else:
                pre = self._ancestor(leaf.position - 1, leaf.parent_index).value
            post = leaf
        else:
            pre = leaf.value
            post = self._ancestor(leaf.position + 1, leaf.parent_index)
        if self.verifier is None:
            result = self._verify(pre, witness)
        else:
            try:
                result = self.verifier(pre, witness)
            except Exception as error:  # the verifier refuses: the step reverts
                raise Refused(f"verifier: {error}") from error
        valid = result == post.value
        parent_post_agree = (max_depth - post.depth) % 2 == 0
        if parent_post_agree == valid:
            raise Refused("the step does not counter the claim")
        self.claims[claim_index] = replace(leaf, countered_by=who)

    def apply(self, action: Action) -> None:
        if isinstance(action, Move):
            parent = self.claims[action.parent_index]
            assert parent.value == action.disputed
            assert action.bond == self.rules.bond(depth(action.position))
            self.move(action.parent_index, action.claim, action.is_attack, HONEST)
        elif isinstance(action, Step):
            self.step(action.claim_index, action.is_attack, action.witness, HONEST)
        else:
            raise AssertionError(f"not a move: {action}")

    def root_countered(self) -> bool:
        """The contract's resolution: a claim is countered when stepped on or when any child
        stands uncountered."""
        countered = [c.countered_by != ZERO_ADDRESS for c in self.claims]
        for claim in reversed(self.claims[1:]):
            if not countered[claim.index]:
                countered[claim.parent_index] = True
        return countered[0]
