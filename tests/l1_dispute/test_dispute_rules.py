"""The game's rules one at a time on anvil: bonds by depth, every refused open, move, step and
resolution (each with its reason), moves bound to the batch header, the clocks and their
extension, resolution in chunks, and the inbox's and pool's new refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import vyper
from eth_utils import keccak
from web3.contract import Contract

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
    DisputeSetup,
    deploy_dispute_setup,
    revert_reason_paying,
    send_many,
    send_one,
)
from .toy_trace import SPLIT_DEPTH, ToyBatch, final_witness, first_state_witness, word

MAX_DEPTH = SPLIT_DEPTH + 1 + 2
ZERO = "0x" + "00" * 20


@pytest.fixture
def setup(chain: AnvilChain) -> DisputeSetup:
    return deploy_dispute_setup(chain, max_step_depth=2)


def landed(setup: DisputeSetup, count: int = 3, wrong_root: bool = True) -> tuple[bytes, ToyBatch]:
    batch = setup.toy(0, count)
    root = keccak(b"wrong") if wrong_root else batch.root()
    header = setup.land(0, 1, count, root)
    return setup.rollup.digest(header), batch


def opened(setup: DisputeSetup, header_hash: bytes, claim: bytes = b"\x11" * 32) -> int:
    send_one(setup.chain, setup.open_call(0, header_hash, claim), setup.chain.accounts[4],
             setup.bond(1))
    return 1


def attack_chain(setup: DisputeSetup, game_id: int, header_hash: bytes, values: list[bytes],
                 parent: int = 1) -> None:
    """Attack claim `parent` and then each new claim in turn with `values` (one player
    countering itself: allowed, and paid for with every bond)."""
    claims = setup.claims(game_id)
    parent_claim = claims[parent]
    calls = []
    index = len(claims)
    position = parent_claim.position
    disputed = parent_claim.claim
    for value in values:
        position *= 2
        calls.append((setup.game.functions.move(game_id, header_hash, parent, disputed, value,
                                                True), setup.bond(position.bit_length() - 1)))
        parent, disputed = index, value
        index += 1
    send_many(setup.chain, calls, setup.chain.accounts[4])


def test_bonds_grow_by_depth_and_must_be_exact(setup: DisputeSetup) -> None:
    expected = BASE_BOND
    for depth in range(1, MAX_DEPTH + 1):
        assert setup.bond(depth) == expected
        expected = expected * BOND_GROWTH_BPS // 10_000
    assert setup.bond(MAX_DEPTH) > 8 * BASE_BOND
    account = setup.chain.accounts[4]
    for depth in (0, MAX_DEPTH + 1):
        assert setup.reason(setup.game.functions.required_bond(depth), account) == \
            "DisputeGame: no claim at that depth"
    header_hash, _ = landed(setup)
    call = setup.open_call(0, header_hash, b"\x11" * 32)
    assert setup.reason(call, account, BASE_BOND - 1) == \
        f"DisputeGame: the bond at this depth is {BASE_BOND} wei"
    assert setup.reason(call, account, BASE_BOND + 1) == \
        f"DisputeGame: the bond at this depth is {BASE_BOND} wei"
    assert int(setup.game.functions.max_game_duration().call()) == \
        2 * MAX_CLOCK + (MAX_DEPTH + 2) * CLOCK_EXTENSION


def test_open_refusals(setup: DisputeSetup) -> None:
    header_hash, _ = landed(setup)
    account = setup.chain.accounts[4]
    bond = setup.bond(1)
    for index, named in ((0, b"\x01" * 32), (1, header_hash)):
        assert setup.reason(setup.open_call(index, named, b"\x11" * 32), account, bond) == \
            "DisputeGame: no batch with that header at that index"
    opened(setup, header_hash)
    assert setup.reason(setup.open_call(0, header_hash, b"\x12" * 32), account, bond) == \
        "DisputeGame: that batch is already disputed in game 1"
    later = setup.land(1, 4, 1, b"\x44" * 32)
    setup.chain.increase_time(CHALLENGE_WINDOW)
    assert setup.reason(setup.open_call(1, setup.rollup.digest(later), b"\x11" * 32), account,
                        bond) == "DisputeGame: the batch's challenge window is over"


def test_move_refusals_and_the_header_binding(setup: DisputeSetup) -> None:
    header_hash, _ = landed(setup)
    game_id = opened(setup, header_hash)
    game, account = setup.game.functions, setup.chain.accounts[5]
    first = setup.claims(game_id)[1]
    bond2 = setup.bond(2)

    def reason(gid: int, named: bytes, parent: int, disputed: bytes, claim: bytes,
               attack: bool, value: int = bond2) -> str:
        return setup.reason(game.move(gid, named, parent, disputed, claim, attack), account,
                            value)

    assert reason(9, header_hash, 1, first.claim, b"\x22" * 32, True) == \
        "DisputeGame: no such game"
    assert reason(game_id, b"\x02" * 32, 1, first.claim, b"\x22" * 32, True) == \
        "DisputeGame: the move names another batch header than the game's"
    assert reason(game_id, header_hash, 7, first.claim, b"\x22" * 32, True) == \
        "DisputeGame: no such claim"
    assert reason(game_id, header_hash, 1, b"\x99" * 32, b"\x22" * 32, True) == \
        "DisputeGame: the disputed claim differs"
    root = setup.claims(game_id)[0]
    assert reason(game_id, header_hash, 0, root.claim, b"\x22" * 32, False, setup.bond(1)) == \
        "DisputeGame: the root claim can only be attacked"
    send_one(setup.chain, game.move(game_id, header_hash, 1, first.claim, b"\x22" * 32, True),
             account, bond2)
    assert reason(game_id, header_hash, 1, first.claim, b"\x22" * 32, True) == \
        "DisputeGame: the same claim is already made there"

    # down the attack path to the split: claims 2 .. 9 at depths 2 .. 9, claim 9 at position 512
    attack_chain(setup, game_id, header_hash, [bytes([0x30 + d]) * 32 for d in range(3, 10)],
                 parent=2)
    claims = setup.claims(game_id)
    at9 = claims[-1]
    assert at9.position == 512
    bond10, bond11 = setup.bond(10), setup.bond(11)
    # defend 512 -> 1026 (depth 10); then its step subgame roots
    send_one(setup.chain, game.move(game_id, header_hash, at9.index, at9.claim, b"\x3a" * 32,
                                    False), account, bond10)
    at10 = setup.claims(game_id)[-1]
    assert at10.position == 1026
    # attacking an output: the subgame root must not be the output's final state
    assert reason(game_id, header_hash, at10.index, at10.claim,
                  keccak(word(6) + at10.claim), True, bond11) == \
        "DisputeGame: a step subgame root attacking an output must not end in it"
    # defending 1026 disputes the output at the next leaf: its trace ancestor 256 (depth 8,
    # the output side's own claim), so the root must not end in it
    at8 = next(claim for claim in claims if claim.position == 256)
    assert reason(game_id, header_hash, at10.index, at10.claim, keccak(word(6) + at8.claim),
                  False, bond11) == \
        "DisputeGame: a step subgame root disputing an output must not end in it"
    # attack 512 -> 1024 (depth 10); defending it disputes 1025, whose ancestor is 512 (the
    # mover's own side): the subgame root must end in that output
    send_one(setup.chain, game.move(game_id, header_hash, at9.index, at9.claim, b"\x3b" * 32,
                                    True), account, bond10)
    at1024 = setup.claims(game_id)[-1]
    assert reason(game_id, header_hash, at1024.index, at1024.claim, b"\x3c" * 32, False,
                  bond11) == \
        "DisputeGame: a step subgame root agreeing with an output must end in it"
    send_one(setup.chain, game.move(game_id, header_hash, at1024.index, at1024.claim,
                                    keccak(word(6) + at9.claim), False), account, bond11)
    sub_root = setup.claims(game_id)[-1]
    assert reason(game_id, header_hash, sub_root.index, sub_root.claim, b"\x3d" * 32, False,
                  setup.bond(12)) == "DisputeGame: a step subgame's root can only be attacked"
    attack_chain(setup, game_id, header_hash, [b"\x3e" * 32, b"\x3f" * 32],
                 parent=sub_root.index)
    leaf = setup.claims(game_id)[-1]
    assert leaf.position.bit_length() - 1 == MAX_DEPTH
    assert reason(game_id, header_hash, leaf.index, leaf.claim, b"\x40" * 32, True,
                  setup.bond(MAX_DEPTH)) == \
        "DisputeGame: a claim at the max depth is countered by step"


def test_step_refusals_and_a_valid_step(setup: DisputeSetup) -> None:
    header_hash, batch = landed(setup)
    game_id = opened(setup, header_hash, batch.truth(2))
    game, account = setup.game.functions, setup.chain.accounts[5]
    # honest values down to depth 9, a wrong output at 1024, then the true trace of block 0
    values = [batch.truth(1 << depth) for depth in range(2, 10)] + [b"\x5a" * 32]
    values += [batch.truth(1 << depth) for depth in range(11, MAX_DEPTH + 1)]
    attack_chain(setup, game_id, header_hash, values)
    claims = setup.claims(game_id)
    leaf = claims[-1]
    assert leaf.position == 1 << MAX_DEPTH
    first = first_state_witness(GENESIS_OUTPUT, INPUTS_ROOT, 0)
    assert setup.reason(game.step(game_id, header_hash, leaf.index - 1, True, first),
                        account) == \
        "DisputeGame: only a claim at the max depth is countered by step"
    assert setup.reason(game.step(game_id, header_hash, leaf.index, True, b"\x00" * 64),
                        account) == "CountingStepVerifier: witness does not match the pre-state"
    assert setup.reason(game.step(game_id, header_hash, leaf.index, True, first), account) == \
        "DisputeGame: the step does not counter the claim"
    # a wrong sibling of the leaf: the step from the first state disproves it
    parent = claims[-2]
    send_one(setup.chain, game.move(game_id, header_hash, parent.index, parent.claim,
                                    b"\x6b" * 32, True), account, setup.bond(MAX_DEPTH))
    wrong_leaf = setup.claims(game_id)[-1]
    receipt = send_one(setup.chain, game.step(game_id, header_hash, wrong_leaf.index, True,
                                              first), account)
    assert setup.claims(game_id)[-1].countered_by == account.address
    # about 600k of it is memory for the 256 KiB witness bound, in the game and the verifier
    assert receipt["gasUsed"] < 1_500_000
    assert setup.reason(game.step(game_id, header_hash, wrong_leaf.index, True, first),
                        account) == "DisputeGame: the claim is already stepped on"
    # a defence step on the right leaf: it attacked its parent (s_2, the other side), and s_1
    # steps to s_2, so the parent was right and the leaf's attack on it is countered
    s1 = batch.state_witness(0, 1)
    send_one(setup.chain, game.step(game_id, header_hash, leaf.index, False, s1), account)
    assert setup.claims(game_id)[leaf.index].countered_by == account.address
    assert keccak(final_witness(b"\x00" * 32)) != leaf.claim


def test_clocks_run_out_and_extend(setup: DisputeSetup) -> None:
    header_hash, _ = landed(setup)
    game_id = opened(setup, header_hash)
    game, defender = setup.game.functions, setup.chain.accounts[5]
    first = setup.claims(game_id)[1]
    setup.chain.increase_time(MAX_CLOCK - 5)
    # less than the extension left: the answer's clock is set back to MAX_CLOCK - extension
    send_one(setup.chain, game.move(game_id, header_hash, 1, first.claim, b"\x22" * 32, True),
             defender, setup.bond(2))
    answer = setup.claims(game_id)[2]
    assert answer.clock_duration == MAX_CLOCK - CLOCK_EXTENSION
    assert setup.reason(game.resolve_claim(game_id, 2, 0), defender) == \
        "DisputeGame: the clock to counter that claim has not run out"
    setup.chain.increase_time(MAX_CLOCK + 1)
    assert int(game.challenger_duration(game_id, 2).call()) == MAX_CLOCK
    assert setup.reason(game.move(game_id, header_hash, 2, answer.claim, b"\x23" * 32, True),
                        setup.chain.accounts[4], setup.bond(3)) == \
        "DisputeGame: the clock to counter that claim ran out"
    # and the defender's extended clock on claim 1's other counters ran out too
    assert setup.reason(game.move(game_id, header_hash, 1, first.claim, b"\x24" * 32, True),
                        defender, setup.bond(2)) == \
        "DisputeGame: the clock to counter that claim ran out"


def test_resolution_in_chunks_and_its_refusals(setup: DisputeSetup) -> None:
    header_hash, _ = landed(setup)
    game_id = opened(setup, header_hash)
    game, chain = setup.game.functions, setup.chain
    root = setup.claims(game_id)[0]
    for number, account in enumerate(chain.accounts[5:9]):
        send_one(chain, game.move(game_id, header_hash, 0, root.claim,
                                  bytes([0x70 + number]) * 32, True), account, setup.bond(1))
    # claim 1 (the opener's) is countered: its subgame is lost, the others stand
    first = setup.claims(game_id)[1]
    send_one(chain, game.move(game_id, header_hash, 1, first.claim, b"\x7f" * 32, True),
             chain.accounts[9], setup.bond(2))
    resolver = chain.accounts[6]
    assert setup.reason(game.resolve(game_id, []), resolver) == \
        "DisputeGame: the root claim is not resolved yet"
    chain.increase_time(MAX_CLOCK + 1)
    assert setup.reason(game.resolve_claim(game_id, 0, 0), resolver) == \
        "DisputeGame: resolve the claim's children first"
    assert setup.reason(game.resolve_claim(9, 0, 0), resolver) == "DisputeGame: no such game"
    assert setup.reason(game.resolve_claim(game_id, 40, 0), resolver) == \
        "DisputeGame: no such claim"
    for index in (6, 1, 2, 3, 4, 5):
        send_one(chain, game.resolve_claim(game_id, index, 0), resolver)
    assert setup.reason(game.resolve_claim(game_id, 1, 0), resolver) == \
        "DisputeGame: the claim is already resolved"
    gas = []
    for expected_cursor in (2, 4):
        receipt = send_one(chain, game.resolve_claim(game_id, 0, 2), resolver)
        gas.append(receipt["gasUsed"])
        assert game.checkpoints(game_id, 0).call()[1] == expected_cursor
        assert game.resolved(game_id, 0).call() is False
    send_one(chain, game.resolve_claim(game_id, 0, 2), resolver)
    assert game.resolved(game_id, 0).call() is True
    # the leftmost uncountered child (claim 2, position 2, made first) wins the root
    assert setup.claims(game_id, fresh=True)[0].countered_by == chain.accounts[5].address
    assert setup.reason(game.resolve(game_id, setup.signer_list((0, 1))), resolver) == \
        "DisputeGame: the signer list is not the batch's"
    assert setup.reason(game.resolve(9, []), resolver) == "DisputeGame: no such game"
    send_one(chain, game.resolve(game_id, setup.signer_list()), resolver)
    assert setup.status(game_id) == LOST
    assert setup.reason(game.resolve(game_id, []), resolver) == "DisputeGame: the game is resolved"
    assert setup.reason(game.resolve_claim(game_id, 0, 0), resolver) == \
        "DisputeGame: the game is resolved"
    assert setup.reason(game.move(game_id, header_hash, 0, root.claim, b"\x01" * 32, True),
                        resolver, setup.bond(1)) == "DisputeGame: the game is resolved"
    # each child claimant of the root got its bond back, the opener lost its bond to claim 6
    for account in chain.accounts[7:9]:
        assert game.credit(account.address).call() == setup.bond(1)
    assert game.credit(chain.accounts[4].address).call() == 0
    assert game.credit(chain.accounts[9].address).call() == setup.bond(1) + setup.bond(2)
    assert game.credit(chain.accounts[5].address).call() == setup.bond(1)
    assert max(gas) < 250_000


def test_a_signer_that_starts_its_exit_is_still_slashed(setup: DisputeSetup) -> None:
    header_hash, _ = landed(setup)
    pools, chain = setup.rollup.pools, setup.chain
    owner = pools.account(1)
    stake = pools.sequencer(owner.address)["amount"]
    chain.send(pools.pool.functions.unlock(), owner)
    game_id = opened(setup, header_hash)
    chain.increase_time(MAX_CLOCK + 1)
    pools.advance_epoch()
    assert chain.revert_reason(pools.pool.functions.withdraw(), owner) == \
        "LockingPool: exit delay not over"
    send_one(chain, setup.game.functions.resolve_claim(game_id, 1, 0), chain.accounts[6])
    send_one(chain, setup.game.functions.resolve_claim(game_id, 0, 0), chain.accounts[6])
    receipt = send_one(chain, setup.game.functions.resolve(game_id, setup.signer_list()),
                       chain.accounts[6])
    assert receipt["gasUsed"] < 400_000
    assert pools.sequencer(owner.address)["amount"] == stake // 2
    chain.increase_time(EXIT_DELAY)
    pools.advance_epoch()
    before = pools.token.functions.balanceOf(owner.address).call()
    chain.send(pools.pool.functions.withdraw(), owner)
    assert pools.token.functions.balanceOf(owner.address).call() == before + stake // 2


def test_a_disproved_fallback_batch_pays_its_bond_to_the_winner(setup: DisputeSetup) -> None:
    chain, poster = setup.chain, setup.rollup.poster
    chain.increase_time(SEQUENCER_TIMEOUT)
    inbox = setup.inbox.functions

    def fallback(index: int, first: int, last: int, root: bytes) -> bytes:
        header = setup.rollup.header(index, first, last, output_root=root,
                                     inputs_root=INPUTS_ROOT, producers=(), epoch=0)
        send_one(chain, inbox.submit_fallback_batch(header.as_abi_tuple(), PAYLOAD), poster,
                 FALLBACK_BOND)
        return setup.rollup.digest(header)

    too_long = setup.rollup.header(0, 1, 1025, inputs_root=INPUTS_ROOT, producers=(), epoch=0)
    assert revert_reason_paying(chain, inbox.submit_fallback_batch(too_long.as_abi_tuple(),
                                                                   PAYLOAD),
                                poster, FALLBACK_BOND) == \
        "RollupInbox: a batch carries at most 1024 blocks"
    header_hash = fallback(0, 1, 2, keccak(b"fallback"))
    fallback(1, 3, 3, keccak(b"later 1"))
    fallback(2, 4, 4, keccak(b"later 2"))
    game_id = opened(setup, header_hash)
    chain.increase_time(MAX_CLOCK + 1)
    for index in (1, 0):
        send_one(chain, setup.game.functions.resolve_claim(game_id, index, 0), chain.accounts[6])
    send_one(chain, setup.game.functions.resolve(game_id, []), chain.accounts[6])
    winner = chain.accounts[4].address
    assert setup.game.functions.credit(winner).call() == FALLBACK_BOND + setup.bond(1)
    assert setup.reason(inbox.reclaim_fallback_bond(0), poster) == \
        "RollupInbox: no bond to reclaim for that batch"
    # the later fallback batches were removed, not judged: their bonds go back to the poster,
    # by reclaim or when a new fallback batch takes the index
    assert chain.w3.eth.get_balance(setup.inbox.address) == 2 * FALLBACK_BOND
    send_one(chain, inbox.reclaim_fallback_bond(1), poster)
    assert chain.w3.eth.get_balance(setup.inbox.address) == FALLBACK_BOND
    fallback(0, 1, 2, keccak(b"again 0"))
    fallback(1, 3, 3, keccak(b"again 1"))
    fallback(2, 4, 4, keccak(b"again 2"))
    assert chain.w3.eth.get_balance(setup.inbox.address) == 3 * FALLBACK_BOND
    with pytest.raises(Exception, match="only the inbox sends ETH"):
        chain.w3.eth.call({"from": chain.accounts[6].address, "to": setup.game.address,
                           "value": 1})  # type: ignore[typeddict-item]


def test_inbox_and_pool_refusals(setup: DisputeSetup) -> None:
    chain, inbox, pool = setup.chain, setup.inbox.functions, setup.pool.functions
    owner, stranger = setup.rollup.pools.owner, chain.accounts[6]
    game = setup.game.address
    assert chain.revert_reason(inbox.set_disputes(game), stranger) == \
        "RollupInbox: only the deployer names the dispute game"
    assert chain.revert_reason(inbox.set_disputes(game), owner) == \
        "RollupInbox: dispute game already set"
    assert chain.revert_reason(inbox.remove_batches(0, b"\x00" * 32), stranger) == \
        "RollupInbox: only the dispute game removes batches"
    assert chain.revert_reason(pool.slash_signers([stranger.address]), stranger) == \
        "LockingPool: only the dispute game slashes signers"
    assert chain.revert_reason(pool.set_dispute_game(game, 5000), stranger) == \
        "LockingPool: caller is not the owner"
    assert chain.revert_reason(pool.set_dispute_game(game, 5000), owner) == \
        "LockingPool: dispute game already set"
    header = setup.rollup.header(0, 1, 1025, inputs_root=INPUTS_ROOT)
    assert setup.rollup.refusal(header) == "RollupInbox: a batch carries at most 1024 blocks"
    setup.land(0, 1, 1024, b"\x55" * 32)
    assert inbox.batch_block_count(0).call() == 1024
    assert chain.revert_reason(inbox.batch_block_count(1), stranger) == \
        "RollupInbox: batch has not landed"

    # a fresh inbox and pool: the zero address, too long a game, a bad share
    fresh = deploy_dispute_setup(chain, max_step_depth=2)
    fresh_inbox = chain.deploy("RollupInbox", fresh.pool.address,
                               fresh.rollup.queue.address, CHALLENGE_WINDOW, 10, ZERO, 600,
                               FALLBACK_BOND, sender=owner)
    assert chain.revert_reason(fresh_inbox.functions.set_disputes(ZERO), owner) == \
        "RollupInbox: dispute game is the zero address"
    assert chain.revert_reason(fresh_inbox.functions.set_disputes(game), owner) == \
        f"RollupInbox: the game can last {2 * MAX_CLOCK + 15 * CLOCK_EXTENSION} s, more than " \
        "max_dispute_duration"
    remover = deploy_remover(chain)
    chain.send(fresh_inbox.functions.set_disputes(remover.address), owner)
    assert chain.revert_reason(remover.functions.remove(fresh_inbox.address, 0, b"\x00" * 32),
                               stranger) == "RollupInbox: no batch with that header at that index"
    other_pool = chain.deploy("LockingPool", *fresh_pool_args(setup), sender=owner)
    assert chain.revert_reason(other_pool.functions.set_dispute_game(ZERO, 5000), owner) == \
        "LockingPool: dispute game is the zero address"
    for share in (0, 10_001):
        assert chain.revert_reason(other_pool.functions.set_dispute_game(game, share), owner) == \
            "LockingPool: dispute slash share must be 1..10000 bps"


def deploy_remover(chain: AnvilChain) -> Contract:
    source = Path(__file__).with_name("RemoverDouble.vy").read_text()
    out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    return chain.deploy_code(out["abi"], bytes.fromhex(out["bytecode"][2:]))


def fresh_pool_args(setup: DisputeSetup) -> list[object]:
    from tests.l1_contracts.pool_deployment import PoolParameters

    return PoolParameters().constructor_args(setup.rollup.pools.token.address)


def test_a_credit_that_cannot_be_paid_stays_owed(setup: DisputeSetup) -> None:
    header_hash, _ = landed(setup)
    chain, game = setup.chain, setup.game.functions
    source = Path(__file__).with_name("RejectingPlayer.vy").read_text()
    out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    player = chain.deploy_code(out["abi"], bytes.fromhex(out["bytecode"][2:]))
    send_one(chain, player.functions.open(setup.game.address, 0, header_hash, b"\x11" * 32),
             chain.accounts[4], setup.bond(1))
    chain.increase_time(MAX_CLOCK + 1)
    for index in (1, 0):
        send_one(chain, game.resolve_claim(1, index, 0), chain.accounts[6])
    send_one(chain, game.resolve(1, setup.signer_list()), chain.accounts[6])
    assert game.credit(player.address).call() == setup.bond(1)
    tokens = game.token_credit(player.address).call()
    assert tokens > 0
    # what can be paid is paid (the tokens); the ETH the player refuses stays owed (audit 8)
    send_one(chain, game.claim_credit(player.address), chain.accounts[6])
    assert setup.rollup.pools.token.functions.balanceOf(player.address).call() == tokens
    assert game.token_credit(player.address).call() == 0
    assert game.credit(player.address).call() == setup.bond(1)
    assert setup.reason(game.claim_credit(player.address), chain.accounts[6]) == \
        "DisputeGame: ETH transfer failed"
    assert game.credit(player.address).call() == setup.bond(1)


def test_a_game_whose_batch_left_the_inbox_is_void(setup: DisputeSetup) -> None:
    """Batch 1 is disputed while batch 0 is; batch 0 loses, which removes batch 1: its game
    can take no more moves, returns every bond to its claimant and decides nothing; the same
    header landing again is a new landing with no game."""
    chain, game = setup.chain, setup.game.functions
    header_hash, batch = landed(setup)
    opened(setup, header_hash)
    later = setup.land(1, 4, 2, b"\x81" * 32)
    later_hash = setup.rollup.digest(later)
    griefer, answer = chain.accounts[7], chain.accounts[8]
    send_one(chain, setup.open_call(1, later_hash, b"\x82" * 32), griefer, setup.bond(1))
    assert game.game_of_batch(1).call() == 2
    opener = setup.claims(2)[1]
    send_one(chain, game.move(2, later_hash, 1, opener.claim, b"\x83" * 32, True), answer,
             setup.bond(2))
    chain.increase_time(MAX_CLOCK + 1)
    for index in (1, 0):
        send_one(chain, game.resolve_claim(1, index, 0), chain.accounts[6])
    send_one(chain, game.resolve(1, setup.signer_list()), chain.accounts[6])
    assert setup.inbox.functions.next_index().call() == 0

    claim = setup.claims(2)[2]
    assert setup.reason(game.move(2, later_hash, 2, claim.claim, b"\x84" * 32, True), griefer,
                        setup.bond(3)) == "DisputeGame: the game's batch is no longer in the inbox"
    send_one(chain, game.resolve_claim(2, 1, 0), chain.accounts[6])  # any order: nothing
    # resolve() may come first: the claims nobody resolved yet are still refunded after it.
    send_one(chain, game.resolve(2, []), chain.accounts[6])
    assert setup.status(2) == 4
    for index in (2, 0):
        send_one(chain, game.resolve_claim(2, index, 0), chain.accounts[6])
    assert game.credit(griefer.address).call() == setup.bond(1)
    assert game.credit(answer.address).call() == setup.bond(2)
    assert setup.reason(game.resolve_claim(2, 0, 0), griefer, 0) == \
        "DisputeGame: the claim is already resolved"

    # batch 0 lands right, then the old header of batch 1 again: a new landing, no game yet
    setup.land(0, 1, 3, batch.root())
    setup.rollup.submit(later)
    assert setup.inbox.functions.batch_hash(1).call() == later_hash
    assert game.game_of_batch(1).call() == 0
    assert setup.inbox.functions.dispute_status(1).call() == 0
    send_one(chain, setup.open_call(1, later_hash, b"\x82" * 32), griefer, setup.bond(1))
    assert game.game_of_batch(1).call() == 3


def test_a_lost_batch_rewinds_the_forced_queue_position_and_the_epoch(
        setup: DisputeSetup) -> None:
    chain, inbox = setup.chain, setup.inbox.functions
    rollup = setup.rollup
    first_epoch = rollup.epoch
    rollup.submit(rollup.header(0, 1, 2, output_root=b"\x91" * 32, inputs_root=INPUTS_ROOT))
    rollup.enqueue()
    rollup.pools.advance_epoch()
    later_epoch = int(rollup.pools.pool.functions.current_epoch().call())
    header = rollup.header(1, 3, 4, output_root=b"\x92" * 32, inputs_root=INPUTS_ROOT,
                           forced_through=1, epoch=later_epoch)
    rollup.submit(header)
    assert (inbox.forced_through().call(), inbox.last_epoch().call()) == (1, later_epoch)
    game_id = 1
    send_one(chain, setup.open_call(1, rollup.digest(header), b"\x93" * 32), chain.accounts[4],
             setup.bond(1))
    chain.increase_time(MAX_CLOCK + 1)
    for index in (1, 0):
        send_one(chain, setup.game.functions.resolve_claim(game_id, index, 0), chain.accounts[6])
    send_one(chain, setup.game.functions.resolve(game_id, setup.signer_list()),
             chain.accounts[6])
    assert (inbox.next_index().call(), inbox.last_block().call()) == (1, 2)
    assert (inbox.forced_through().call(), inbox.last_epoch().call()) == (0, first_epoch)
    assert first_epoch != later_epoch
