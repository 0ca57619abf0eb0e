"""Regressions of the dispute audit's findings 4 to 8, each as its proof of concept turned
around: a header landing again in the same L1 block gets a game of its own (4), a sham game
does not shorten the challenge window (5), a signer whose stake could leave before the dispute
ends is not counted (6), a stale fallback bond and flag do not survive a signed batch (7), and a
credit whose ETH cannot be sent still pays its tokens (8)."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.exceptions import ContractLogicError

from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_inbox.rollup_setup import FALLBACK_BOND, PAYLOAD, SEQUENCER_TIMEOUT

from .game_setup import (
    BASE_BOND,
    BOND_GROWTH_BPS,
    CHALLENGE_WINDOW,
    CLOCK_EXTENSION,
    EXIT_DELAY,
    GENESIS_OUTPUT,
    INPUTS_ROOT,
    LOST,
    MAX_CLOCK,
    MAX_DISPUTE_DURATION,
    DisputeSetup,
    deploy_dispute_setup,
    send_many,
    send_one,
)

VOID = 4


def resolve_unanswered(setup: DisputeSetup, game_id: int, signers: list[str]) -> None:
    """Resolve a game of the root and its one attack (leaf first), then the game."""
    account = setup.chain.accounts[6]
    for index in (1, 0):
        send_one(setup.chain, setup.game.functions.resolve_claim(game_id, index, 0), account)
    send_one(setup.chain, setup.game.functions.resolve(game_id, signers), account)


def test_a_header_landing_again_in_the_same_block_gets_a_new_game(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    honest, attacker = chain.accounts[4], chain.accounts[5]
    batch0 = setup.toy(0, 3)
    wrong0 = setup.land(0, 1, 3, keccak(b"wrong 0"))
    game = setup.game.functions
    send_one(chain, setup.open_call(0, setup.rollup.digest(wrong0), batch0.truth(2)), honest,
             setup.bond(1))
    chain.increase_time(MAX_CLOCK + 1)
    for index in (1, 0):
        send_one(chain, game.resolve_claim(1, index, 0), chain.accounts[6])
    header = setup.rollup.header(1, 4, 4, output_root=keccak(b"wrong 1"), inputs_root=INPUTS_ROOT)
    header_hash = setup.rollup.digest(header)
    right0 = setup.rollup.header(0, 1, 3, output_root=batch0.root(), inputs_root=INPUTS_ROOT)
    signatures = setup.rollup.signatures(header)
    # all in one L1 block: land H at 1, open game 2 on it, lose batch 0 (H goes), void game 2,
    # land batch 0 again and H again at 1 (same header, same index, same time)
    send_many(chain, [
        (setup.rollup.submit_call(header, signatures), 0),
        (setup.open_call(1, header_hash, b"\x21" * 32), setup.bond(1)),
        (game.resolve(1, setup.signer_list()), 0),
        (game.resolve_claim(2, 1, 0), 0), (game.resolve_claim(2, 0, 0), 0),
        (game.resolve(2, []), 0),
        (setup.rollup.submit_call(right0, setup.rollup.signatures(right0)), 0),
        (setup.rollup.submit_call(header, signatures), 0),
    ], attacker)
    inbox = setup.inbox.functions
    assert setup.status(1) == LOST and setup.status(2) == VOID
    assert inbox.batch_hash(1).call() == header_hash
    assert inbox.landings(1).call() == 4, "the fourth acceptance: 0, 1, 0 again, 1 again"
    assert game.game_of_batch(1).call() == 0, "the new landing has no game yet"
    send_one(chain, setup.open_call(1, header_hash, b"\x31" * 32), honest, setup.bond(1))
    assert game.game_of_batch(1).call() == 3
    assert inbox.dispute_status(1).call() == 1


def test_a_sham_game_does_not_shorten_the_window(chain: AnvilChain,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The signers open a game at landing and attack their own sybil: once its clocks ran out
    the root may still be attacked until the window ends, and the root is not resolved before."""
    import tests.l1_dispute.game_setup as game_setup

    monkeypatch.setattr(game_setup, "CHALLENGE_WINDOW", 390)   # window > clock, as deployed
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    sybil, honest = chain.accounts[5], chain.accounts[4]
    header = setup.land(0, 1, 3, keccak(b"wrong"))
    header_hash = setup.rollup.digest(header)
    landed = setup.inbox.functions.landed_at(0).call()
    game = setup.game.functions
    send_one(chain, setup.open_call(0, header_hash, b"\x11" * 32), sybil, setup.bond(1))
    sham = setup.claims(1)[1]
    send_one(chain, game.move(1, header_hash, 1, sham.claim, b"\x12" * 32, True), sybil,
             setup.bond(2))
    chain.increase_time(MAX_CLOCK + 1)
    assert chain.timestamp() < landed + 390
    for index in (2, 1):
        send_one(chain, game.resolve_claim(1, index, 0), chain.accounts[6])
    assert setup.reason(game.resolve_claim(1, 0, 0), honest) == \
        "DisputeGame: the root may be attacked until the batch's challenge window is over"
    root = setup.claims(1)[0]
    send_one(chain, game.move(1, header_hash, 0, root.claim, b"\x21" * 32, True), honest,
             setup.bond(1))
    late = setup.claims(1)[3]
    assert late.clock_duration == 0, "an attack on the root starts its side's clock afresh"
    chain.increase_time(390)
    assert setup.reason(game.move(1, header_hash, 0, root.claim, b"\x22" * 32, True), honest,
                        setup.bond(1)) == "DisputeGame: the batch's challenge window is over"
    chain.increase_time(MAX_CLOCK)
    send_one(chain, game.resolve_claim(1, 3, 0), chain.accounts[6])
    resolve_root = game.resolve_claim(1, 0, 0)
    send_one(chain, resolve_root, chain.accounts[6])
    send_one(chain, game.resolve(1, setup.signer_list()), chain.accounts[6])
    assert setup.status(1) == LOST
    assert setup.inbox.functions.is_output_final(0).call() is False


