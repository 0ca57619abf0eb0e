"""LockingPool slashing with votes signed by Ordo's own Python signing code: the contract must
accept exactly the evidence the nodes produce and refuse everything else with a precise reason."""

from __future__ import annotations

import pytest
from coincurve import PublicKey
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from ordo.consensus.evidence import EvidenceError, make_equivocation, verify_equivocation
from ordo.consensus.messages import VoteType
from ordo.consensus.signing import SECP256K1_N, VOTE_DOMAIN, compute_vote_digest

from .ordo_votes import PARENT, VoteTuple, as_tuple, signed_vote, signer_address, validator_key
from .pool_deployment import (
    EXIT_DELAY,
    L2_CHAIN_ID,
    TOKEN,
    PoolDeployment,
    PoolParameters,
    deploy_pool,
)

KEY_1, KEY_2 = validator_key(1), validator_key(2)
SIGNER_1, SIGNER_2 = signer_address(KEY_1), signer_address(KEY_2)
BLOCK_A, BLOCK_B, BLOCK_C = b"\xaa" * 32, b"\xbb" * 32, b"\xcc" * 32
HEIGHT, ROUND = 42, 3


def in_epoch_1(deployment: PoolDeployment) -> tuple[LocalAccount, LocalAccount]:
    alice, bob = deployment.account(1), deployment.account(2)
    deployment.lock(alice, 50_000 * TOKEN, SIGNER_1)
    deployment.lock(bob, 30_000 * TOKEN, SIGNER_2)
    deployment.advance_epoch()
    return alice, bob


def pair(block_a: bytes = BLOCK_A, block_b: bytes = BLOCK_B, height: int = HEIGHT,
         vote_type: VoteType = VoteType.PRECOMMIT, parent: bytes = PARENT
         ) -> tuple[VoteTuple, VoteTuple]:
    one = signed_vote(KEY_1, L2_CHAIN_ID, height, ROUND, vote_type, block_a, parent)
    other = signed_vote(KEY_1, L2_CHAIN_ID, height, ROUND, vote_type, block_b, parent)
    return as_tuple(one), as_tuple(other)


def with_signature(vote: VoteTuple, signature: bytes) -> VoteTuple:
    return (vote[0], vote[1], vote[2], vote[3], vote[4], vote[5], signature)


def test_the_contract_uses_the_nodes_vote_domain(deployment: PoolDeployment) -> None:
    assert deployment.pool.functions.VOTE_DOMAIN().call() == VOTE_DOMAIN


def test_python_signed_equivocation_is_slashed(deployment: PoolDeployment) -> None:
    chain, pool, token = deployment.chain, deployment.pool.functions, deployment.token.functions
    alice, _ = in_epoch_1(deployment)
    reporter = deployment.account(5)
    one = signed_vote(KEY_1, L2_CHAIN_ID, HEIGHT, ROUND, VoteType.PREVOTE, BLOCK_A)
    other = signed_vote(KEY_1, L2_CHAIN_ID, HEIGHT, ROUND, VoteType.PREVOTE, bytes(32))  # nil
    verify_equivocation(make_equivocation(one, other), L2_CHAIN_ID)  # the nodes agree it is one
    receipt = chain.send(pool.report_equivocation(as_tuple(one), as_tuple(other)), reporter)
    print(f"gas report_equivocation: {receipt['gasUsed']}")
    assert receipt["gasUsed"] < 300_000
    assert deployment.events(receipt, "Slashed") == [
        {"owner": alice.address, "signer": SIGNER_1, "reporter": reporter.address,
         "slashed": 5_000 * TOKEN, "reporter_reward": 2_500 * TOKEN, "height": HEIGHT,
         "round": ROUND, "vote_type": int(VoteType.PREVOTE)}
    ]
    record = deployment.sequencer(alice.address)
    assert record["amount"] == 45_000 * TOKEN
    assert record["status"] == 2  # forced exit
    assert token.balanceOf(reporter.address).call() == 2_500 * TOKEN
    assert pool.reward_reserve().call() == 2_500 * TOKEN
    assert pool.total_locked().call() == 75_000 * TOKEN
    # the running epoch keeps its set; the next one no longer has the offender
    assert deployment.epoch_set(1) == [(SIGNER_1, 50_000 * TOKEN), (SIGNER_2, 30_000 * TOKEN)]
    assert pool.pending_set().call() == [(SIGNER_2, 30_000 * TOKEN)]
    deployment.advance_epoch()
    assert deployment.epoch_set(2) == [(SIGNER_2, 30_000 * TOKEN)]
    # what is left is withdrawn after the exit delay
    chain.increase_time(EXIT_DELAY)
    chain.send(pool.withdraw(), alice)
    assert token.balanceOf(alice.address).call() == 45_000 * TOKEN


