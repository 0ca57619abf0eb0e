"""The dispute game end to end on anvil: a wrong root loses against one honest player whatever
a colluding opponent plays (its signers slashed, it and every later batch removed, the header
never accepted again, a withdrawal proved against it never paid), and a griefer against a right
root loses its bond to the defender."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_inbox.rollup_setup import FORCED_FEE, STAKES, send_paying
from tests.l1_portal.storage_tries import StorageTrie, Withdrawal, output_proof, output_root

from .game_setup import (
    CHALLENGE_WINDOW,
    DEFENDED,
    DISPUTE_SLASH_BPS,
    LOST,
    MAX_CLOCK,
    NONE,
    DisputeSetup,
    deploy_dispute_setup,
    send_many,
    send_one,
)
from .players import (
    Honest,
    Opponent,
    Strategy,
    attack_right,
    attack_wrong,
    defend_right,
    defend_wrong,
    every_counter,
    play,
    resolve_all,
    wrong,
)
from .toy_trace import ToyBatch

ZERO = "0x" + "00" * 20


def open_game(setup: DisputeSetup, index: int, header_hash: bytes, claim: bytes,
              challenger: LocalAccount) -> int:
    send_one(setup.chain, setup.open_call(index, header_hash, claim), challenger, setup.bond(1))
    return int(setup.game.functions.game_of_batch(index).call())


def settle(setup: DisputeSetup, game_id: int, signers: list[str]) -> int:
    """Let every clock run out, resolve every claim, then the game."""
    setup.chain.increase_time(MAX_CLOCK + 1)
    resolve_all(setup, game_id, setup.chain.accounts[6])
    send_one(setup.chain, setup.game.functions.resolve(game_id, signers), setup.chain.accounts[6])
    return setup.status(game_id)


@pytest.mark.parametrize("strategy", [attack_wrong, defend_wrong, attack_right, defend_right,
                                      every_counter],
                         ids=lambda strategy: strategy.__name__)
def test_a_wrong_root_loses_to_one_honest_player(chain: AnvilChain, strategy: Strategy) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=3)
    honest_account, colluder = chain.accounts[4], chain.accounts[5]
    first = setup.toy(0, 3)
    setup.land(0, 1, 3, first.root())
    batch = setup.toy(1, 5)
    header = setup.land(1, 4, 5, wrong(batch.root(), 99))
    header_hash = setup.rollup.digest(header)
    setup.land(2, 9, 2, b"\x77" * 32)  # lands during the dispute: removed with batch 1

    game_id = open_game(setup, 1, header_hash, batch.truth(2), honest_account)
    assert setup.inbox.functions.dispute_status(1).call() == 1
    honest = Honest(setup, batch, honest_account, game_id, header_hash)
    opponent = Opponent(setup, batch, colluder, honest_account, game_id, header_hash, strategy)
    claims = play(setup, honest, opponent)
    steps = sum(1 for claim in setup.claims(game_id) if claim.countered_by != ZERO)
    print(f"{strategy.__name__}: {claims} claims, {steps} steps")
    assert claims > 10
    bonds = chain.w3.eth.get_balance(setup.game.address)
    signers = setup.signer_list()
    assert settle(setup, game_id, signers) == LOST

    inbox = setup.inbox.functions
    assert inbox.next_index().call() == 1, "batch 1 and the later batch 2 are removed"
    assert inbox.last_block().call() == 3
    assert inbox.output_roots(1).call() == bytes(32)
    assert chain.revert_reason(inbox.dispute_status(1), honest_account) == \
        "RollupInbox: batch has not landed"
    assert inbox.is_output_final(2).call() is False
    # every signer of the header loses the share; the one that did not sign keeps its stake
    pools = setup.rollup.pools
    slashed = 0
    for index, stake in enumerate(STAKES):
        record = pools.sequencer(pools.account(index + 1).address)
        if index < 3:
            assert record["amount"] == stake - stake * DISPUTE_SLASH_BPS // 10_000
            assert record["status"] == 2, "a slashed signer is made to exit"
            slashed += stake * DISPUTE_SLASH_BPS // 10_000
        else:
            assert record["amount"] == stake
    # the honest player is owed every bond and the slashed stake; the colluder nothing
    game = setup.game.functions
    assert game.credit(colluder.address).call() == 0
    assert game.credit(honest_account.address).call() == bonds
    assert game.token_credit(honest_account.address).call() == slashed
    before = chain.w3.eth.get_balance(honest_account.address)
    receipt = send_one(chain, game.claim_credit(honest_account.address), chain.accounts[6])
    assert chain.w3.eth.get_balance(honest_account.address) == before + bonds
    assert pools.token.functions.balanceOf(honest_account.address).call() == slashed
    assert receipt["gasUsed"] < 120_000
    assert chain.revert_reason(game.claim_credit(honest_account.address), colluder) == \
        "DisputeGame: no credit for that recipient"

    # the disproved header can never land again; the right batch 1 can
    assert setup.rollup.refusal(header) == "RollupInbox: that header's output root was disproved"
    again = setup.land(1, 4, 5, batch.root())
    assert inbox.dispute_status(1).call() == NONE
    assert setup.rollup.digest(again) != header_hash


def test_a_withdrawal_proved_against_a_disproved_root_never_pays(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    honest_account, user = chain.accounts[4], chain.accounts[5]
    withdrawal = Withdrawal(1, user.address, user.address, 10**18, 100_000)
    trie = StorageTrie.of([withdrawal])
    proof = output_proof(trie.root)
    forged = output_root(proof[1], proof[2], proof[3], proof[0])
    batch = setup.toy(0, 4)
    header = setup.land(0, 1, 4, forged)
    portal = setup.portal.functions
    send_one(chain, portal.prove_withdrawal(withdrawal.as_tuple(), 0, proof,
                                            trie.proof(withdrawal)), user)
    header_hash = setup.rollup.digest(header)
    game_id = open_game(setup, 0, header_hash, batch.truth(2), honest_account)
    honest = Honest(setup, batch, honest_account, game_id, header_hash)
    opponent = Opponent(setup, batch, chain.accounts[3], honest_account, game_id, header_hash,
                        attack_wrong)
    play(setup, honest, opponent)
    assert settle(setup, game_id, setup.signer_list()) == LOST
    send_paying(chain, setup.rollup.queue.functions.deposit(user.address), user,
                2 * 10**18 + FORCED_FEE)
    chain.increase_time(CHALLENGE_WINDOW + 1)
    finalize = portal.finalize_withdrawal(withdrawal.as_tuple())
    assert chain.revert_reason(finalize, user) == \
        "WithdrawalPortal: output was removed; prove the withdrawal again"
    # the right batch 0 lands in its place: the proof against the forged root still never pays
    setup.land(0, 1, 4, batch.root())
    chain.increase_time(CHALLENGE_WINDOW + 1)
    assert setup.inbox.functions.is_output_final(0).call() is True
    assert chain.revert_reason(finalize, user) == \
        "WithdrawalPortal: output was removed; prove the withdrawal again"
    assert chain.w3.eth.get_balance(setup.portal.address) == 2 * 10**18


def test_a_griefer_against_a_right_root_loses_its_bond(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    defender, griefer = chain.accounts[4], chain.accounts[5]
    batch = setup.toy(0, 6)
    header = setup.land(0, 1, 6, batch.root())
    header_hash = setup.rollup.digest(header)
    game_id = open_game(setup, 0, header_hash, wrong(batch.truth(2), 5), griefer)
    honest = Honest(setup, batch, defender, game_id, header_hash)
    opponent = Opponent(setup, batch, griefer, defender, game_id, header_hash, attack_wrong)
    play(setup, honest, opponent)
    steps = [claim for claim in setup.claims(game_id) if claim.countered_by != ZERO]
    assert steps, "the defender won at a leaf by a step"
    bonds = chain.w3.eth.get_balance(setup.game.address)
    assert settle(setup, game_id, []) == DEFENDED
    assert setup.inbox.functions.dispute_status(0).call() == DEFENDED
    game = setup.game.functions
    assert game.credit(griefer.address).call() == 0
    assert game.credit(defender.address).call() == bonds
    chain.increase_time(CHALLENGE_WINDOW)
    assert setup.inbox.functions.is_output_final(0).call() is True
    pools = setup.rollup.pools
    for index, stake in enumerate(STAKES):
        assert pools.sequencer(pools.account(index + 1).address)["amount"] == stake


def test_a_root_of_one_block_more_loses_at_the_padding(chain: AnvilChain) -> None:
    """Players disagreeing on the trace length: the signers' root is the output after a block
    the batch does not carry. Both sides play by their own view; the dispute narrows to the
    first position past the batch's last block, whose trace starts in the final state of the
    last block's output (nothing to run), and the honest step from it wins."""
    setup = deploy_dispute_setup(chain, max_step_depth=3)
    honest_account, believer = chain.accounts[4], chain.accounts[5]
    batch = setup.toy(0, 4)
    longer = ToyBatch(batch.start, batch.inputs_root, 5, batch.max_step_depth)
    header = setup.land(0, 1, 4, longer.root())
    header_hash = setup.rollup.digest(header)
    game_id = open_game(setup, 0, header_hash, batch.truth(2), honest_account)
    honest = Honest(setup, batch, honest_account, game_id, header_hash)
    other_view = Honest(setup, longer, believer, game_id, header_hash)
    for _ in range(60):
        moves = honest.moves(setup.claims(game_id))
        send_many(chain, moves, honest_account)
        answers = other_view.moves(setup.claims(game_id))
        send_many(chain, answers, believer)
        if not moves and not answers:
            break
    claims = setup.claims(game_id)
    leaves = [claim for claim in claims if claim.position.bit_length() - 1 == batch.max_depth]
    assert any(claim.countered_by == honest_account.address for claim in leaves)
    disputed_blocks = {batch.block_of(claim.position) for claim in leaves}
    assert disputed_blocks == {4}, "the first position past the batch's 4 blocks"
    assert settle(setup, game_id, setup.signer_list()) == LOST
    assert setup.game.functions.credit(believer.address).call() == 0
