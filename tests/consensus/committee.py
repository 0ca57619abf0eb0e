"""A test committee: validators with known keys and stakes, and ways to speak for any of them."""

from __future__ import annotations

from dataclasses import dataclass

from eth_hash.auto import keccak

from ordo.consensus import (
    NIL,
    ChainTip,
    ConsensusParams,
    ConsensusState,
    Event,
    LocalSigner,
    Proposal,
    ProposedValue,
    Start,
    Validator,
    ValidatorSet,
    Vote,
    VoteType,
    create_state,
    genesis_tip,
    get_proposer,
    sign_proposal,
    sign_vote,
    step,
)
from ordo.consensus.actions import Action

CHAIN_ID = 1234
GENESIS_HASH = keccak(b"test genesis")


def make_value(
    height: int = 1, parent: bytes = GENESIS_HASH, tag: bytes = b"a", builder: bytes = bytes(20)
) -> ProposedValue:
    payload = b"block:" + height.to_bytes(8, "big") + parent + builder + tag
    return ProposedValue(height, parent, keccak(payload), builder, payload)


@dataclass
class Committee:
    stakes: tuple[int, ...]
    epoch_length: int = 1000

    def __post_init__(self) -> None:
        self.keys = [keccak(f"committee key {i}".encode()) for i in range(len(self.stakes))]
        self.signers = [LocalSigner(key) for key in self.keys]
        self.validators = ValidatorSet.of(
            Validator(signer.address, stake)
            for signer, stake in zip(self.signers, self.stakes, strict=True)
        )
        self.params = ConsensusParams(chain_id=CHAIN_ID, epoch_length=self.epoch_length)

    def value_by(
        self, index: int, tag: bytes = b"a", height: int = 1, parent: bytes = GENESIS_HASH
    ) -> ProposedValue:
        return make_value(height, parent, tag, self.signers[index].address)

    def index_of(self, address: bytes) -> int:
        return [signer.address for signer in self.signers].index(address)

    def state_of(self, index: int | None) -> ConsensusState:
        key = None if index is None else self.keys[index]
        return create_state(self.params, self.validators, key)

    def started(
        self, index: int | None, tip: ChainTip | None = None
    ) -> tuple[ConsensusState, list[Action]]:
        return step(self.state_of(index), Start(tip or genesis_tip(GENESIS_HASH)))

    def proposer_index(self, state: ConsensusState, round_: int) -> int:
        return self.index_of(get_proposer(state.order, state.tip.proposer_offset, round_))

    def non_proposer(self, round_: int = 0) -> int:
        """A validator that does not propose at round ``round_`` of height 1."""
        state, _ = self.started(None)
        proposer = self.proposer_index(state, round_)
        return next(i for i in range(len(self.stakes)) if i != proposer)

    def vote(
        self,
        index: int,
        vote_type: VoteType,
        block_hash: bytes = NIL,
        round_: int = 0,
        height: int = 1,
        parent: bytes = GENESIS_HASH,
    ) -> Vote:
        """``parent``: the final block ``height`` extends (genesis for height 1)."""
        return sign_vote(
            self.signers[index], CHAIN_ID, height, round_, vote_type, parent, block_hash
        )

    def proposal(
        self, index: int, value: ProposedValue, round_: int = 0, valid_round: int = -1
    ) -> Proposal:
        return sign_proposal(self.signers[index], CHAIN_ID, round_, valid_round, value)


def run(state: ConsensusState, *events: Event) -> tuple[ConsensusState, list[Action]]:
    actions: list[Action] = []
    for event in events:
        state, new = step(state, event)
        actions.extend(new)
    return state, actions


def of_type(actions: list[Action], kind: type) -> list:  # type: ignore[type-arg]
    return [action for action in actions if isinstance(action, kind)]