def test_an_offence_is_punished_once_whichever_order_or_pair(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    in_epoch_1(deployment)
    reporter = deployment.account(5)
    vote_a, vote_b = pair()
    offence = (SIGNER_1, HEIGHT, ROUND, int(VoteType.PRECOMMIT), PARENT)
    assert pool.offence_reported(*offence).call() is False
    chain.send(pool.report_equivocation(vote_a, vote_b), reporter)
    assert pool.offence_reported(*offence).call() is True
    assert pool.offence_reported(
        SIGNER_1, HEIGHT, ROUND, int(VoteType.PREVOTE), PARENT).call() is False
    assert pool.offence_reported(
        SIGNER_1, HEIGHT, ROUND, int(VoteType.PRECOMMIT), b"\x01" * 32).call() is False
    vote_c = pair(block_a=BLOCK_C)[0]
    for first, second in ((vote_a, vote_b), (vote_b, vote_a), (vote_a, vote_c)):
        assert chain.revert_reason(pool.report_equivocation(first, second), reporter) == (
            "LockingPool: equivocation already reported"
        )
    # another offence (another height) is punished again, also while exiting
    later_a, later_b = pair(height=HEIGHT + 1)
    receipt = chain.send(pool.report_equivocation(later_a, later_b), reporter)
    assert deployment.events(receipt, "Slashed")[0]["slashed"] == 4_500 * TOKEN
    print(f"gas report_equivocation, reporter and reserve already funded: {receipt['gasUsed']}")


def test_votes_that_do_not_prove_an_offence_are_refused(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    in_epoch_1(deployment)
    reporter = deployment.account(5)
    vote_a, vote_b = pair()

    def reason(first: VoteTuple, second: VoteTuple) -> str:
        return chain.revert_reason(pool.report_equivocation(first, second), reporter)

    other_chain = as_tuple(signed_vote(KEY_1, 1, HEIGHT, ROUND, VoteType.PRECOMMIT, BLOCK_B))
    assert reason(vote_a, other_chain) == "LockingPool: vote is for another chain"
    assert reason(other_chain, vote_a) == "LockingPool: vote is for another chain"
    assert reason(vote_a, pair(height=HEIGHT + 1)[1]) == (
        "LockingPool: votes are for different heights"
    )
    other_round = as_tuple(
        signed_vote(KEY_1, L2_CHAIN_ID, HEIGHT, ROUND + 1, VoteType.PRECOMMIT, BLOCK_B))
    assert reason(vote_a, other_round) == "LockingPool: votes are for different rounds"
    assert reason(vote_a, pair(vote_type=VoteType.PREVOTE)[1]) == (
        "LockingPool: votes are of different types"
    )
    assert reason(vote_a, vote_a) == "LockingPool: votes name the same block"
    by_other_key = as_tuple(
        signed_vote(KEY_2, L2_CHAIN_ID, HEIGHT, ROUND, VoteType.PRECOMMIT, BLOCK_B))
    assert reason(vote_a, by_other_key) == "LockingPool: votes are signed by different keys"
    # a forged vote: the block hash changed after signing recovers to some other address
    forged: VoteTuple = (vote_b[0], vote_b[1], vote_b[2], vote_b[3], vote_b[4], BLOCK_C,
                         vote_b[6])
    assert reason(vote_a, forged) == "LockingPool: votes are signed by different keys"
    # the parent is signed too: naming another one after signing recovers to someone else
    reparented: VoteTuple = (vote_b[0], vote_b[1], vote_b[2], vote_b[3], vote_a[4], vote_b[5],
                             pair(parent=b"\x02" * 32)[1][6])
    assert reason(vote_a, reparented) == "LockingPool: votes are signed by different keys"
    stranger = validator_key(7)
    unregistered = [
        as_tuple(signed_vote(stranger, L2_CHAIN_ID, HEIGHT, ROUND, VoteType.PRECOMMIT, block))
        for block in (BLOCK_A, BLOCK_B)
    ]
    assert reason(*unregistered) == "LockingPool: signer is not registered"


def test_unknown_vote_type_is_refused(deployment: PoolDeployment) -> None:
    in_epoch_1(deployment)
    votes = []
    for block in (BLOCK_A, BLOCK_B):
        digest = compute_vote_digest(L2_CHAIN_ID, HEIGHT, ROUND, 3, PARENT, block)
        votes.append((L2_CHAIN_ID, HEIGHT, ROUND, 3, PARENT, block, KEY_1.sign(digest)))
    assert deployment.chain.revert_reason(
        deployment.pool.functions.report_equivocation(*votes), deployment.account(5)
    ) == "LockingPool: unknown vote type"


def test_only_the_canonical_signature_encoding_is_accepted(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    in_epoch_1(deployment)
    reporter = deployment.account(5)
    vote_a, vote_b = pair()
    signature = vote_b[6]
    r, s, parity = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]

    def reason(bad_signature: bytes) -> str:
        bad = with_signature(vote_b, bad_signature)
        return chain.revert_reason(pool.report_equivocation(vote_a, bad), reporter)

    # the same signature with high s (and flipped parity) is valid ECDSA, yet not Ordo's encoding
    high_s = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([1 - parity])
    assert reason(high_s) == "LockingPool: signature s not in the low half"
    assert reason(signature[:64] + bytes([parity + 27])) == (
        "LockingPool: signature parity must be 0 or 1"
    )
    assert reason(signature[:64]) == "LockingPool: signature must be 65 bytes"
    assert reason(bytes(32) + signature[32:]) == "LockingPool: signature r out of range"
    assert reason(SECP256K1_N.to_bytes(32, "big") + signature[32:]) == (
        "LockingPool: signature r out of range"
    )
    assert reason(r + bytes(32) + bytes([parity])) == "LockingPool: signature s not in the low half"
    # an r that is no curve point's x: in range, canonical-looking, and recovers nothing
    digest = compute_vote_digest(
        L2_CHAIN_ID, HEIGHT, ROUND, int(VoteType.PRECOMMIT), PARENT, BLOCK_B)
    no_point = next(
        candidate for candidate in range(1, 1_000)
        if not _recovers(digest, candidate.to_bytes(32, "big") + signature[32:])
    )
    assert reason(no_point.to_bytes(32, "big") + signature[32:]) == (
        "LockingPool: signature does not recover"
    )


def _recovers(digest: bytes, signature: bytes) -> bool:
    try:
        PublicKey.from_signature_and_message(signature, digest, hasher=None)
    except Exception:  # coincurve: no point with this r
        return False
    return True


def test_votes_of_a_retired_key_still_slash_its_owner(deployment: PoolDeployment) -> None:
    chain, pool = deployment.chain, deployment.pool.functions
    alice, _ = in_epoch_1(deployment)
    chain.send(pool.update_signer(signer_address(validator_key(4))), alice)
    receipt = chain.send(pool.report_equivocation(*pair()), deployment.account(5))
    assert deployment.events(receipt, "Slashed")[0]["owner"] == alice.address


def test_a_fully_slashed_lock_has_nothing_left(deployment: PoolDeployment) -> None:
    whole = deploy_pool(deployment.chain, PoolParameters(slash_bps=10_000, reporter_bps=0))
    chain, pool = whole.chain, whole.pool.functions
    alice = whole.account(1)
    whole.lock(alice, 50_000 * TOKEN, SIGNER_1)
    receipt = chain.send(pool.report_equivocation(*pair()), whole.account(5))
    assert whole.events(receipt, "Slashed")[0]["reporter_reward"] == 0
    assert pool.reward_reserve().call() == 50_000 * TOKEN
    assert chain.revert_reason(
        pool.report_equivocation(*pair(height=HEIGHT + 1)), whole.account(5)
    ) == "LockingPool: sequencer has no stake left to slash"


def test_votes_on_different_parents_are_not_an_equivocation(deployment: PoolDeployment) -> None:
    """A returning validator: its precommit from the public certificate of a block it made but
    never posted (dropped when a fallback batch replaced it on L1) and its precommit at the same
    height, round and type on L1's chain. Different parents, different chains: refused, with
    the pool's reason, and nothing is slashed; the nodes agree."""
    chain, pool = deployment.chain, deployment.pool.functions
    alice, _ = in_epoch_1(deployment)
    reporter = deployment.account(5)
    dropped_parent, l1_parent = b"\xd0" * 32, b"\xf0" * 32
    old = signed_vote(KEY_1, L2_CHAIN_ID, HEIGHT, ROUND, VoteType.PRECOMMIT, BLOCK_A,
                      dropped_parent)
    new = signed_vote(KEY_1, L2_CHAIN_ID, HEIGHT, ROUND, VoteType.PRECOMMIT, BLOCK_B, l1_parent)
    with pytest.raises(EvidenceError, match="different parents"):
        verify_equivocation(make_equivocation(old, new), L2_CHAIN_ID)
    for first, second in ((old, new), (new, old)):
        assert chain.revert_reason(
            pool.report_equivocation(as_tuple(first), as_tuple(second)), reporter
        ) == "LockingPool: votes extend different parents, not an equivocation"
    assert deployment.sequencer(alice.address)["amount"] == 50_000 * TOKEN
    # the same signer's two votes on one of those parents for different blocks do slash
    again = signed_vote(KEY_1, L2_CHAIN_ID, HEIGHT, ROUND, VoteType.PRECOMMIT, BLOCK_C, l1_parent)
    verify_equivocation(make_equivocation(new, again), L2_CHAIN_ID)
    receipt = chain.send(pool.report_equivocation(as_tuple(new), as_tuple(again)), reporter)
    assert deployment.events(receipt, "Slashed")[0]["slashed"] == 5_000 * TOKEN
    assert pool.offence_reported(
        SIGNER_1, HEIGHT, ROUND, int(VoteType.PRECOMMIT), l1_parent).call() is True
    assert pool.offence_reported(
        SIGNER_1, HEIGHT, ROUND, int(VoteType.PRECOMMIT), dropped_parent).call() is False


def test_a_v1_signature_does_not_verify_as_a_v2_vote(deployment: PoolDeployment) -> None:
    """Votes signed before the parent hash was added (tag ordo.consensus.vote.v1) cannot be
    passed off as v2 votes, whatever parent the reporter names."""
    chain, pool = deployment.chain, deployment.pool.functions
    in_epoch_1(deployment)
    v1_types = ["bytes32", "uint256", "uint64", "uint32", "uint8", "bytes32"]
    votes = []
    for block in (BLOCK_A, BLOCK_B):
        v1_digest = keccak(abi_encode(v1_types, [keccak(b"ordo.consensus.vote.v1"), L2_CHAIN_ID,
                                                 HEIGHT, ROUND, int(VoteType.PRECOMMIT), block]))
        votes.append((L2_CHAIN_ID, HEIGHT, ROUND, int(VoteType.PRECOMMIT), PARENT, block,
                      KEY_1.sign(v1_digest)))
    assert chain.revert_reason(pool.report_equivocation(*votes), deployment.account(5)) == (
        "LockingPool: votes are signed by different keys"  # each recovers to some stranger
    )
