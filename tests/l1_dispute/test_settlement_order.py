"""Ordered finality (audit finding 2): a batch is final only when every earlier batch is, so a
later batch built on a disputed one pays nothing while that dispute is open, and the inbox's
final_through pointer moves up in index order, bounded per call and per view."""

from __future__ import annotations

from eth_utils import keccak

from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import inbox_at
from ordo.settlement.bridge import advance_finality_near
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_inbox.rollup_setup import FORCED_FEE, send_paying
from tests.l1_portal.storage_tries import StorageTrie, Withdrawal, output_proof, output_root

from .game_setup import (
    CHALLENGE_WINDOW,
    LOST,
    MAX_CLOCK,
    OPEN,
    DisputeSetup,
    deploy_dispute_setup,
    send_one,
)

SCAN = 64


def resolve_unanswered(setup: DisputeSetup, game_id: int, signers: list[str]) -> None:
    """Resolve a game of the root and its one attack (leaf first), then the game."""
    account = setup.chain.accounts[6]
    for index in (1, 0):
        send_one(setup.chain, setup.game.functions.resolve_claim(game_id, index, 0), account)
    send_one(setup.chain, setup.game.functions.resolve(game_id, signers), account)


def test_a_later_batch_pays_nothing_while_an_earlier_game_is_open(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    honest, user = chain.accounts[4], chain.accounts[5]
    wrong = setup.land(0, 1, 3, keccak(b"wrong 0"))
    withdrawal = Withdrawal(1, user.address, user.address, 10**18, 100_000)
    trie = StorageTrie.of([withdrawal])
    proof = output_proof(trie.root)
    setup.land(1, 4, 1, output_root(proof[1], proof[2], proof[3], proof[0]))
    send_one(chain, setup.open_call(0, setup.rollup.digest(wrong), b"\x11" * 32), honest,
             setup.bond(1))
    portal, inbox = setup.portal.functions, setup.inbox.functions
    send_one(chain, portal.prove_withdrawal(withdrawal.as_tuple(), 1, proof,
                                            trie.proof(withdrawal)), user)
    send_paying(chain, setup.rollup.queue.functions.deposit(user.address), chain.accounts[7],
                2 * 10**18 + FORCED_FEE)
    chain.increase_time(CHALLENGE_WINDOW + 1)
    assert inbox.dispute_status(0).call() == OPEN and inbox.dispute_status(1).call() == 0
    assert inbox.is_output_final(1).call() is False, "batch 0's game is still open"
    finalize = portal.finalize_withdrawal(withdrawal.as_tuple())
    assert setup.reason(finalize, user) == \
        "WithdrawalPortal: the inbox does not hold the output final"
    send_one(chain, inbox.advance_finality(1), user)
    assert inbox.final_through().call() == 0
    chain.increase_time(MAX_CLOCK)
    resolve_unanswered(setup, 1, setup.signer_list())
    assert setup.status(1) == LOST and inbox.next_index().call() == 0
    assert setup.reason(finalize, user) == \
        "WithdrawalPortal: output was removed; prove the withdrawal again"
    assert portal.finalized_withdrawals(withdrawal.hash).call() is False
    assert chain.w3.eth.get_balance(setup.portal.address) == 2 * 10**18


def test_the_final_pointer_moves_in_index_order_and_bounded(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    inbox = setup.inbox.functions
    for index in range(SCAN + 1):
        setup.land(index, index + 1, 1, keccak(index.to_bytes(32, "big")))
    assert inbox.MAX_FINALITY_SCAN().call() == SCAN
    assert inbox.is_output_final(0).call() is False, "inside the window"
    chain.increase_time(CHALLENGE_WINDOW + 1)
    # the view looks at most SCAN batches past the pointer
    assert inbox.is_output_final(SCAN - 1).call() is True
    assert inbox.is_output_final(SCAN).call() is False
    assert inbox.is_output_final(SCAN + 1).call() is False, "not landed"
    account = chain.accounts[6]
    send_one(chain, inbox.advance_finality(10**6), account)
    assert inbox.final_through().call() == SCAN, "one call moves it at most SCAN batches"
    assert inbox.is_output_final(SCAN).call() is True
    send_one(chain, inbox.advance_finality(10**6), account)
    assert inbox.final_through().call() == SCAN + 1, "never past the last landed batch"


def test_advance_stops_at_the_batch_asked_for_and_at_an_unsettled_one(chain: AnvilChain) -> None:
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    inbox, account = setup.inbox.functions, chain.accounts[6]
    for index in range(3):
        setup.land(index, index + 1, 1, keccak(index.to_bytes(32, "big")))
    chain.increase_time(CHALLENGE_WINDOW + 1)
    send_one(chain, inbox.advance_finality(0), account)
    assert inbox.final_through().call() == 1, "up to and including the batch asked for"
    setup.land(3, 4, 1, keccak(b"late"))
    send_one(chain, inbox.advance_finality(10), account)
    assert inbox.final_through().call() == 3, "batch 3's window is not over"
    assert inbox.is_output_final(2).call() is True and inbox.is_output_final(3).call() is False


async def test_the_bridge_advances_a_pointer_left_far_behind(chain: AnvilChain) -> None:
    """On a chain that ran long with nobody advancing final_through, ``ordo bridge finalize``
    advances it far enough for the portal's own advance (64 batches) to reach its batch."""
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    last = 2 * SCAN + 5
    for index in range(last + 1):
        setup.land(index, index + 1, 1, keccak(index.to_bytes(32, "big")))
    chain.increase_time(CHALLENGE_WINDOW + 1)
    url = chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    async with L1Client(url) as client:
        account = LocalAccount(client, bytes(chain.accounts[6].key))
        inbox = inbox_at(client, bytes.fromhex(setup.inbox.address[2:]))
        assert await advance_finality_near(inbox, account, last) == 2
        pointer = int(await inbox.call("final_through"))
        assert pointer + SCAN > last and pointer == 2 * SCAN
        assert await advance_finality_near(inbox, account, last) == 0, "near enough already"
