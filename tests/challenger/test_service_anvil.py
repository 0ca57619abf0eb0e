"""The challenger service alone against colluders and griefers on anvil, with the real
DisputeGame, inbox and pool of tests/l1_dispute (its toy step verifier decides steps): it
opens the game against a wrong root and wins it, defends a right root, steps at the max depth,
survives a restart mid-game, resolves and claims its credit; without a step tracer it still
wins a game the opponent abandons, and says loudly what it cannot answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

from eth_account.signers.local import LocalAccount as Web3Account

from ordo.challenger.l1_game import DisputeChain
from ordo.challenger.service import ChallengerService
from ordo.challenger.solver import Move, Open
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_dispute.game_setup import (
    CHALLENGE_WINDOW,
    DEFENDED,
    DISPUTE_SLASH_BPS,
    LOST,
    MAX_CLOCK,
    ClaimView,
    DisputeSetup,
    deploy_dispute_setup,
    send_many,
    send_one,
)
from tests.l1_dispute.players import Opponent, Strategy, attack_wrong, every_counter, wrong
from tests.l1_dispute.toy_trace import SPLIT_DEPTH, ToyBatch, depth
from tests.l1_inbox.rollup_setup import STAKES

from .status_checks import dispute_row, dispute_samples, l1_status_of
from .toy_source import ToyTraceSource

HONEST_KEY_INDEX = 4


def report_gas(game: str, service: ChallengerService) -> None:
    """The honest side's whole game, for docs/challenger.md (pytest -s shows it)."""
    print(f"\n{game}: {dict(service.state.sent)} in {service.state.gas_used} L1 gas")
    assert service.state.gas_used > 0


def output_half(strategy: Strategy) -> Strategy:
    """``strategy`` on output claims only: the opponent stops at the split depth."""
    def play(claim: ClaimView, batch: ToyBatch) -> Iterable[tuple[bool, bytes]]:
        if depth(claim.position) >= SPLIT_DEPTH:
            return ()
        return strategy(claim, batch)
    return play


@asynccontextmanager
async def challenger(chain: AnvilChain, setup: DisputeSetup, source: ToyTraceSource,
                     key_index: int = HONEST_KEY_INDEX) -> AsyncIterator[ChallengerService]:
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    async with L1Client(url) as client:
        key = bytes(chain.accounts[key_index].key)
        dispute_chain = DisputeChain(client, bytes.fromhex(setup.inbox.address[2:]))
        yield ChallengerService(dispute_chain, LocalAccount(client, key), source, interval=0)


async def play_out(setup: DisputeSetup, service: ChallengerService,
                   opponent_of: Callable[[int], Opponent | None], rounds: int = 40) -> int:
    """Service rounds and opponent rounds until neither moves; returns the game id."""
    game_id = 0
    for _ in range(rounds):
        sent = await service.round()
        if game_id == 0:
            game_id = int(setup.game.functions.game_count().call())
        opponent = opponent_of(game_id) if game_id else None
        countered = [] if opponent is None else opponent.moves(setup.claims(game_id))
        send_many(setup.chain, countered, opponent.account if opponent else setup.chain.accounts[0])
        if not sent and not countered:
            return game_id
    raise AssertionError("the game did not settle")


async def finish(setup: DisputeSetup, service: ChallengerService, game_id: int) -> int:
    """Let the clocks run out; the service alone resolves and claims."""
    setup.chain.increase_time(MAX_CLOCK + 1)
    for _ in range(3 * setup.max_step_depth + 3 * SPLIT_DEPTH):
        sent = await service.round()
        if setup.status(game_id) != 1 and not sent:
            return setup.status(game_id)
    raise AssertionError("the service did not finish the game")


def colluding_batch(setup: DisputeSetup) -> tuple[dict[int, ToyBatch], bytes]:
    """Batch 0 right; batch 1 signed by a > 2/3 majority with a wrong output root."""
    first = setup.toy(0, 3)
    setup.land(0, 1, 3, first.root())
    batch = setup.toy(1, 5)
    header = setup.land(1, 4, 5, wrong(batch.root(), 99), signers=(0, 1, 2))
    return {0: first, 1: batch}, setup.rollup.digest(header)


