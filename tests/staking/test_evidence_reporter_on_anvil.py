"""Nodes report equivocations to a real LockingPool on anvil: a double vote by a locked signer is
reported once and slashed, evidence settled elsewhere or refused by the pool is not sent again,
and an L1 that cannot be reached leaves the evidence to be retried."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ordo.consensus.evidence import Equivocation, make_equivocation
from ordo.consensus.messages import Vote, VoteType
from ordo.core.genesis import dev_private_keys
from ordo.devnet.ports import free_port
from ordo.l1.client import ClientConfig, L1Client
from ordo.l1.contract_transactions import send_and_wait
from ordo.l1.local_account import LocalAccount
from ordo.l1.staking_contracts import pool_at, token_at
from ordo.l1.staking_params import BPS
from ordo.staking.evidence_reporter import EvidenceReporter, ReportStatus
from ordo.staking.evidence_votes import offence_report
from ordo.staking.pool_reader import read_sequencer_by_signer
from ordo.staking.sequencer_state import SequencerStatus
from tests.l1.conftest import Endpoint
from tests.l1_contracts.ordo_votes import PARENT, signed_vote, validator_key
from tests.staking.staked_pool import (
    BLOCK_A,
    BLOCK_B,
    BLOCK_C,
    L2_CHAIN_ID,
    StakedPool,
    equivocation,
    staked_pool,
)

REPORTER_KEY_INDEX = 6
"""A funded dev account that is neither the deployer nor an operator."""


class Marks:
    """The node's persistence of settled reports, in memory."""

    def __init__(self) -> None:
        self.keys: set[bytes] = set()

    def is_reported(self, key: bytes) -> bool:
        return key in self.keys

    def mark(self, key: bytes) -> None:
        assert key not in self.keys, "a settled report was marked twice"
        self.keys.add(key)


def reporter_for(client: L1Client, staked: StakedPool, marks: Marks,
                 receipt_timeout: float = 60.0) -> tuple[EvidenceReporter, LocalAccount]:
    sender = LocalAccount(client, dev_private_keys(REPORTER_KEY_INDEX + 1)[-1])
    return EvidenceReporter(client, staked.pool, sender, marks.is_reported, marks.mark,
                            receipt_timeout=receipt_timeout), sender


async def test_a_double_vote_is_reported_once_and_slashed(anvil_endpoint: Endpoint) -> None:
    async with L1Client(anvil_endpoint.url) as client:
        staked = await staked_pool(client)
        marks = Marks()
        reporter, sender = reporter_for(client, staked, marks)
        offender = staked.signers[0]
        evidence = equivocation(offender, height=7)
        before = await read_sequencer_by_signer(client, staked.pool, offender.address,
                                                await client.block_number())
        assert before is not None and before.status is SequencerStatus.ACTIVE

        # Two tasks report the same evidence at once: one transaction.
        outcomes = await asyncio.gather(reporter.report(evidence), reporter.report(evidence))
        assert sorted(outcome.status.value for outcome in outcomes) == \
            ["already_marked", "reported"]
        (done,) = [outcome for outcome in outcomes if outcome.status is ReportStatus.REPORTED]
        slashed = before.locked * staked.params.slash_bps // BPS
        reward = slashed * staked.params.reporter_bps // BPS
        assert done.slashed == slashed and done.reporter_reward == reward and reward > 0
        assert done.block_number is not None and done.tx_hash is not None
        assert done.key == offence_report(evidence).key and marks.keys == {done.key}

        pool = pool_at(client, staked.pool)
        events = await pool.get_events("Slashed", staked.deployment.deploy_block,
                                       await client.block_number())
        assert [(event.arguments["signer"].lower(), event.arguments["reporter"].lower(),
                 event.arguments["height"], event.arguments["slashed"]) for event in events] == \
            [("0x" + offender.address.hex(), "0x" + sender.address.hex(), 7, slashed)]
        after = await read_sequencer_by_signer(client, staked.pool, offender.address,
                                               done.block_number)
        assert after is not None
        assert after.locked == before.locked - slashed
        assert after.status is SequencerStatus.EXITING  # leaves the next epoch's set
        assert await token_at(client, staked.deployment.token).call(
            "balanceOf", sender.address) == reward

        # Reporting it again, in the other order, sends nothing.
        nonce = await client.get_transaction_count(sender.address)
        swapped = make_equivocation(evidence.second, evidence.first)
        again = await reporter.report(swapped)
        assert again.status is ReportStatus.ALREADY_MARKED and again.key == done.key
        assert await client.get_transaction_count(sender.address) == nonce

        # The background loop reports what the node queues.
        queue: asyncio.Queue[Equivocation] = asyncio.Queue()
        runner = asyncio.create_task(reporter.run(queue, retry_delay=0.5))
        try:
            later = equivocation(staked.signers[1], height=9, vote_type=VoteType.PREVOTE)
            queue.put_nowait(later)
            queue.put_nowait(evidence)
            await asyncio.wait_for(queue.join(), 30)
        finally:
            runner.cancel()
        assert offence_report(later).key in marks.keys and len(marks.keys) == 2
        assert await pool.call("offence_reported", staked.signers[1].address, 9, 0,
                               int(VoteType.PREVOTE), PARENT) is True


