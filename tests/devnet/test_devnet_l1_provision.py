"""Provisioning a devnet on an L1 (anvil), in-process: a resumed data dir reuses its pool and
keys and sends nothing, options that contradict it are refused, an L1 that lost the devnet's
state is reported, and a data dir made for the other kind of devnet is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ordo.cli import main
from ordo.core.genesis import Genesis, GenesisL1, devnet_genesis
from ordo.devnet.dispute_provision import devnet_game_params
from ordo.devnet.l1_provision import provision_on_l1
from ordo.devnet.l1_record import DevnetL1Record, load_record
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.provision import DevnetSetupError, DevnetShape, provision
from ordo.execution.genesis_output import genesis_output_root
from ordo.l1.abi_codec import ContractAbi
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.deploy import devnet_operator_keys, pool_handle
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import DEVNET_CHALLENGE_WINDOW, game_at, inbox_at
from ordo.l1.staking_params import TOKEN
from ordo.l1.step_verifier_deploy import BLOCK_START, ROUTER
from tests.l1.conftest import (  # noqa: F401  (fixtures pytest finds by name)
    Endpoint,
    anvil_endpoint,
    anvil_process,
)
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID

DEPLOYER_KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")


async def test_resumed_devnet_reuses_its_pool_and_refuses_what_contradicts_it(
        tmp_path: Path, anvil_endpoint: Endpoint) -> None:  # noqa: F811
    layout, url, lines = DevnetLayout(tmp_path / "net"), anvil_endpoint.url, list[str]()
    created = await provision_on_l1(layout, DevnetShape(nodes=2, stakes=(20_000, 25_000)), url,
                                    DEPLOYER_KEY, lines.append)
    assert created.devnet.genesis.l1 is not None
    assert created.devnet.genesis.l1.chain_id == ANVIL_CHAIN_ID
    assert [node.stake for node in created.devnet.nodes] == [20_000 * TOKEN, 25_000 * TOKEN]
    assert load_record(layout.l1_record_path) == created.record
    rollup = created.record.rollup
    assert rollup is not None and rollup.deploy_block > created.record.deployment.deploy_block
    anchor = created.devnet.genesis.l1
    assert (anchor.inbox, anchor.forced_queue) == (rollup.inbox, rollup.queue)
    assert rollup.deploy_block < anchor.origin_number  # deployed before the origin was chosen
    operators = [LocalAccount(L1Client(url), key).address for key in devnet_operator_keys(2)]
    assert [entry.operator for entry in created.record.sequencers] == operators
    async with L1Client(url) as client:
        for node in created.devnet.nodes:  # signers can pay for evidence and epoch advances
            assert await client.get_balance(bytes.fromhex(node.signer_address[2:])) == 10**19
        head = await client.block_number()

        lines.clear()
        resumed = await provision_on_l1(layout, DevnetShape(), url, None, lines.append)
        assert resumed.devnet.nodes == created.devnet.nodes
        assert resumed.devnet.created == ()
        assert resumed.record == created.record
        assert await client.block_number() == head  # nothing was sent
        pool = created.record.deployment.locking_pool
        assert lines == [f"L1: resuming on locking pool 0x{pool.hex()}, rollup inbox "
                         f"0x{rollup.inbox.hex()} (L1 chain {ANVIL_CHAIN_ID}, origin block "
                         f"{created.record.origin_number})"]
        async with L1Client(url) as reader:  # the inbox points at the pool, the pool at it
            assert await inbox_at(reader, rollup.inbox).call("pool") == "0x" + pool.hex()
            assert await pool_handle(reader, created.record.deployment).call("inbox") == \
                "0x" + rollup.inbox.hex()
            await _check_dispute_game(reader, created.record, created.devnet.genesis)

        for shape, problem in ((DevnetShape(nodes=3), "--nodes 3: "),
                               (DevnetShape(stakes=(20_000, 20_000)),
                                "this devnet locked 20000,25000 tokens"),
                               (DevnetShape(epoch_length=5), "--epoch-length 5: ")):
            with pytest.raises(DevnetSetupError, match=problem):
                await provision_on_l1(layout, shape, url, None, lines.append)

        code = await client.get_code(rollup.inbox)
        await client.request("anvil_setCode", ["0x" + rollup.inbox.hex(), "0x"])
        with pytest.raises(DevnetSetupError, match=f"no code at this devnet's rollup inbox "
                                                   f"0x{rollup.inbox.hex()}"):
            await provision_on_l1(layout, DevnetShape(), url, None, lines.append)
        await client.request("anvil_setCode", ["0x" + rollup.inbox.hex(), "0x" + code.hex()])
        await provision_on_l1(layout, DevnetShape(), url, None, lines.append)
        game = rollup.dispute_game
        assert game is not None
        code = await client.get_code(game)
        await client.request("anvil_setCode", ["0x" + game.hex(), "0x"])
        with pytest.raises(DevnetSetupError, match=f"no code at this devnet's dispute game "
                                                   f"0x{game.hex()}"):
            await provision_on_l1(layout, DevnetShape(), url, None, lines.append)
        await client.request("anvil_setCode", ["0x" + game.hex(), "0x" + code.hex()])
        with pytest.raises(DevnetSetupError, match="--dispute-clock 5: the dispute game of "
                                                   "this devnet is deployed already"):
            await provision_on_l1(layout, DevnetShape(dispute_clock=5), url, None,
                                  lines.append)

        await client.request("anvil_reset", [])
        with pytest.raises(DevnetSetupError, match="does not hold this devnet's origin block"):
            await provision_on_l1(layout, DevnetShape(), url, None, lines.append)

    with pytest.raises(DevnetSetupError, match="give a funded deployer key"):
        await provision_on_l1(DevnetLayout(tmp_path / "other"), DevnetShape(), url, None,
                              lines.append)
    assert not (tmp_path / "other" / "genesis.json").exists()


async def test_a_data_dir_of_the_other_kind_of_devnet_is_refused(
        tmp_path: Path, anvil_endpoint: Endpoint) -> None:  # noqa: F811
    plain = DevnetLayout(tmp_path / "plain")
    provision(plain, DevnetShape(nodes=1))
    with pytest.raises(DevnetSetupError, match=r"created without an L1.*--l1 none"):
        await provision_on_l1(plain, DevnetShape(), anvil_endpoint.url, None, print)

    staked = DevnetLayout(tmp_path / "staked")
    staked.root.mkdir()
    devnet_genesis(l1=GenesisL1(900, b"\x11" * 20, 5, b"\x22" * 32)).save(staked.genesis_path)
    with pytest.raises(DevnetSetupError, match=r"locking pool 0x1111.* on L1 chain 900; run it "
                                               r"without --l1 none"):
        provision(staked, DevnetShape())
    with pytest.raises(DevnetSetupError, match=r"l1\.json: missing"):
        await provision_on_l1(staked, DevnetShape(), anvil_endpoint.url, None, print)


def test_ordo_devnet_refuses_a_genesis_only_data_dir_before_starting_an_l1(
        tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path / "plain")
    provision(layout, DevnetShape(nodes=1))
    result = CliRunner().invoke(main, ["devnet", "--data-dir", str(layout.root)])
    assert result.exit_code == 2
    assert "created without an L1 (its genesis lists the validators); run it with --l1 none" in \
        " ".join(result.output.split())
    assert not layout.dev_l1_dir.exists()


def test_a_damaged_l1_record_is_named(tmp_path: Path) -> None:
    path = tmp_path / "l1.json"
    good = {"chainId": 900, "deployment": {"token": "0x" + "11" * 20,
                                           "locking_pool": "0x" + "22" * 20, "deploy_block": 2},
            "sequencers": [{"operator": "0x" + "33" * 20, "signer": "0x" + "44" * 20,
                            "stake": "5"}],
            "liveEpoch": 1, "originNumber": 9, "originHash": "0x" + "55" * 32}
    path.write_text(json.dumps(good))
    record = load_record(path)
    assert DevnetL1Record.from_json(record.to_json()) == record
    assert record.rollup is None  # a devnet made before the rollup contracts: no batches
    rollup = {"inbox": "0x" + "66" * 20, "forcedQueue": "0x" + "77" * 20, "inboxDeployBlock": 3}
    path.write_text(json.dumps({**good, **rollup}))
    record = load_record(path)
    assert record.rollup is not None and record.rollup.deploy_block == 3
    assert DevnetL1Record.from_json(record.to_json()) == record
    for change, problem in (({"liveEpoch": -1}, "liveEpoch: -1 is not a non-negative"),
                            ({"originHash": "0x12"}, "originHash: '0x12' is not 0x and 64 hex"),
                            ({"sequencers": []}, "sequencers: expected a non-empty list"),
                            ({"inbox": "0x" + "66" * 20},
                             "has inbox but not forcedQueue, inboxDeployBlock"),
                            ({**rollup, "forcedQueue": "0x66"}, "forcedQueue: '0x66' is not"),
                            ({"sequencers": [{"operator": "0x" + "33" * 20}]},
                             r"sequencers\[0\]: missing signer")):
        path.write_text(json.dumps({**good, **change}))
        with pytest.raises(DevnetSetupError, match=problem):
            load_record(path)
    path.write_text("{")
    with pytest.raises(DevnetSetupError, match="not valid JSON"):
        load_record(path)


async def _check_dispute_game(reader: L1Client, record: DevnetL1Record,
                              genesis: Genesis) -> None:
    """The inbox and the pool name the game; it starts from the genesis output root, calls the
    real verifier (whose router answers a step), and its longest game fits the pool's exit."""
    rollup = record.rollup
    assert rollup is not None and rollup.dispute_game is not None
    assert rollup.step_verifier is not None
    game = game_at(reader, rollup.dispute_game)
    assert await inbox_at(reader, rollup.inbox).call("disputes") == \
        "0x" + rollup.dispute_game.hex()
    assert await pool_handle(reader, record.deployment).call("dispute_game") == \
        "0x" + rollup.dispute_game.hex()
    assert bytes(await game.call("genesis_output_root")) == genesis_output_root(genesis)
    assert await game.call("verifier") == "0x" + rollup.step_verifier.hex()
    params = devnet_game_params(None)
    assert int(await game.call("max_clock_duration")) == params.max_clock_duration
    assert int(await game.call("max_game_duration")) == params.max_game_duration()
    assert await reader.get_code(rollup.step_verifier)
    # block start reads the devnet's own forced queue, by the genesis's rules
    router = ContractHandle(reader, rollup.step_verifier,
                            ContractAbi.parse(compile_contract(ROUTER).abi))
    start_address = bytes.fromhex(str(await router.call("block_start"))[2:])
    block_start = ContractHandle(reader, start_address,
                                 ContractAbi.parse(compile_contract(BLOCK_START).abi))
    assert await block_start.call("queue") == "0x" + rollup.queue.hex()
    assert int(await block_start.call("chain_id")) == genesis.chain_id
    assert await block_start.call("anchored") is True
    exit_delay = int(await pool_handle(reader, record.deployment).call("exit_delay"))
    assert exit_delay > DEVNET_CHALLENGE_WINDOW + params.max_game_duration()