def test_a_signer_that_could_withdraw_before_the_dispute_ends_is_refused(
        chain: AnvilChain) -> None:
    """Signing right after an unlock is fine (the stake stays past window + longest dispute);
    signing later in the exit, when the stake could leave before a dispute ends, is refused."""
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    pools = setup.rollup.pools
    owners = [pools.account(i + 1) for i in range(3)]
    pool = pools.pool.functions
    assert pool.stake_locked_until(setup.signer_list()[0]).call() == 2**256 - 1, "active"
    for owner in owners:
        chain.send(pool.unlock(), owner)
    unlocked = chain.timestamp()
    assert pool.stake_locked_until(setup.rollup.keys[0].address).call() == \
        pools.sequencer(owners[0].address)["withdrawable_at"]
    assert pool.stake_locked_until(chain.accounts[8].address).call() == 0, "no stake behind it"
    setup.land(0, 1, 3, keccak(b"signed early in the exit"))
    margin = EXIT_DELAY - CHALLENGE_WINDOW - MAX_DISPUTE_DURATION
    chain.increase_time(margin + 1 - (chain.timestamp() - unlocked))
    late = setup.rollup.header(1, 4, 4, output_root=keccak(b"late"), inputs_root=INPUTS_ROOT)
    assert setup.rollup.refusal(late) == (
        "RollupInbox: a signer's stake could be withdrawn before this batch's window and "
        "longest dispute are over (it unlocked too long ago)")
    assert setup.inbox.functions.next_index().call() == 1


