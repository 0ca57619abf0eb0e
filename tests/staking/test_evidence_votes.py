"""The pool call a node makes for an equivocation, and the key it remembers it by (pure)."""

from __future__ import annotations

from eth_abi import decode as abi_decode

from ordo.consensus.evidence import Equivocation, make_equivocation
from ordo.consensus.messages import VoteType
from ordo.l1.staking_contracts import pool_abi
from ordo.staking.evidence_votes import offence_report, pool_vote
from tests.l1_contracts.ordo_votes import PARENT, as_tuple, validator_key
from tests.staking.staked_pool import BLOCK_A, BLOCK_B, BLOCK_C, equivocation

KEY = validator_key(3)


def test_the_pair_is_sent_as_the_pools_vote_structs() -> None:
    evidence = equivocation(KEY, height=5, round_=2, vote_type=VoteType.PREVOTE)
    report = offence_report(evidence)
    assert report.votes == (as_tuple(evidence.first), as_tuple(evidence.second))
    assert report.votes[0][5] == BLOCK_A and report.votes[1][5] == BLOCK_B
    assert report.votes[0][4] == report.votes[1][4] == PARENT
    assert report.offence == (KEY.address, 5, 2, int(VoteType.PREVOTE), PARENT)
    # The pool's ABI takes exactly these tuples.
    call = pool_abi().function("report_equivocation", 2).encode_call(list(report.votes))
    decoded = abi_decode(["(uint256,uint64,uint32,uint8,bytes32,bytes32,bytes)"] * 2, call[4:])
    assert tuple(decoded) == report.votes
    assert pool_vote(evidence.first) == report.votes[0]


def test_the_key_names_the_pair_whatever_its_order() -> None:
    evidence = equivocation(KEY, height=5)
    swapped = Equivocation(evidence.second, evidence.first)  # not the canonical order
    assert offence_report(swapped).key == offence_report(evidence).key
    assert offence_report(swapped).votes == offence_report(evidence).votes
    other_pair = equivocation(KEY, height=5, block_b=BLOCK_C)
    assert offence_report(other_pair).offence == offence_report(evidence).offence
    assert offence_report(other_pair).key != offence_report(evidence).key
    assert len(offence_report(evidence).key) == 32
    again = make_equivocation(evidence.second, evidence.first)
    assert offence_report(again) == offence_report(evidence)
