"""Ready batches planned from a synthetic final chain and signed by the rollup's validators, a
poster against the test's anvil, and the anvil controls the poster tests need (automine, base
fee, snapshots, a background miner)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider
from web3.types import RPCEndpoint

from ordo.batcher.batch_attestations import AttestationCollector, AttestationOutcome, attest
from ordo.batcher.batch_header import DataKind, batch_digest
from ordo.batcher.batch_plan import PlannedBatch, PlanRules, plan_headers, plan_next_batch
from ordo.batcher.batch_poster import BatchPoster, PosterConfig, ReadyBatch
from ordo.consensus.signing import LocalSigner
from ordo.consensus.validator_set import Validator, ValidatorSet
from ordo.l1.client import L1Client
from tests.batcher.final_chain import final_chain
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_inbox.rollup_setup import STAKES, RollupSetup

CHAIN_BLOCKS = 40
BATCH_BLOCKS = 5


def l2_chain_id(rollup: RollupSetup) -> int:
    return int(rollup.pools.pool.functions.l2_chain_id().call())


def ready_batch(rollup: RollupSetup, index: int, signers: Sequence[int] = (0, 1, 2)
                ) -> ReadyBatch:
    """Batch ``index`` of the synthetic chain, signed by ``signers`` of the rollup's four."""
    return signed_batch(rollup.keys, STAKES, rollup.epoch, l2_chain_id(rollup),
                        rollup.inbox_address, index, signers)


def signed_batch(keys: Sequence[LocalSigner], stakes: Sequence[int], epoch: int,
                 chain_id: int, inbox: bytes, index: int, signers: Sequence[int]) -> ReadyBatch:
    """Batch ``index`` of a synthetic chain built in turn by ``keys``, cut every BATCH_BLOCKS
    blocks, with signatures of ``signers`` on both header variants."""
    return ReadyBatch.from_plan(*signed_plan(keys, stakes, epoch, chain_id, inbox, index,
                                             signers))


def signed_plan(keys: Sequence[LocalSigner], stakes: Sequence[int], epoch: int, chain_id: int,
                inbox: bytes, index: int, signers: Sequence[int]
                ) -> tuple[PlannedBatch, dict[DataKind, AttestationCollector]]:
    """``signed_batch``'s plan and its collectors (what the node's batcher holds)."""
    blocks = final_chain(CHAIN_BLOCKS, [key.address for key in keys])
    rules = PlanRules(epoch_length=CHAIN_BLOCKS, max_blocks=BATCH_BLOCKS)
    batch = plan_next_batch(index * BATCH_BLOCKS + 1, CHAIN_BLOCKS,
                            lambda number: blocks[number - 1], rules)
    assert batch is not None
    planned = plan_headers(index, batch, epoch, forced_through=0)
    validators = ValidatorSet.of(Validator(key.address, stake)
                                 for key, stake in zip(keys, stakes, strict=True))
    collectors = {}
    for kind in (DataKind.BLOBS, DataKind.CALLDATA):
        header = planned.header(kind)
        collector = AttestationCollector(batch_digest(header, chain_id, inbox), validators)
        for signer in signers:
            assert collector.add(attest(keys[signer], header, chain_id, inbox)) is \
                AttestationOutcome.COUNTED
        collectors[kind] = collector
    return planned, collectors


def endpoint(chain: AnvilChain) -> str:
    provider = chain.w3.provider
    assert isinstance(provider, HTTPProvider)
    return str(provider.endpoint_uri)


class BlockAfterHeadClient(L1Client):
    """An anvil that mines a block right after telling the head: what a step reads after
    ``block_number`` is a block newer than its head, as when L1 blocks come mid-step."""

    async def block_number(self) -> int:
        head = await super().block_number()
        await self.request("anvil_mine", ["0x1"])
        return head


@contextlib.asynccontextmanager
async def running_poster(rollup: RollupSetup, account: LocalAccount | None = None,
                         client_type: type[L1Client] = L1Client,
                         **config: Any) -> AsyncIterator[BatchPoster]:
    settings = {"confirmations": 1, "poll_interval": 0.05, "bump_after": 60.0, **config}
    async with client_type(endpoint(rollup.chain)) as client:
        yield BatchPoster(client, bytes((account or rollup.poster).key), rollup.inbox_address,
                          l2_chain_id(rollup), PosterConfig(**settings))


def rpc(chain: AnvilChain, method: str, *params: Any) -> Any:
    answer = chain.w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in answer, f"{method}: {answer['error']}"
    return answer["result"]


@contextlib.contextmanager
def automine_off(chain: AnvilChain) -> Iterator[None]:
    rpc(chain, "evm_setAutomine", False)
    try:
        yield
    finally:
        rpc(chain, "evm_setAutomine", True)


def mine(chain: AnvilChain, blocks: int = 1) -> None:
    rpc(chain, "anvil_mine", hex(blocks))


@contextlib.asynccontextmanager
async def mining(chain: AnvilChain, interval: float = 0.1) -> AsyncIterator[None]:
    """A block every ``interval`` seconds while the body runs (confirmations need blocks).

    On exit it waits for the block being mined: cancelling the task would leave its
    ``evm_mine`` running in the thread, which could then land after the body's next step (an
    ``evm_revert``, for one)."""
    stop = asyncio.Event()

    async def keep_mining() -> None:
        while not stop.is_set():
            await asyncio.to_thread(mine, chain)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    task = asyncio.create_task(keep_mining())
    try:
        yield
    finally:
        stop.set()
        await task


def accepted_events(rollup: RollupSetup) -> list[dict[str, Any]]:
    """Every BatchAccepted the inbox emitted on the current chain."""
    logs = rollup.inbox.events.BatchAccepted().get_logs(from_block=0)
    return [{**dict(entry["args"]), "transactionHash": bytes(entry["transactionHash"])}
            for entry in logs]