def test_a_signed_batch_clears_a_stale_fallback_bond_and_flag(chain: AnvilChain) -> None:
    """A fallback batch removed with a disproved earlier one leaves its bond and flag at its
    index: the signed batch landing there returns the bond to its poster and clears the flag,
    so a later game on the signed batch pays its winner only the bonds of that game."""
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    honest, poster = chain.accounts[4], chain.accounts[8]
    inbox = setup.inbox.functions
    wrong0 = setup.land(0, 1, 3, keccak(b"wrong 0"))
    send_one(chain, setup.open_call(0, setup.rollup.digest(wrong0), b"\x11" * 32), honest,
             setup.bond(1))
    chain.increase_time(SEQUENCER_TIMEOUT)
    fallback = setup.rollup.header(1, 4, 4, output_root=keccak(b"fallback"),
                                   inputs_root=INPUTS_ROOT, producers=(), epoch=setup.rollup.epoch)
    send_one(chain, inbox.submit_fallback_batch(fallback.as_abi_tuple(), PAYLOAD), poster,
             FALLBACK_BOND)
    resolve_unanswered(setup, 1, setup.signer_list())      # removes 0 and the fallback batch 1
    assert inbox.fallback_bonds(1).call()[1] == FALLBACK_BOND
    setup.land(0, 1, 3, setup.toy(0, 3).root())
    before = chain.w3.eth.get_balance(poster.address)
    wrong1 = setup.land(1, 4, 1, keccak(b"wrong 1"))
    assert chain.w3.eth.get_balance(poster.address) == before + FALLBACK_BOND, "bond returned"
    assert inbox.fallback_batches(1).call() is False
    assert inbox.fallback_bonds(1).call()[1] == 0
    send_one(chain, setup.open_call(1, setup.rollup.digest(wrong1), b"\x12" * 32), honest,
             setup.bond(1))
    chain.increase_time(MAX_CLOCK + 1)
    credit_before = setup.game.functions.credit(honest.address).call()
    resolve_unanswered(setup, 2, setup.signer_list())
    assert setup.game.functions.credit(honest.address).call() - credit_before == setup.bond(1)
    assert setup.reason(inbox.reclaim_fallback_bond(1), poster) == \
        "RollupInbox: no bond to reclaim for that batch"


def test_the_inbox_constructor_checks_the_games_duration(chain: AnvilChain) -> None:
    """A game given to the constructor meets the same bound as one named by set_disputes."""
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    pool, queue = setup.pool.address, setup.rollup.queue.address
    long_game = chain.deploy("DisputeGame", chain.accounts[8].address, pool,
                             setup.verifier.address, GENESIS_OUTPUT, 2, 600, CLOCK_EXTENSION,
                             BASE_BOND, BOND_GROWTH_BPS)
    longest = long_game.functions.max_game_duration().call()
    assert longest > MAX_DISPUTE_DURATION
    assert chain.deploy_revert_reason(
        "RollupInbox", pool, queue, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION, long_game.address,
        SEQUENCER_TIMEOUT, FALLBACK_BOND) == \
        f"RollupInbox: the game can last {longest} s, more than max_dispute_duration"
    inbox = chain.deploy("RollupInbox", pool, queue, CHALLENGE_WINDOW, MAX_DISPUTE_DURATION,
                         setup.game.address, SEQUENCER_TIMEOUT, FALLBACK_BOND)
    assert inbox.functions.disputes().call() == setup.game.address


def test_the_game_takes_every_witness_the_verifier_takes(chain: AnvilChain) -> None:
    """MAX_WITNESS stays the verifier's 256 KiB: a transaction-end step under the proposed
    bounds needs 225,824 bytes, so a lower bound would leave its leaf uncounterable; a witness of
    that size reaches the game's own checks, one byte over the bound is refused by its ABI
    decoder."""
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    game, sender = setup.game.functions, chain.accounts[4]
    largest = setup.game.functions.MAX_WITNESS().call()
    assert largest == 262_144 >= 225_824
    assert setup.reason(game.step(1, b"\x00" * 32, 0, True, b"\x01" * largest), sender) == \
        "DisputeGame: no such game"
    with pytest.raises(ContractLogicError):
        game.step(1, b"\x00" * 32, 0, True, b"\x01" * (largest + 1)).call(
            {"from": sender.address})
