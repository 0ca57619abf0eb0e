"""A devnet whose sequencer set lives on L1: stake on a new devnet, check the L1 on a resumed one.

A new devnet deploys the staking contracts and, next to them, the rollup's ForcedInclusionQueue
and RollupInbox (which the genesis names, so the nodes post their batches there and take forced
items from the queue), locks each node's stake (operator i is dev account
i + 1, its signer node i's signer key), gives every signer ETH for the evidence and keeper
transactions its node will send, freezes the set by advancing the pool's epoch, and waits until
that block is ``confirmations`` deep before naming it as the genesis's L1 origin: a shallower
origin could be reorganised away under the nodes.

A resumed devnet sends nothing: it checks that the L1 still holds the very origin block, pool and
inbox the genesis names (a restarted anvil forgets everything), so a node never starts against an
L1 that cannot give it its validator set or take its batches.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ordo.core.genesis import DEVNET_CHAIN_ID, ConsensusRules, Genesis, GenesisL1, devnet_genesis
from ordo.devnet.dispute_provision import deploy_devnet_game, devnet_game_params
from ordo.devnet.l1_record import DevnetL1Record, load_record, save_record
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.provision import (
    DEVNET_EPOCH_LENGTH,
    DevnetSetupError,
    DevnetShape,
    ProvisionedDevnet,
    existing_signer_key,
    load_genesis,
    new_signer_key,
    provisioned_node,
)
from ordo.keys.key_file import key_address, write_new_file
from ordo.l1.client import L1Client
from ordo.l1.deploy import (
    StakedSequencer,
    deploy_staking,
    devnet_operator_keys,
    stake_devnet_sequencers,
)
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import (
    DEVNET_CHALLENGE_WINDOW,
    DEVNET_MAX_DISPUTE_DURATION,
    DEVNET_SEQUENCER_TIMEOUT,
    DisputeGameParams,
    deploy_rollup,
    devnet_rollup_params,
)
from ordo.l1.rpc_errors import L1Error, L1RpcError
from ordo.l1.staking_params import (
    DEVNET_EXIT_DELAY,
    DEVNET_SEQUENCER_STAKE,
    TOKEN,
    StakingParams,
    devnet_staking_params,
)
from ordo.staking.pool_reader import read_current_set

ORIGIN_CONFIRMATIONS = 2
SIGNER_FUNDING = 10 * 10**18
"""ETH each signer gets for the transactions its node sends (evidence, epoch advances)."""
OPERATOR_MIN_BALANCE = 10**18
"""An operator below this (on an L1 that does not fund the dev accounts) is topped up to it."""
CONFIRMATION_TIMEOUT = 180.0
CONFIRMATION_POLL = 0.25
TEST_NODE_CLIENTS = ("anvil", "hardhat")
EXIT_MARGIN = 10
"""Seconds a devnet's exit delay keeps above challenge window + longest dispute."""
"""Clients that make blocks only for transactions and take evm_increaseTime / evm_mine."""
MAX_L1_NODES = 9
"""The dev accounts 1..9 are the operators (account 0 deploys)."""

ProgressLine = Callable[[str], None]


@dataclass(frozen=True)
class L1Devnet:
    devnet: ProvisionedDevnet
    record: DevnetL1Record
    url: str


def staking_params(challenge_window: int = DEVNET_CHALLENGE_WINDOW,
                   game: DisputeGameParams | None = None) -> StakingParams:
    """Devnet delays; the exit delay grows past the challenge window plus the longest dispute
    (the dispute game's longest game when there is one) when they are long (the inbox refuses a
    pool whose exit is quicker: a signer must not leave before a game over its batch ends)."""
    longest = DEVNET_MAX_DISPUTE_DURATION if game is None else game.max_game_duration()
    least_exit = challenge_window + longest + EXIT_MARGIN
    return devnet_staking_params(DEVNET_CHAIN_ID,
                                 exit_delay=max(DEVNET_EXIT_DELAY, least_exit))


def check_l1_shape(shape: DevnetShape) -> None:
    """Refuse, before anything starts, a shape the L1 cannot stake: too many nodes, or a stake
    outside the pool's lock range (``--stakes`` counts whole tokens on an L1)."""
    params = staking_params()
    if shape.new_node_count > MAX_L1_NODES:
        raise DevnetSetupError(
            f"--nodes {shape.new_node_count}: a devnet on an L1 stakes from dev accounts "
            f"1..{MAX_L1_NODES}, so it has at most {MAX_L1_NODES} nodes (or use --l1 none)")
    low, high = params.min_lock // TOKEN, params.max_lock // TOKEN
    for stake in shape.stakes or ():
        if not low <= stake <= high:
            raise DevnetSetupError(
                f"--stakes: {stake} is outside the locking pool's range; on an L1 each stake "
                f"is whole governance tokens from {low:,} to {high:,} (use --l1 none for "
                "abstract weights)")


