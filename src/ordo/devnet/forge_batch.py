"""``ordo devnet-forge-batch``: corrupt an output root on a devnet, with the devnet's own keys.

A demonstration and test of the dispute game, never a production switch: it reads the signer
keys from a devnet data directory (``node-i/signer.key``) and refuses keys that the devnet's
``l1.json`` does not list as its staked sequencers, so it signs only where the keys are test keys
on disk anyway.

It takes the next batch's blocks from a node (the final blocks after the inbox's last batch, read
over JSON-RPC), signs a header over them whose output root is wrong with the smallest set of
devnet keys holding more than 2/3 of the stake (a colluding majority: those are the signers the
game slashes), and submits it from dev account 0 (the devnet's deployer on the dev L1; anvil
funds it too), or from the first signer's account where that has no ETH. Not from a signer when
avoidable: the node of that signer sends from the same account, and two senders of one account
only slow each other's nonces.

How it wins the race with the nodes' batchers: the nodes post a batch only once its L2 epoch is
complete (``batch_plan``: a batch never spans two epochs and closes at the epoch's end), so the
forged batch covers the final blocks of the *current, unfinished* epoch, ending before the
epoch's last block: the nodes cannot have posted those blocks yet. If a node's batch lands
first anyway (the epoch ended while forging), the inbox moved on: the forger reads it again and
forges over the next blocks, a few times at most.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from ordo.batcher.batch_attestations import attest
from ordo.batcher.batch_header import batch_digest
from ordo.batcher.batch_plan import BatchRange, FinalBlock, PlanRules, plan_headers
from ordo.consensus import LocalSigner
from ordo.core.batch_blocks import BatchBlock
from ordo.core.block_extra import decode_anchored_extra
from ordo.core.genesis import dev_private_keys
from ordo.devnet.l1_record import DevnetL1Record, load_record
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.provision import DevnetSetupError, load_genesis, load_signer_key
from ordo.keys.key_file import key_address
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import inbox_at
from ordo.l1.rpc_errors import L1Error, L1RpcError
from ordo.l1.wire_values import data, object_of, quantity

FORGE_ATTEMPTS = 5
POSTER_MIN_BALANCE = 10**16
"""Dev account 0 posts when it holds this much (0.01 ETH covers a batch on a devnet)."""
RETRY_S = 1.0
RECEIPT_TIMEOUT_S = 60.0


class ForgeError(Exception):
    """Why no batch was forged; the message says what to do."""


@dataclass(frozen=True)
class ForgedBatch:
    index: int
    first_block: int
    last_block: int
    wrong_root: bytes
    right_root: bytes
    """The node's output root of ``last_block``: what the header should have said."""
    header_hash: bytes
    signers: tuple[bytes, ...]
    """The devnet signers whose keys signed it (the ones a lost game slashes)."""
    l1_transaction: bytes
    l1_block: int

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "firstBlock": self.first_block,
                "lastBlock": self.last_block, "wrongOutputRoot": "0x" + self.wrong_root.hex(),
                "rightOutputRoot": "0x" + self.right_root.hex(),
                "headerHash": "0x" + self.header_hash.hex(),
                "signers": ["0x" + signer.hex() for signer in self.signers],
                "l1Transaction": "0x" + self.l1_transaction.hex(), "l1Block": self.l1_block}


@dataclass(frozen=True)
class DevnetFiles:
    """What the forger reads from a devnet data directory."""

    l2_chain_id: int
    epoch_length: int
    inbox: bytes
    record: DevnetL1Record
    keys: tuple[bytes, ...]
    """Node i's signer key, checked to be sequencer i's signer in l1.json."""
    l1_url: str
    node_urls: tuple[str, ...]


def read_devnet(data_dir: Path) -> DevnetFiles:
    """The genesis, l1.json, devnet.json and the signer keys; refused unless they are one
    devnet's (each key is the signer l1.json lists for its node)."""
    layout = DevnetLayout(data_dir)
    if not layout.genesis_path.exists() or not layout.manifest_path.exists():
        raise ForgeError(f"{data_dir}: not a running devnet's data dir (no genesis.json or "
                         "devnet.json); start one with ordo devnet --data-dir DIR")
    try:
        genesis = load_genesis(layout.genesis_path)
        record = load_record(layout.l1_record_path)
    except DevnetSetupError as error:
        raise ForgeError(str(error)) from error
    if genesis.l1 is None or genesis.l1.inbox is None:
        raise ForgeError(f"{data_dir}: a devnet without an L1 inbox has no batches to forge")
    manifest = json.loads(layout.manifest_path.read_text())
    l1 = manifest.get("l1") or {}
    keys = []
    for index, sequencer in enumerate(record.sequencers):
        path = layout.signer_key_path(index)
        try:
            key = load_signer_key(path)
        except DevnetSetupError as error:
            raise ForgeError(str(error)) from error
        if key_address(key).lower() != "0x" + sequencer.signer.hex():
            raise ForgeError(f"{path}: not the signer {layout.l1_record_path} lists for node "
                             f"{index}: only a devnet's own keys are used")
        keys.append(key)
    return DevnetFiles(genesis.chain_id, genesis.consensus.epoch_length, genesis.l1.inbox,
                       record, tuple(keys), str(l1.get("rpc")),
                       tuple(str(node["rpc"]) for node in manifest.get("nodes", [])))


def wrong_root_for(right: bytes) -> bytes:
    """A root no chain has: the hash of the right one under a fixed label."""
    return keccak(b"ordo devnet forged output root" + right)


