"""Derivation against real anvil: an L2 chain made in-process (L1-anchored genesis, blocks naming
anvil blocks as their L1 origins) is posted as signed calldata and blob batches, then rebuilt
from L1 alone and compared byte for byte; tampered data is refused by the inbox, and a signed
batch that decodes but re-executes differently is flagged by the derivation command."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from ordo.batcher.batch_codec import compress_blocks
from ordo.batcher.batch_header import DataKind, calldata_data_hash
from ordo.core.block_codec import encode_block
from ordo.core.genesis import GenesisL1, devnet_genesis
from ordo.derivation import l1_batches
from ordo.derivation.derivation_run import DerivationOptions, run_derivation
from ordo.faultproof.batch_inputs import inputs_root
from ordo.storage.chain_store import ChainStore
from tests.derivation.command_runs import FollowingCommand, l1_url, run_command
from tests.derivation.l2_chain_maker import L1OriginRef, L2ChainMaker, batch_block_of
from tests.derivation.rollup_posting import (
    BatchEnd,
    batch_header,
    post_blob_batch,
    post_calldata_batch,
)
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID
from tests.l1_inbox.rollup_setup import RollupSetup

L1_ORIGIN_STEPS = 6


def l1_origins(rollup: RollupSetup) -> list[L1OriginRef]:
    """The current anvil head and the next blocks, mined now, as successive L1 origins."""
    head = rollup.chain.w3.eth.block_number
    rollup.mine(L1_ORIGIN_STEPS)
    return [L1OriginRef(number, bytes(rollup.chain.w3.eth.get_block(number)["hash"]))
            for number in range(head, head + L1_ORIGIN_STEPS + 1)]


@pytest.fixture
def made(rollup: RollupSetup, tmp_path: Path) -> Iterator[L2ChainMaker]:
    """18 blocks on a genesis anchored to anvil, built by the pool's validator keys."""
    origins = l1_origins(rollup)
    genesis = devnet_genesis(timestamp=1_700_000_000, l1=GenesisL1(
        chain_id=ANVIL_CHAIN_ID, locking_pool=bytes.fromhex(rollup.pools.pool.address[2:]),
        origin_number=origins[0].number, origin_hash=origins[0].hash))
    maker = L2ChainMaker(tmp_path / "source", genesis, [key.address for key in rollup.keys])
    maker.build_traffic(18, [origins[position // 3] for position in range(18)])
    yield maker
    maker.close()


def end_of(maker: L2ChainMaker, number: int) -> BatchEnd:
    block = maker.blocks[number - 1]
    return BatchEnd(block.hash, maker.output_root(number))


def options(rollup: RollupSetup, maker: L2ChainMaker, data_dir: Path) -> DerivationOptions:
    return DerivationOptions(l1_rpc=l1_url(rollup), inbox=rollup.inbox_address,
                             genesis=maker.genesis, data_dir=data_dir)


def test_calldata_and_blob_batches_derive_every_block_byte_for_byte(
        rollup: RollupSetup, made: L2ChainMaker, tmp_path: Path) -> None:
    posted = [batch_block_of(block) for block in made.blocks]
    post_calldata_batch(rollup, 0, posted[0:6], end_of(made, 6))
    blob_receipt = post_blob_batch(rollup, 1, posted[6:12], end_of(made, 12))
    assert rollup.accepted(blob_receipt)[0]["data_kind"] == int(DataKind.BLOBS)
    post_calldata_batch(rollup, 2, posted[12:18], end_of(made, 18))

    summary = asyncio.run(run_derivation(options(rollup, made, tmp_path / "derived")))
    assert summary.to_json()["ok"], summary.to_json()
    assert (summary.batches, summary.blocks) == (3, 18)
    assert summary.l1_origins_checked
    assert summary.transactions == sum(len(block.transactions) for block in made.blocks)
    assert summary.head_hash == made.blocks[-1].hash
    with ChainStore(tmp_path / "derived") as store:
        for block in made.blocks:
            derived = store.get_block_by_number(block.number)
            assert derived is not None and encode_block(derived) == encode_block(block)

    # a restart on the same data directory checks the batches again and derives nothing new
    again = asyncio.run(run_derivation(options(rollup, made, tmp_path / "derived")))
    assert again.to_json()["ok"] and (again.batches, again.blocks) == (3, 0)


def test_blobs_are_read_from_a_beacon_endpoint_too(rollup: RollupSetup, made: L2ChainMaker,
                                                   tmp_path: Path) -> None:
    """anvil serves the standard beacon ``/eth/v1/beacon/blobs`` on its RPC port; the reader
    takes blobs from there when the transaction does not carry them."""
    posted = [batch_block_of(block) for block in made.blocks]
    post_blob_batch(rollup, 0, posted[0:4], end_of(made, 4))
    rollup.mine(1)  # the beacon block id is named by the next L1 block
    original = l1_batches.L1BatchReader._transaction

    async def without_sidecar(self: l1_batches.L1BatchReader,
                              batch: l1_batches.AcceptedBatch) -> dict[str, object]:
        transaction = await original(self, batch)
        return {key: value for key, value in transaction.items() if key != "blobs"}

    chosen = dataclasses.replace(options(rollup, made, tmp_path / "derived"),
                                 beacon_url=l1_url(rollup))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(l1_batches.L1BatchReader, "_transaction", without_sidecar)
        summary = asyncio.run(run_derivation(chosen))
        assert summary.to_json()["ok"] and summary.blocks == 4, summary.to_json()
        missing = asyncio.run(run_derivation(dataclasses.replace(
            chosen, beacon_url=None, data_dir=tmp_path / "other")))
    assert missing.error is not None and missing.error.startswith(
        "batch 0 is in blobs and the L1 node does not return blobs with transaction 0x")


def test_an_origin_hash_that_is_not_l1s_block_is_flagged(rollup: RollupSetup,
                                                        made: L2ChainMaker,
                                                        tmp_path: Path) -> None:
    """A quorum signing blocks that name an invented L1 block: execution alone would accept
    them (the hash only feeds PREVRANDAO), the verifier reading that L1 does not."""
    real = L1OriginRef(made.genesis.l1.origin_number if made.genesis.l1 else 0,
                       made.genesis.l1.origin_hash if made.genesis.l1 else bytes(32))
    invented = L1OriginRef(real.number + 1, b"\x13" * 32)
    maker = L2ChainMaker(tmp_path / "invented", made.genesis,
                         [key.address for key in rollup.keys])
    try:
        maker.build_traffic(3, [real, invented, invented])
        posted = [batch_block_of(block) for block in maker.blocks]
        post_calldata_batch(rollup, 0, posted, end_of(maker, 3))
        summary = asyncio.run(run_derivation(options(rollup, maker, tmp_path / "derived")))
    finally:
        maker.close()
    assert summary.invalid_batch is not None
    assert summary.invalid_batch["message"].startswith(
        f"batch 0, block 2: names L1 origin {invented.number} with hash 0x{'13' * 32}, L1's "
        f"block {invented.number} is 0x")
    assert summary.blocks == 0


def test_the_inbox_refuses_a_tampered_payload(rollup: RollupSetup, made: L2ChainMaker) -> None:
    posted = [batch_block_of(block) for block in made.blocks[:3]]
    payload = compress_blocks(posted)
    header = batch_header(rollup, 0, posted, end_of(made, 3), DataKind.CALLDATA,
                          calldata_data_hash(payload))
    tampered = payload[:-1] + bytes([payload[-1] ^ 1])
    assert rollup.refusal(header, payload=tampered) == \
        "RollupInbox: payload does not match data_hash"
    assert rollup.inbox.functions.next_index().call() == 0


def test_the_command_flags_a_signed_batch_that_re_executes_differently(
        rollup: RollupSetup, made: L2ChainMaker, tmp_path: Path) -> None:
    posted = [batch_block_of(block) for block in made.blocks]
    post_calldata_batch(rollup, 0, posted[0:4], end_of(made, 4))
    # batch 1 decodes fine, but block 6 is posted one second later than it was executed
    changed = list(posted[4:8])
    changed[1] = dataclasses.replace(changed[1], timestamp=changed[1].timestamp + 1)
    post_calldata_batch(rollup, 1, changed, end_of(made, 8))
    genesis_path = tmp_path / "genesis.json"
    made.genesis.save(genesis_path)
    code, summary = run_command("--l1-rpc", l1_url(rollup), "--inbox", rollup.inbox.address,
                                "--genesis", str(genesis_path), "--data-dir",
                                str(tmp_path / "derived"))
    assert code == 1, summary
    invalid = summary["invalid_batch"]
    assert isinstance(invalid, dict)
    assert (invalid["index"], invalid["block"]) == (1, 8)
    assert str(invalid["reason"]).startswith("re-executed to hash 0x")
    assert str(invalid["reason"]).endswith(
        f"the signed header says hash 0x{made.blocks[7].hash.hex()} and output root "
        f"0x{made.output_root(8).hex()}")
    assert summary["blocks"] == 4 and summary["head"] == {
        "number": 4, "hash": "0x" + made.blocks[3].hash.hex(),
        "state_root": "0x" + bytes(made.blocks[3].header.state_root).hex()}
    with ChainStore(tmp_path / "derived") as store:
        assert store.head_number() == 4, "no block of the invalid batch is stored"


def test_a_signed_batch_whose_payload_does_not_give_its_inputs_root_stops_derivation(
        rollup: RollupSetup, made: L2ChainMaker, tmp_path: Path) -> None:
    """A quorum signs a header whose inputs root is not its payload's (the root of block 6
    without its last transaction): the inbox cannot see that, derivation refuses the batch before
    executing any of it, and nothing of it is stored."""
    posted = [batch_block_of(block) for block in made.blocks]
    post_calldata_batch(rollup, 0, posted[0:4], end_of(made, 4))
    payload = compress_blocks(posted[4:8])
    header = batch_header(rollup, 1, posted[4:8], end_of(made, 8), DataKind.CALLDATA,
                          calldata_data_hash(payload))
    assert posted[5].transactions, "block 6 carries traffic"
    other = list(posted[4:8])
    other[1] = dataclasses.replace(other[1], transactions=other[1].transactions[:-1])
    signed_root = inputs_root(other)
    rollup.submit(dataclasses.replace(header, inputs_root=signed_root), payload)
    assert bytes(rollup.inbox.functions.inputs_roots(1).call()) == signed_root
    summary = asyncio.run(run_derivation(options(rollup, made, tmp_path / "derived")))
    assert summary.invalid_batch is not None
    assert summary.invalid_batch["message"] == (
        f"batch 1: payload's blocks give inputs_root 0x{inputs_root(posted[4:8]).hex()}, the "
        f"signed header commits to 0x{signed_root.hex()}")
    assert summary.blocks == 4
    with ChainStore(tmp_path / "derived") as store:
        assert store.head_number() == 4, "no block of the refused batch is stored"


def test_follow_derives_batches_as_they_land_until_sigterm(rollup: RollupSetup,
                                                          made: L2ChainMaker,
                                                          tmp_path: Path) -> None:
    posted = [batch_block_of(block) for block in made.blocks]
    post_calldata_batch(rollup, 0, posted[0:5], end_of(made, 5))
    genesis_path = tmp_path / "genesis.json"
    made.genesis.save(genesis_path)
    command = FollowingCommand("--l1-rpc", l1_url(rollup), "--inbox", rollup.inbox.address,
                               "--genesis", str(genesis_path), "--data-dir",
                               str(tmp_path / "derived"), "--poll-interval", "0.2")
    try:
        command.wait_for_log("batch 0 (L1 block")
        post_blob_batch(rollup, 1, posted[5:12], end_of(made, 12))
        assert "blocks 6..12, 7 newly derived" in command.wait_for_log("batch 1 (L1 block")
        code, summary = command.stop()
    finally:
        command.kill()
    assert code == 0, summary
    assert (summary["batches"], summary["blocks"]) == (2, 12)
    assert summary["head"] == {"number": 12, "hash": "0x" + made.blocks[11].hash.hex(),
                               "state_root": "0x" + bytes(made.blocks[11].header.state_root).hex()}