def check_genesis_anchored(layout: DevnetLayout) -> None:
    """Refuse a data dir made by ``--l1 none`` before any L1 is started for it."""
    if not layout.genesis_path.exists():
        return
    if load_genesis(layout.genesis_path).l1 is None:
        raise DevnetSetupError(
            f"{layout.genesis_path}: this devnet was created without an L1 (its genesis lists "
            "the validators); run it with --l1 none, or use another --data-dir for a devnet "
            "on an L1")


async def provision_on_l1(layout: DevnetLayout, shape: DevnetShape, url: str,
                          deployer_key: bytes | None, progress: ProgressLine) -> L1Devnet:
    """Create the devnet's files and stake on the L1 at ``url``, or check a resumed one."""
    layout.root.mkdir(parents=True, exist_ok=True)
    async with L1Client(url) as client:
        chain_id = await client.chain_id()
        if layout.genesis_path.exists():
            return await _resume(client, layout, shape, url, chain_id, progress)
        if deployer_key is None:
            raise DevnetSetupError(
                f"--l1-rpc {url}: a new devnet deploys its staking contracts there; give a "
                "funded deployer key with --l1-deployer-key-file FILE or "
                "--l1-deployer-key-env NAME")
        return await _create(client, layout, shape, url, chain_id, deployer_key, progress)


async def _create(client: L1Client, layout: DevnetLayout, shape: DevnetShape, url: str,
                  chain_id: int, deployer_key: bytes, progress: ProgressLine) -> L1Devnet:
    created: list[Path] = []
    count = shape.new_node_count
    stakes = tuple(stake * TOKEN for stake in shape.stakes) if shape.stakes else \
        (DEVNET_SEQUENCER_STAKE,) * count
    signer_keys = [new_signer_key(layout, index, created) for index in range(count)]
    signers = [bytes.fromhex(key_address(key)[2:]) for key in signer_keys]
    deployer = LocalAccount(client, deployer_key)
    test_node = await _is_test_node(client)
    balance = await client.get_balance(deployer.address)
    if balance == 0:
        raise DevnetSetupError(f"L1 deployer 0x{deployer.address.hex()} has no ETH on L1 chain "
                               f"{chain_id} ({url}); fund it or give another deployer key")
    progress(f"L1: deploying the staking contracts from 0x{deployer.address.hex()}")
    window = shape.challenge_window or DEVNET_CHALLENGE_WINDOW
    game = devnet_game_params(shape.dispute_clock)
    deployment = await deploy_staking(client, deployer, staking_params(window, game))
    progress(f"L1: token 0x{deployment.token.hex()}, locking pool "
             f"0x{deployment.locking_pool.hex()} (L1 block {deployment.deploy_block})")
    rollup = await deploy_rollup(client, deployer, deployment, devnet_rollup_params(
        window, shape.sequencer_timeout or DEVNET_SEQUENCER_TIMEOUT, game))
    progress(f"L1: rollup inbox 0x{rollup.inbox.hex()}, forced-inclusion queue "
             f"0x{rollup.queue.hex()}, withdrawal portal 0x{(rollup.portal or b'').hex()} "
             f"(L1 block {rollup.deploy_block}, challenge window {window} s)")
    operator_keys = devnet_operator_keys(count)
    await _fund(client, deployer, signers, operator_keys)
    progress(f"L1: each of the {count} signers got {SIGNER_FUNDING // 10**18} ETH; locking "
             "stake and freezing the set")
    staking = await stake_devnet_sequencers(client, deployment, deployer, signers, stakes,
                                            operator_keys=operator_keys, time_travel=test_node)
    origin = await client.block_number()
    progress(f"L1: epoch {staking.live_epoch} holds the {count} sequencers; waiting for L1 "
             f"block {origin} to be {ORIGIN_CONFIRMATIONS} blocks deep")
    await _wait_confirmed(client, origin, ORIGIN_CONFIRMATIONS, mine=test_node)
    block = await client.get_block(origin)
    if block is None:
        raise DevnetSetupError(f"L1 block {origin} vanished from {url}")
    await _check_set(client, deployment.locking_pool, origin, staking.sequencers)
    genesis = devnet_genesis(
        consensus=ConsensusRules(epoch_length=shape.epoch_length or DEVNET_EPOCH_LENGTH),
        l1=GenesisL1(chain_id=chain_id, locking_pool=deployment.locking_pool,
                     origin_number=origin, origin_hash=block.hash,
                     confirmations=ORIGIN_CONFIRMATIONS, inbox=rollup.inbox,
                     forced_queue=rollup.queue))
    progress("L1: deploying the one-step verifier and the dispute game "
             f"({game.max_clock_duration} s per side)")
    rollup = await deploy_devnet_game(client, deployer, deployment, rollup, genesis, game)
    progress(f"L1: dispute game 0x{(rollup.dispute_game or b'').hex()}, step verifier "
             f"0x{(rollup.step_verifier or b'').hex()} (longest game "
             f"{game.max_game_duration()} s)")
    record = DevnetL1Record(chain_id, deployment, staking.sequencers, staking.live_epoch,
                            origin, block.hash, rollup)
    save_record(layout.l1_record_path, record)
    # The genesis last: its presence is what makes the devnet resumable.
    write_new_file(layout.genesis_path, json.dumps(genesis.to_json(), indent=2) + "\n",
                   mode=0o644)
    created += [layout.l1_record_path, layout.genesis_path]
    nodes = tuple(provisioned_node(layout, index, key, stake, created)
                  for index, (key, stake) in enumerate(zip(signer_keys, stakes, strict=True)))
    return L1Devnet(ProvisionedDevnet(genesis, layout.genesis_path, nodes, tuple(created)),
                    record, url)


