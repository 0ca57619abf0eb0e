"""`ordo devnet` on an L1: by default on the embedded dev chain, or on anvil via --l1-rpc with a
deployer key file. The devnet stakes for its nodes' signers, deploys the rollup inbox and
forced-inclusion queue the genesis names, anchors the genesis to a confirmed L1 block whose pool
set is exactly those signers, records the L1 in devnet.json, its nodes produce final blocks and
post them to the inbox in batches, and a second run resumes on the same contracts without
redeploying."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from ordo.core.genesis import Genesis
from ordo.devnet.l1_choice import DEV_L1_PORT_OFFSET
from ordo.devnet.ports import free_devnet_base_port, free_port_block
from ordo.keys.key_file import key_address
from ordo.l1.client import L1Client
from ordo.l1.rollup_deploy import inbox_at
from ordo.l1.staking_params import DEVNET_SEQUENCER_STAKE, TOKEN
from ordo.staking.pool_reader import read_current_set
from tests.devnet.devnet_harness import wait_for
from tests.devnet.devnet_on_l1 import (
    DEPLOYER_KEY,
    finalized,
    rpc,
)
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID

NODES = 4


def check_staked_devnet(data_dir: Path, manifest: dict[str, Any], l1_url: str,
                        stakes: list[int]) -> Genesis:
    """The genesis is anchored to L1, names the inbox and queue and lists no validators; at its
    origin the pool's current set is exactly the nodes' signers with their stakes, and the inbox
    and queue have code; devnet.json and l1.json agree."""
    genesis = Genesis.load(data_dir / "genesis.json")
    assert genesis.l1 is not None and genesis.validators == ()
    assert genesis.l1.confirmations == 2
    l1 = manifest["l1"]
    assert l1["rpc"] == l1_url
    assert l1["chainId"] == genesis.l1.chain_id
    assert l1["lockingPool"] == "0x" + genesis.l1.locking_pool.hex()
    assert l1["originNumber"] == genesis.l1.origin_number
    record = json.loads((data_dir / "l1.json").read_text())
    assert record["deployment"] == {"token": l1["token"], "locking_pool": l1["lockingPool"],
                                    "deploy_block": l1["deployBlock"]}
    assert genesis.l1.inbox is not None and genesis.l1.forced_queue is not None
    rollup = {"inbox": "0x" + genesis.l1.inbox.hex(),
              "forcedQueue": "0x" + genesis.l1.forced_queue.hex()}
    assert {name: l1[name] for name in rollup} == rollup
    assert {name: record[name] for name in rollup} == rollup
    assert l1["deployBlock"] < record["inboxDeployBlock"] == l1["inboxDeployBlock"] < \
        genesis.l1.origin_number
    signers = [node["signer"].lower() for node in manifest["nodes"]]
    assert [node["stake"] for node in manifest["nodes"]] == stakes

    async def read_set() -> tuple[int, list[tuple[str, int]], bytes | None]:
        assert genesis.l1 is not None
        async with L1Client(l1_url) as client:
            epoch_set = await read_current_set(client, genesis.l1.locking_pool,
                                               genesis.l1.origin_number)
            origin = await client.get_block(genesis.l1.origin_number)
            for contract in (genesis.l1.inbox, genesis.l1.forced_queue):
                assert contract is not None and await client.get_code(contract)
            head = await client.block_number()
        assert head >= genesis.l1.origin_number + 1  # two blocks deep, counting itself
        return (epoch_set.epoch, [("0x" + member.signer.hex(), member.stake)
                                  for member in epoch_set.validators],
                None if origin is None else origin.hash)

    epoch, members, origin_hash = asyncio.run(read_set())
    assert epoch == record["liveEpoch"] >= 1
    assert sorted(members) == sorted(zip(signers, stakes, strict=True))
    assert origin_hash == genesis.l1.origin_hash
    return genesis


def last_batch_index(node_url: str) -> int | None:
    """``l1.batcher.lastBatchIndex`` of the node's ordo_status: a batch landed in the inbox."""
    batcher = rpc(node_url, "ordo_status").get("l1", {}).get("batcher") or {}
    index = batcher.get("lastBatchIndex")
    assert index is None or isinstance(index, int), batcher
    return index


async def inbox_next_index(l1_url: str, inbox: str) -> int:
    async with L1Client(l1_url) as client:
        value = await inbox_at(client, bytes.fromhex(inbox[2:])).call("next_index")
    assert isinstance(value, int)
    return value