def colluding_keys(files: DevnetFiles) -> list[bytes]:
    """The fewest keys, in node order, holding more than 2/3 of the staked total."""
    total = sum(entry.stake for entry in files.record.sequencers)
    chosen, held = [], 0
    for key, entry in zip(files.keys, files.record.sequencers, strict=True):
        chosen.append(key)
        held += entry.stake
        if 3 * held > 2 * total:
            return chosen
    raise ForgeError("the devnet's keys do not hold more than 2/3 of the stake")


async def forge_batch(data_dir: Path, wrong_root: bytes | None = None,
                      node_url: str | None = None,
                      attempts: int = FORGE_ATTEMPTS) -> ForgedBatch:
    """Forge, sign and land the next batch with a wrong output root (``wrong_root``, or
    ``wrong_root_for`` the right one)."""
    files = read_devnet(data_dir)
    url = node_url or (files.node_urls[0] if files.node_urls else None)
    if url is None:
        raise ForgeError("devnet.json lists no node to read blocks from")
    async with L1Client(files.l1_url) as l1, L1Client(url) as node:
        for attempt in range(attempts):
            try:
                return await _forge_once(files, l1, node, wrong_root)
            except _Raced as raced:
                if attempt + 1 == attempts:
                    raise ForgeError(f"the nodes kept posting first ({raced}); try again") \
                        from raced
                await asyncio.sleep(RETRY_S)
    raise ForgeError("no attempt made")  # attempts < 1


class _Raced(Exception):
    """The inbox moved (or the epoch closed) while forging: read it again."""


async def _forge_once(files: DevnetFiles, l1: L1Client, node: L1Client,
                      wrong_root: bytes | None) -> ForgedBatch:
    inbox = inbox_at(l1, files.inbox)
    next_index = int(await inbox.call("next_index"))
    first = int(await inbox.call("last_block")) + 1
    epoch = int(await inbox.call("last_epoch")) if next_index else files.record.live_epoch
    final = quantity(object_of(await node.request("eth_getBlockByNumber", ["finalized", False]),
                               "block").get("number"), "block.number")
    rules = PlanRules(files.epoch_length)
    last = min(final, rules.epoch_last_block(first) - 1)
    if last < first:
        raise _Raced(f"no final block of L2 epoch {rules.epoch_of(first)} after the inbox's "
                     f"block {first - 1} is left unposted yet (final head {final})")
    blocks = [await _final_block(node, number) for number in range(first, last + 1)]
    extra = decode_anchored_extra(blocks[-1].batch_block.extra_data)
    planned = plan_headers(next_index, BatchRange(tuple(blocks)), epoch,
                           0 if extra is None else extra.forced_through)
    right = blocks[-1].output_root
    header = replace(planned.calldata_header, output_root=wrong_root or wrong_root_for(right))
    keys = colluding_keys(files)
    signers = sorted((LocalSigner(key) for key in keys), key=lambda signer: signer.address)
    signatures = [attest(signer, header, files.l2_chain_id, files.inbox).signature
                  for signer in signers]
    poster = await _poster(l1, keys[0])
    call = inbox.encode_call("submit_batch", header.as_abi_tuple(), signatures, planned.payload)
    try:
        sent = await poster.send_transaction(files.inbox, call)
    except L1RpcError as error:
        raise _Raced(f"the inbox refused it: {error.revert_reason or error.message}") from error
    receipt = await l1.wait_for_receipt(sent.tx_hash, timeout=RECEIPT_TIMEOUT_S)
    digest = batch_digest(header, files.l2_chain_id, files.inbox)
    if not receipt.succeeded:
        raise _Raced(f"transaction 0x{sent.tx_hash.hex()} reverted in L1 block "
                     f"{receipt.block_number}")
    if bytes(await inbox.call("batch_hash", next_index)) != digest:
        raise ForgeError(f"batch {next_index} landed with another header than the forged one")
    return ForgedBatch(next_index, first, last, header.output_root, right, digest,
                       tuple(signer.address for signer in signers), sent.tx_hash,
                       receipt.block_number)


async def _poster(l1: L1Client, signer_key: bytes) -> LocalAccount:
    dev = LocalAccount(l1, dev_private_keys(1)[0])
    if await l1.get_balance(dev.address) >= POSTER_MIN_BALANCE:
        return dev
    return LocalAccount(l1, signer_key)


async def _final_block(node: L1Client, number: int) -> FinalBlock:
    """Block ``number`` as the batch plan takes it, read from a node: header fields, each
    transaction's raw bytes, and the node's output root of it."""
    try:
        block = object_of(await node.request("eth_getBlockByNumber", [hex(number), False]),
                          "block")
        raw = [data(await node.request("eth_getRawTransactionByHash", [tx_hash]), "raw tx")
               for tx_hash in _hashes(block.get("transactions"))]
        output = object_of(await node.request("ordo_outputAtBlock", [hex(number)]), "output")
    except (L1Error, ValueError) as error:
        raise ForgeError(f"reading L2 block {number} from the node: {error}") from error
    extra = data(block.get("extraData"), "block.extraData")
    batch_block = BatchBlock(
        number=number, timestamp=quantity(block.get("timestamp"), "block.timestamp"),
        coinbase=data(block.get("miner"), "block.miner"),
        gas_limit=quantity(block.get("gasLimit"), "block.gasLimit"), extra_data=extra,
        mix_hash=data(block.get("mixHash"), "block.mixHash"), transactions=tuple(raw),
        l1_fee_word=data(block.get("parentBeaconBlockRoot", "0x" + "00" * 32),
                         "block.parentBeaconBlockRoot"))
    return FinalBlock(batch_block, data(block.get("hash"), "block.hash"),
                      data(output.get("outputRoot"), "output.outputRoot"), extra[:20])


def _hashes(value: Any) -> Sequence[str]:
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ForgeError("the node's block lists no transaction hashes")
    return value