async def test_settled_elsewhere_refused_or_unmined(anvil_endpoint: Endpoint,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    async with L1Client(anvil_endpoint.url) as client:
        staked = await staked_pool(client)
        marks = Marks()
        reporter, sender = reporter_for(client, staked, marks, receipt_timeout=0.5)
        pool = pool_at(client, staked.pool)
        offender = staked.signers[2]

        # Another reporter, with another conflicting pair, punished the offence first.
        theirs = offence_report(equivocation(offender, height=11, block_b=BLOCK_C))
        await send_and_wait(pool, staked.operators[3], "report_equivocation", *theirs.votes)
        ours = equivocation(offender, height=11)
        outcome = await reporter.report(ours)
        assert outcome.status is ReportStatus.ALREADY_REPORTED and outcome.tx_hash is None
        assert marks.keys == {offence_report(ours).key}

        # A pair the pool refuses is refused with its reason, logged, and not tried again.
        honest = staked.signers[1]
        genuine = equivocation(honest, height=12)
        forged_second = signed_vote(staked.signers[3], L2_CHAIN_ID, 12, 0,
                                    VoteType.PRECOMMIT, BLOCK_C)
        forged = make_equivocation(genuine.first, Vote(
            forged_second.chain_id, forged_second.height, forged_second.round,
            forged_second.vote_type, forged_second.parent_hash, forged_second.block_hash,
            honest.address, forged_second.signature))
        unregistered = equivocation(validator_key(40), height=12)
        with caplog.at_level(logging.WARNING, logger="ordo.staking.evidence_reporter"):
            refused = await reporter.report(forged)
            stranger = await reporter.report(unregistered)
        assert refused.status is ReportStatus.REFUSED
        assert refused.reason == "LockingPool: votes are signed by different keys"
        assert stranger.status is ReportStatus.REFUSED
        assert stranger.reason == "LockingPool: signer is not registered"
        assert any("refused by the pool" in record.getMessage() and
                   "different keys" in record.getMessage() for record in caplog.records)
        assert {refused.key, stranger.key} <= marks.keys
        assert (await reporter.report(forged)).status is ReportStatus.ALREADY_MARKED
        # A returning validator's old precommit (on a parent since dropped for L1's fallback
        # chain) and its new one at the same height and round on L1's chain: refused, no slash.
        dropped = signed_vote(honest, L2_CHAIN_ID, 12, 0, VoteType.PRECOMMIT, BLOCK_A,
                              b"\xd0" * 32)
        on_l1_chain = signed_vote(honest, L2_CHAIN_ID, 12, 0, VoteType.PRECOMMIT, BLOCK_B,
                                  b"\xf0" * 32)
        two_chains = await reporter.report(make_equivocation(dropped, on_l1_chain))
        assert two_chains.status is ReportStatus.REFUSED
        assert two_chains.reason == (
            "LockingPool: votes extend different parents, not an equivocation")
        # The refused forgery named the honest signer; its real double vote still counts.
        assert (await reporter.report(genuine)).status is ReportStatus.REPORTED

        # A transaction that is not mined in time is looked for again, not sent twice.
        await client.request("evm_setAutomine", [False])
        waiting = equivocation(staked.signers[3], height=13)
        first_try = await reporter.report(waiting)
        assert first_try.status is ReportStatus.RETRY_LATER
        assert "no receipt" in (first_try.reason or "") or "not included" in \
            (first_try.reason or "")
        assert offence_report(waiting).key not in marks.keys
        nonce = await client.get_transaction_count(sender.address, "pending")
        await client.request("evm_mine", [])
        await client.request("evm_setAutomine", [True])
        second_try = await reporter.report(waiting)
        assert second_try.status is ReportStatus.REPORTED and second_try.slashed
        assert await client.get_transaction_count(sender.address, "pending") == nonce


async def test_an_unreachable_l1_leaves_the_evidence_to_retry() -> None:
    config = ClientConfig(request_timeout=2.0, max_attempts=2, backoff_initial=0.01,
                          backoff_max=0.01)
    async with L1Client(f"http://127.0.0.1:{free_port()}/", config) as client:
        marks = Marks()
        sender = LocalAccount(client, dev_private_keys(1)[0])
        reporter = EvidenceReporter(client, b"\x01" * 20, sender, marks.is_reported,
                                    marks.mark)
        evidence = equivocation(validator_key(0), height=3)
        outcome = await reporter.report(evidence)
        assert outcome.status is ReportStatus.RETRY_LATER and not outcome.settled
        assert outcome.reason is not None and "offence_reported" not in outcome.reason
        assert "eth_call" in outcome.reason
        assert marks.keys == set()
        assert outcome.to_json()["status"] == "retry_later"

        # The background loop keeps the evidence and tries it again after retry_delay.
        attempts: list[bytes] = []

        def is_reported(key: bytes) -> bool:
            attempts.append(key)
            return False

        retrying = EvidenceReporter(client, b"\x01" * 20, sender, is_reported, marks.mark)
        queue: asyncio.Queue[Equivocation] = asyncio.Queue()
        runner = asyncio.create_task(retrying.run(queue, retry_delay=0.05))
        try:
            queue.put_nowait(evidence)
            for _ in range(200):
                if len(attempts) >= 3:
                    break
                await asyncio.sleep(0.05)
        finally:
            runner.cancel()
        assert attempts[:3] == [outcome.key] * 3 and queue.empty()
        assert marks.keys == set()


def test_reporter_refuses_bad_configuration() -> None:
    client = L1Client("http://127.0.0.1:1/")
    sender = LocalAccount(client, dev_private_keys(1)[0])
    marks = Marks()
    with pytest.raises(ValueError, match="pool address"):
        EvidenceReporter(client, b"\x01" * 19, sender, marks.is_reported, marks.mark)
    with pytest.raises(ValueError, match="confirmations: 0 must be at least 1"):
        EvidenceReporter(client, b"\x01" * 20, sender, marks.is_reported, marks.mark,
                         confirmations=0)
    with pytest.raises(TypeError, match="expected an Equivocation, got Vote"):
        offence_report(equivocation(validator_key(0), height=1).first)  # type: ignore[arg-type]