def wait_final(manifest: dict[str, Any], timeout: float = 60.0) -> None:
    urls = [node["rpc"] for node in manifest["nodes"]]
    wait_for(lambda: all(finalized(url) >= 2 for url in urls), timeout=timeout)


def test_default_devnet_stakes_on_the_dev_l1_finalizes_and_resumes(
        tmp_path: Path, run_devnet: Any) -> None:
    data_dir, base_port = tmp_path / "net", free_devnet_base_port(NODES)
    options = ("--base-port", str(base_port), "--p2p-base-port", str(free_port_block(NODES)))
    # Five-block epochs: a batch closes at its epoch's end, so the first one lands soon.
    run, manifest = run_devnet(data_dir, "--nodes", str(NODES), "--epoch-length", "5",
                               *options)
    l1_url = f"http://127.0.0.1:{base_port + DEV_L1_PORT_OFFSET}"
    genesis = check_staked_devnet(data_dir, manifest, l1_url, [DEVNET_SEQUENCER_STAKE] * NODES)
    assert genesis.l1 is not None and genesis.l1.chain_id == 900
    assert manifest["l1"]["devChainPid"] > 0
    wait_final(manifest)
    output = run.output
    for line in ("L1: starting the dev chain", "L1: deploying the staking contracts",
                 f"locking pool {manifest['l1']['lockingPool']}", f"L1: {l1_url}",
                 f"L1: rollup inbox {manifest['l1']['inbox']}",
                 f"batches are posted to the rollup inbox {manifest['l1']['inbox']}"):
        assert line in output, output
    # The dev L1 refuses blob transactions: the batches land as calldata.
    node_url = manifest["nodes"][0]["rpc"]
    wait_for(lambda: last_batch_index(node_url) is not None, timeout=120)
    assert asyncio.run(inbox_next_index(l1_url, manifest["l1"]["inbox"])) >= 1
    assert run.stop() == 0
    output = run.output
    assert "L1 dev chain stopped (exit code 0)" in output, output
    assert output.index("node 3 stopped") < output.index("L1 dev chain stopped")

    # The same chain again: the dev L1 keeps its state, nothing is deployed twice.
    files = {name: (data_dir / name).read_text() for name in ("genesis.json", "l1.json")}
    again, resumed = run_devnet(data_dir, *options)
    assert "L1: resuming on locking pool" in again.output
    assert "deploying" not in again.output
    assert resumed["l1"] == {**manifest["l1"], "devChainPid": resumed["l1"]["devChainPid"]}
    assert {name: (data_dir / name).read_text() for name in files} == files
    start = max(finalized(node["rpc"]) for node in resumed["nodes"])
    wait_for(lambda: all(finalized(node["rpc"]) > start for node in resumed["nodes"]),
             timeout=60)
    assert again.stop() == 0


def test_devnet_on_anvil_with_a_deployer_key_file(tmp_path: Path, ticking_anvil: str,
                                                  run_devnet: Any) -> None:
    key_file = tmp_path / "deployer.key"
    key_file.write_text(DEPLOYER_KEY.hex() + "\n")
    key_file.chmod(0o600)
    rpc(ticking_anvil, "anvil_setBalance", key_address(DEPLOYER_KEY), hex(100 * 10**18))
    data_dir = tmp_path / "net"
    run, manifest = run_devnet(
        data_dir, "--nodes", "3", "--stakes", "20000,30000,100000", "--base-port",
        str(free_port_block(3)), "--p2p-base-port", str(free_port_block(3)),
        "--l1-rpc", ticking_anvil, "--l1-deployer-key-file", str(key_file))
    genesis = check_staked_devnet(data_dir, manifest, ticking_anvil,
                                  [20_000 * TOKEN, 30_000 * TOKEN, 100_000 * TOKEN])
    assert genesis.l1 is not None and genesis.l1.chain_id == ANVIL_CHAIN_ID
    assert manifest["l1"]["devChainPid"] is None
    assert not (data_dir / "l1").exists()  # no dev chain was started
    wait_final(manifest)
    assert DEPLOYER_KEY.hex() not in run.output
    assert f"deploying the staking contracts from {key_address(DEPLOYER_KEY).lower()}" in \
        run.output
    assert run.stop() == 0