async def _resume(client: L1Client, layout: DevnetLayout, shape: DevnetShape, url: str,
                  chain_id: int, progress: ProgressLine) -> L1Devnet:
    check_genesis_anchored(layout)
    genesis = load_genesis(layout.genesis_path)
    anchor = genesis.l1
    assert anchor is not None
    record = load_record(layout.l1_record_path)
    recorded_rollup = (None, None) if record.rollup is None else (record.rollup.inbox,
                                                                  record.rollup.queue)
    if (record.chain_id, record.deployment.locking_pool, *recorded_rollup) != \
            (anchor.chain_id, anchor.locking_pool, anchor.inbox, anchor.forced_queue):
        raise DevnetSetupError(f"{layout.l1_record_path}: names another L1 chain, pool, inbox "
                               f"or forced-inclusion queue than {layout.genesis_path}; restore "
                               "the matching file")
    _check_resumable(layout, genesis, record, shape)
    if chain_id != anchor.chain_id:
        raise DevnetSetupError(f"L1 {url} has chain id {chain_id}, but this devnet's genesis is "
                               f"anchored to L1 chain {anchor.chain_id}; use that L1")
    block = await client.get_block(anchor.origin_number)
    if block is None or block.hash != anchor.origin_hash or \
            not await client.get_code(anchor.locking_pool):
        raise DevnetSetupError(
            f"L1 {url} does not hold this devnet's origin block {anchor.origin_number} "
            f"(0x{anchor.origin_hash.hex()}) and locking pool 0x{anchor.locking_pool.hex()}: "
            f"it was reset or is another chain; remove {layout.root} to start a new devnet")
    game = None if record.rollup is None else record.rollup.dispute_game
    for address, name in ((anchor.inbox, "rollup inbox"),
                          (anchor.forced_queue, "forced-inclusion queue"),
                          (game, "dispute game")):
        if address is not None and not await client.get_code(address):
            raise DevnetSetupError(
                f"L1 {url} has no code at this devnet's {name} 0x{address.hex()}: it was reset "
                f"or is another chain; remove {layout.root} to start a new devnet")
    inbox_text = "" if anchor.inbox is None else \
        f", rollup inbox 0x{anchor.inbox.hex()}"
    progress(f"L1: resuming on locking pool 0x{anchor.locking_pool.hex()}{inbox_text} (L1 "
             f"chain {chain_id}, origin block {anchor.origin_number})")
    created: list[Path] = []
    nodes = []
    for index, sequencer in enumerate(record.sequencers):
        key = existing_signer_key(layout, index, "0x" + sequencer.signer.hex(),
                                  layout.l1_record_path)
        nodes.append(provisioned_node(layout, index, key, sequencer.stake, created))
    return L1Devnet(ProvisionedDevnet(genesis, layout.genesis_path, tuple(nodes),
                                      tuple(created)), record, url)