def opponent(setup: DisputeSetup, batch: ToyBatch, colluder: Web3Account, honest: Web3Account,
             header_hash: bytes, strategy: Strategy) -> Callable[[int], Opponent]:
    made: dict[int, Opponent] = {}

    def get(game_id: int) -> Opponent:
        if game_id not in made:
            made[game_id] = Opponent(setup, batch, colluder, honest, game_id, header_hash,
                                     strategy)
        return made[game_id]
    return get


async def test_alone_it_disputes_a_wrong_root_and_wins_against_colluders(
        chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    batches, header_hash = colluding_batch(setup)
    later = setup.toy(2, 2)  # built on the wrong root: wrong too, and removed with it
    setup.land(2, 9, 2, wrong(later.root(), 7))
    honest, colluder = chain.accounts[HONEST_KEY_INDEX], chain.accounts[5]
    source = ToyTraceSource({**batches, 2: later})
    async with challenger(chain, setup, source) as service:
        first = await service.round()
        assert [type(action) for action in first] == [Open]
        assert first[0].batch_index == 1, "only the earliest wrong batch"  # type: ignore[union-attr]
        game_id = await play_out(setup, service, opponent(
            setup, batches[1], colluder, honest, header_hash, every_counter))
        claims = setup.claims(game_id)
        assert len(claims) > 20
        assert all(claim.claimant != colluder.address or claim.countered_by != "0x" + "00" * 20
                   or any(child.parent == claim.index and child.claimant == honest.address
                          for child in claims) for claim in claims[1:])
        status = service.state.to_json()
        assert status["open"] == 1 and status["challenging"] == 1
        assert status["games"][0]["ownBonds"] != "0"
        before = chain.w3.eth.get_balance(honest.address)
        assert await finish(setup, service, game_id) == LOST
        report_gas("colluders (every_counter), challenger side", service)
        assert service.state.sent["claim_credit"] == 1
        assert chain.w3.eth.get_balance(honest.address) > before
        # the right batch 1 lands in the removed one's place: read afresh, judged right
        assert sorted(service.book.batches) == []
        again = setup.land(1, 4, 5, batches[1].root())
        assert await service.round() == []
        assert [b.header_hash for b in service.book.batches.values()] == \
            [setup.rollup.digest(again)]
        assert int(setup.game.functions.game_count().call()) == 1
    inbox = setup.inbox.functions
    assert inbox.next_index().call() == 2, "batches 1 and 2 removed, the right 1 landed again"
    pools = setup.rollup.pools
    for index, stake in enumerate(STAKES):
        record = pools.sequencer(pools.account(index + 1).address)
        expected = stake - stake * DISPUTE_SLASH_BPS // 10_000 if index < 3 else stake
        assert record["amount"] == expected, f"sequencer {index}"
    assert setup.game.functions.credit(colluder.address).call() == 0
    assert setup.game.functions.credit(honest.address).call() == 0  # claimed
    assert pools.token.functions.balanceOf(honest.address).call() == \
        sum(stake * DISPUTE_SLASH_BPS // 10_000 for stake in STAKES[:3])


async def test_the_book_reads_each_batch_once_and_only_within_its_window(
        chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    first = setup.toy(0, 3)
    setup.land(0, 1, 3, first.root())
    source = ToyTraceSource({0: first, 1: setup.toy(1, 2)})
    async with challenger(chain, setup, source) as service:
        assert await service.round() == []
        held = service.book.batches[0]
        setup.land(1, 4, 2, setup.toy(1, 2).root())
        assert await service.round() == []
        assert service.book.batches[0] is held, "not read again"
        assert sorted(service.book.batches) == [0, 1]
        assert source.asked == [0, 1], "each batch judged once"
        chain.increase_time(CHALLENGE_WINDOW + 1)
        await service.round()
        assert service.book.batches == {}


async def test_without_a_step_tracer_it_wins_the_output_half_by_the_clock(
        chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    batches, header_hash = colluding_batch(setup)
    honest, colluder = chain.accounts[HONEST_KEY_INDEX], chain.accounts[5]
    source = ToyTraceSource(batches, with_steps=False)
    async with challenger(chain, setup, source) as service:
        game_id = await play_out(setup, service, opponent(
            setup, batches[1], colluder, honest, header_hash, output_half(attack_wrong)))
        deepest = max(depth(claim.position) for claim in setup.claims(game_id))
        assert deepest == SPLIT_DEPTH + 1, "the honest step root, made without a tracer"
        assert await finish(setup, service, game_id) == LOST


async def test_without_a_step_tracer_a_step_claim_is_reported_not_guessed(
        chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    batches, header_hash = colluding_batch(setup)
    honest, colluder = chain.accounts[HONEST_KEY_INDEX], chain.accounts[5]
    source = ToyTraceSource(batches, with_steps=False)
    async with challenger(chain, setup, source) as service:
        game_id = await play_out(setup, service, opponent(
            setup, batches[1], colluder, honest, header_hash, attack_wrong))
        status = service.state.to_json()
        assert status["blocked"] > 0
        assert "no whole-block step tracer" in status["games"][0]["blocked"][0]
        assert max(depth(claim.position) for claim in setup.claims(game_id)) == SPLIT_DEPTH + 2


async def test_it_defends_a_right_root_against_a_griefer_stepping_at_the_max_depth(
        chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    first = setup.toy(0, 4)
    header = setup.land(0, 1, 4, first.root())
    header_hash = setup.rollup.digest(header)
    honest, griefer = chain.accounts[HONEST_KEY_INDEX], chain.accounts[7]
    send_one(chain, setup.open_call(0, header_hash, wrong(first.truth(2), 5)), griefer,
             setup.bond(1))
    game_id = int(setup.game.functions.game_count().call())
    griefer_bonds = chain.w3.eth.get_balance(setup.game.address)
    source = ToyTraceSource({0: first})
    async with challenger(chain, setup, source) as service:
        await play_out(setup, service, opponent(setup, first, griefer, honest, header_hash,
                                                attack_wrong))
        assert service.state.sent["step"] >= 1, "the griefer's leaves are stepped on"
        assert service.state.to_json()["defending"] == 1
        l1 = l1_status_of(service)
        samples = dispute_samples(l1)
        assert samples[("ordo_disputes_open_games", (("side", "defender"),))] == 1
        assert samples[("ordo_disputes_open_games", (("side", "challenger"),))] == 0
        assert samples[("ordo_disputes_actions_total", (("action", "step"),))] >= 1
        assert samples[("ordo_disputes_bonded_eth", ())] > 0
        assert dispute_row(l1).startswith("1 open (0 challenging, 1 defending), 0.")
        paid = chain.w3.eth.get_balance(setup.game.address) - griefer_bonds
        before = chain.w3.eth.get_balance(honest.address)
        assert await finish(setup, service, game_id) == DEFENDED
        report_gas("griefer (attack_wrong), defender side", service)
    assert chain.w3.eth.get_balance(setup.game.address) == 0
    assert chain.w3.eth.get_balance(honest.address) > before + paid // 2
    assert setup.game.functions.credit(griefer.address).call() == 0
    chain.increase_time(1000)
    assert setup.inbox.functions.is_output_final(0).call() is True


async def test_killed_and_restarted_mid_game_it_finishes_the_game(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    batches, header_hash = colluding_batch(setup)
    honest, colluder = chain.accounts[HONEST_KEY_INDEX], chain.accounts[5]
    get_opponent = opponent(setup, batches[1], colluder, honest, header_hash, attack_wrong)
    async with challenger(chain, setup, ToyTraceSource(batches)) as service:
        await service.round()
        game_id = int(setup.game.functions.game_count().call())
        for _ in range(4):
            send_many(chain, get_opponent(game_id).moves(setup.claims(game_id)), colluder)
            await service.round()
        halfway = len(setup.claims(game_id))
    # a new process: nothing carried over but the key
    async with challenger(chain, setup, ToyTraceSource(batches)) as restarted:
        await play_out(setup, restarted, get_opponent)
        assert len(setup.claims(game_id)) > halfway
        claims = setup.claims(game_id)
        honest_claims = [(c.parent, c.position, c.claim) for c in claims
                         if c.claimant == honest.address]
        assert len(honest_claims) == len(set(honest_claims)), "no move made twice"
        assert await finish(setup, restarted, game_id) == LOST


async def test_two_honest_nodes_play_as_one_and_never_repeat_a_move(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    batches, header_hash = colluding_batch(setup)
    honest, colluder = chain.accounts[HONEST_KEY_INDEX], chain.accounts[5]
    other = chain.accounts[6]
    # the colluders counter every honest claim, whichever honest node made it
    against_first = opponent(setup, batches[1], colluder, honest, header_hash, attack_wrong)
    against_second = opponent(setup, batches[1], colluder, other, header_hash, attack_wrong)
    async with challenger(chain, setup, ToyTraceSource(batches)) as first, \
            challenger(chain, setup, ToyTraceSource(batches), key_index=6) as second:
        opened = await asyncio.gather(first.round(), second.round())  # the same L1 state
        assert sorted(len(sent) for sent in opened) == [0, 1], "one open lands"
        assert first.state.raced + second.state.raced == 1
        assert first.state.failed == second.state.failed == 0
        game_id = int(setup.game.functions.game_count().call())
        for _ in range(30):
            sent = await asyncio.gather(first.round(), second.round())
            claims = setup.claims(game_id)
            countered = against_first(game_id).moves(claims) + \
                against_second(game_id).moves(claims)
            send_many(chain, countered, colluder)
            if not any(sent) and not countered:
                break
        claims = setup.claims(game_id)
        made = [(c.parent, c.position, c.claim) for c in claims
                if c.claimant in (honest.address, other.address)]
        assert len(made) == len(set(made)), "no honest move landed twice"
        assert len(made) == 7, "one honest claim at each odd depth, down to the max depth 13"
        assert colluder.address in {c.claimant for c in claims[1:]}
        # a repeat that both sent in the same block reverts on chain and is told apart
        assert first.state.failed == second.state.failed == 0
        assert await finish(setup, first, game_id) == LOST


async def test_a_game_on_a_later_batch_turns_void_and_every_bond_comes_back(
        chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    batches, header_hash = colluding_batch(setup)
    later = setup.toy(2, 2)
    later_header = setup.land(2, 9, 2, wrong(later.root(), 7))
    honest, colluder, other = (chain.accounts[HONEST_KEY_INDEX], chain.accounts[5],
                               chain.accounts[7])
    # someone else disputes the later batch first, with a wrong midpoint
    send_one(chain, setup.open_call(2, setup.rollup.digest(later_header),
                                    wrong(later.truth(2), 1)), other, setup.bond(1))
    async with challenger(chain, setup, ToyTraceSource({**batches, 2: later})) as service:
        sent = await service.round()
        assert {type(action) for action in sent} == {Open, Move}, \
            "it opens the earliest wrong batch and attacks the later root where it is"
        assert int(setup.game.functions.game_count().call()) == 2
        await play_out(setup, service, opponent(setup, batches[1], colluder, honest,
                                                header_hash, output_half(attack_wrong)))
        assert await finish(setup, service, 2) == LOST
        for _ in range(4):
            await service.round()
        assert setup.status(1) == 4, "void: its batch left the inbox"
        assert service.state.to_json()["open"] == 0
    assert setup.game.functions.credit(other.address).call() == setup.bond(1), \
        "the other challenger's bond came back"
    assert setup.game.functions.credit(honest.address).call() == 0, "claimed"
    assert chain.w3.eth.get_balance(setup.game.address) == setup.bond(1)