def _check_resumable(layout: DevnetLayout, genesis: Genesis, record: DevnetL1Record,
                     shape: DevnetShape) -> None:
    held = len(record.sequencers)
    resume_hint = "drop the option to resume it, or use another --data-dir"
    if shape.nodes is not None and shape.nodes != held:
        raise DevnetSetupError(f"--nodes {shape.nodes}: {layout.root} holds a {held}-node "
                               f"devnet ({layout.l1_record_path} lists {held} sequencers); "
                               f"{resume_hint}")
    stakes = tuple(sequencer.stake for sequencer in record.sequencers)
    if shape.stakes is not None and tuple(stake * TOKEN for stake in shape.stakes) != stakes:
        held_text = ",".join(f"{stake / TOKEN:g}" for stake in stakes)
        raise DevnetSetupError(f"--stakes {','.join(map(str, shape.stakes))}: this devnet "
                               f"locked {held_text} tokens; {resume_hint}")
    epoch_length = genesis.consensus.epoch_length
    if shape.epoch_length is not None and shape.epoch_length != epoch_length:
        raise DevnetSetupError(f"--epoch-length {shape.epoch_length}: {layout.genesis_path} "
                               f"fixes it at {epoch_length}; {resume_hint}")
    if shape.dispute_clock is not None:
        raise DevnetSetupError(f"--dispute-clock {shape.dispute_clock}: the dispute game of "
                               f"this devnet is deployed already; {resume_hint}")
    if shape.sequencer_timeout is not None:
        raise DevnetSetupError(f"--sequencer-timeout {shape.sequencer_timeout}: the inbox of "
                               f"this devnet is deployed already; {resume_hint}")
    held_window = None if record.rollup is None else record.rollup.challenge_window
    if shape.challenge_window is not None and shape.challenge_window != held_window:
        window_text = "has no withdrawal portal" if held_window is None else \
            f"deployed its inbox with a {held_window} s window"
        raise DevnetSetupError(f"--challenge-window {shape.challenge_window}: this devnet "
                               f"{window_text}; {resume_hint}")


async def _is_test_node(client: L1Client) -> bool:
    """anvil or hardhat: blocks only for transactions, so time must be moved and blocks
    mined by hand; a real node (or the dev L1, which mines every second) just waits."""
    try:
        version = await client.request("web3_clientVersion", [])
    except L1RpcError:
        return False
    return isinstance(version, str) and version.lower().startswith(TEST_NODE_CLIENTS)


async def _fund(client: L1Client, deployer: LocalAccount, signers: Sequence[bytes],
                operator_keys: Sequence[bytes]) -> None:
    payments = [(signer, SIGNER_FUNDING) for signer in signers]
    for key in operator_keys:
        operator = LocalAccount(client, key).address
        balance = await client.get_balance(operator)
        if balance < OPERATOR_MIN_BALANCE:
            payments.append((operator, OPERATOR_MIN_BALANCE - balance))
    sent = [await deployer.send_transaction(receiver, value=amount)
            for receiver, amount in payments]
    receipts = await asyncio.gather(*(client.wait_for_receipt(entry.tx_hash)
                                      for entry in sent))
    for receipt, (receiver, _) in zip(receipts, payments, strict=True):
        if not receipt.succeeded:
            raise L1Error(f"sending ETH to 0x{receiver.hex()} failed in L1 block "
                          f"{receipt.block_number}")


async def _wait_confirmed(client: L1Client, number: int, confirmations: int,
                          mine: bool) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CONFIRMATION_TIMEOUT
    while (await client.block_number()) < number + confirmations - 1:
        if mine:
            await client.request("evm_mine", [])
            continue
        if loop.time() >= deadline:
            raise L1Error(f"L1 block {number} not {confirmations} blocks deep after "
                          f"{CONFIRMATION_TIMEOUT:g} s: is the L1 making blocks?")
        await asyncio.sleep(CONFIRMATION_POLL)


async def _check_set(client: L1Client, pool: bytes, origin: int,
                     sequencers: Sequence[StakedSequencer]) -> None:
    """The genesis promises the nodes this set at the origin: make sure the pool agrees."""
    epoch_set = await read_current_set(client, pool, origin)
    found = sorted((member.signer, member.stake) for member in epoch_set.validators)
    expected = sorted((entry.signer, entry.stake) for entry in sequencers)
    if found != expected:
        raise DevnetSetupError(f"the locking pool 0x{pool.hex()} holds {len(found)} sequencers "
                               f"at L1 block {origin}, not the {len(expected)} just staked; "
                               "another account changed it meanwhile")
