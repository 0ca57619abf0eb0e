"""Load generator: sustained signed transfers against an Ordo node or anvil, over JSON-RPC only.

It measures what a user of the network feels (transactions included per second under load, the
time from submitting a transaction to seeing it in a block) and what the operator pays (CPU
seconds of the node process per included transaction). The same run against anvil, a mature node
with the same chain settings, makes the numbers comparable.

Shape of a run: fund many sender accounts from the dev accounts (one transfer each, receipts
awaited), pre-sign all transfers, then let ``--concurrency`` workers send for ``--duration``
seconds while a poller watches new blocks; then wait for the rest to be included and print JSON.

Each worker owns a fixed subset of senders and sends each sender's transactions in nonce order;
no sender has more than ``--window`` transactions outstanding (sent, not yet in a block), so the
offered load follows what the node includes instead of piling up in its mempool. ``--rate`` paces
the workers to a target rate instead of sending as fast as the node answers.

A devnet is started with ``--l1 none`` by default: the numbers measure L2 throughput and stay
comparable with runs made before the devnet staked on an L1. ``--l1 dev`` runs it on the embedded
dev L1 instead, where the nodes also post their batches to the rollup inbox; the result then adds
the dev L1's CPU and the batches the nodes posted during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import rlp
from coincurve import PrivateKey
from eth_hash.auto import keccak

from ordo.devnet.ports import free_port, free_port_block

REPO_ROOT = Path(__file__).resolve().parent.parent
ANVIL_BINARY = REPO_ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
CHAIN_ID = 77077
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10
GWEI = 10**9
TRANSFER_GAS = 21_000
TIP = 1 * GWEI
MIN_FEE_CAP = 100 * GWEI
"""Generous fee cap: under full blocks the base fee rises 12.5% per block, and a transaction whose
cap falls below the base fee would wait forever and spoil the inclusion count."""
FUNDING_VALUE = 10 * 10**18
TOKEN_SOURCE = REPO_ROOT / "tests/native/Token.vy"
"""The ERC-20 of ``--workload erc20``: the differential corpus' token (balances, Transfer logs)."""
TOKEN_SUPPLY = 10**30
TOKEN_HANDOUT = 10**24
TOKEN_TRANSFER_GAS = 80_000
"""Gas limit of each token transfer: it uses about 35k (two warm slots written, one log); anvil
and Ordo both pack blocks by the gas the transactions use."""
TRANSFER_SELECTOR = keccak(b"transfer(address,uint256)")[:4]
STEADY_WINDOW_MIN_S = 20.0
RECEIPT_SAMPLE = 50


class LoadError(Exception):
    """The run cannot go on (a target did not start, funding failed); the message says why."""


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message


# --- signing -----------------------------------------------------------------------------------

def address_of(key: PrivateKey) -> bytes:
    return keccak(key.public_key.format(compressed=False)[1:])[-20:]


def sign_transfer(key: PrivateKey, chain_id: int, nonce: int, to: bytes, value: int,
                  max_fee: int, tip: int = TIP, data: bytes = b"",
                  gas: int = TRANSFER_GAS) -> tuple[bytes, bytes]:
    """An EIP-1559 transaction (a plain transfer unless ``data`` is given; ``to`` empty for a
    deployment) signed with coincurve (fast enough to pre-sign 100k in seconds); returns
    (raw transaction, transaction hash)."""
    fields: list[Any] = [chain_id, nonce, tip, max_fee, gas, to, value, data, []]
    digest = keccak(b"\x02" + rlp.encode(fields))
    signature = key.sign_recoverable(digest, hasher=None)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    raw = b"\x02" + rlp.encode([*fields, signature[64], r, s])
    return raw, keccak(raw)


def sender_keys(count: int) -> list[PrivateKey]:
    """Deterministic, so a second run on the same chain reuses (and tops up) the same senders."""
    return [PrivateKey(keccak(b"ordo-loadgen-sender" + index.to_bytes(4, "big")))
            for index in range(count)]


def dev_keys() -> list[PrivateKey]:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return [PrivateKey(bytes(Account.from_mnemonic(
        DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key))
        for index in range(DEV_ACCOUNTS)]


# --- statistics (pure) -------------------------------------------------------------------------

def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class SeenBlock:
    number: int
    seen_at: float
    ours: int


def steady_rate(blocks: Sequence[SeenBlock], start: float, end: float) -> float:
    """Our transactions included per second in blocks first seen within [start, end]."""
    if end <= start:
        return 0.0
    included = sum(block.ours for block in blocks if start <= block.seen_at <= end)
    return included / (end - start)


def steady_window(load_start: float, load_end: float) -> tuple[float, float]:
    """Skip the ramp-up: the first fifth of the load, at most 5 s."""
    warmup = min(5.0, (load_end - load_start) / 5)
    return load_start + warmup, load_end


# --- process CPU -------------------------------------------------------------------------------

def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])  # fields 14 and 15 of the whole line
    return ticks / os.sysconf("SC_CLK_TCK")


# --- JSON-RPC ----------------------------------------------------------------------------------

class Rpc:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url
        self._next_id = 0

    async def call(self, method: str, *params: Any) -> Any:
        self._next_id += 1
        body = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}
        async with self._session.post(self._url, json=body) as response:
            answer = await response.json(content_type=None)
        if not isinstance(answer, dict):
            raise RpcError(-1, f"malformed answer to {method}: {answer!r}"[:200])
        if "error" in answer:
            error = answer["error"] or {}
            raise RpcError(int(error.get("code", -1)), str(error.get("message", error)))
        return answer.get("result")


# --- targets -----------------------------------------------------------------------------------

@dataclass
class Target:
    name: str
    rpc_url: str
    pid: int
    process: subprocess.Popen[bytes] | None = None
    stop_signal: int = signal.SIGTERM
    workdir: tempfile.TemporaryDirectory[str] | None = None
    rpc_urls: list[str] = field(default_factory=list)
    """Every node's URL (a multi-node devnet); empty means just ``rpc_url``."""
    pids: list[int] = field(default_factory=list)
    final_tag: str = "latest"
    """Block tag of the newest final block: Ordo's blocks are final when their certificate is
    stored ("finalized"); anvil has no finality, so its head counts."""
    manifest_path: Path | None = None
    l1_pid: int | None = None
    """The embedded dev L1's process (``--l1 dev``)."""

    @property
    def urls(self) -> list[str]:
        return self.rpc_urls or [self.rpc_url]

    @property
    def node_pids(self) -> list[int]:
        return self.pids or [self.pid]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.workdir is not None:
            self.workdir.cleanup()


async def wait_for_rpc(url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        rpc = Rpc(session, url)
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise LoadError(f"{url}: the process exited with code {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, RpcError, OSError, ValueError):
                await rpc.call("eth_blockNumber")
                return
            await asyncio.sleep(0.2)
    raise LoadError(f"{url} did not answer eth_blockNumber within {timeout:g} s")


async def start_anvil(binary: Path) -> Target:
    if not binary.is_file():
        raise LoadError(f"anvil not found at {binary}; run `npm ci` in {REPO_ROOT}")
    port = free_port()
    process = subprocess.Popen(
        [str(binary), "--chain-id", str(CHAIN_ID), "--block-time", "1", "--host", "127.0.0.1",
         "--port", str(port), "--gas-limit", "30000000", "--base-fee", str(GWEI)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = Target("anvil", f"http://127.0.0.1:{port}", process.pid, process)
    try:
        await wait_for_rpc(target.rpc_url, process, timeout=60)
    except BaseException:
        target.stop()
        raise
    return target


def ordo_target_name(nodes: int) -> str:
    return "ordo" if nodes == 1 else f"ordo_{nodes}_nodes"


def ordo_devnet_command(data_dir: Path, nodes: int, block_time: float | None,
                        l1: str, engine: str | None = None) -> list[str]:
    """``ordo devnet`` on free ports; the dev L1 (``l1 == "dev"``) gets a free port of its own,
    since base port + 200 may be taken."""
    command = [sys.executable, "-m", "ordo", "devnet", "--nodes", str(nodes),
               "--data-dir", str(data_dir), "--base-port", str(free_port_block(nodes)),
               "--p2p-base-port", str(free_port_block(nodes)), "--l1", l1]
    if l1 == "dev":
        command += ["--l1-port", str(free_port())]
    if block_time is not None:
        command += ["--block-time", str(block_time)]
    if engine is not None:
        command += ["--engine", engine]
    return command


async def start_ordo_devnet(block_time: float | None, nodes: int = 1,
                            l1: str = "none", engine: str | None = None) -> Target:
    workdir = tempfile.TemporaryDirectory(prefix="ordo-loadgen-")
    data_dir = Path(workdir.name) / "devnet"
    command = ordo_devnet_command(data_dir, nodes, block_time, l1, engine)
    log = (Path(workdir.name) / "devnet.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    target = Target(ordo_target_name(nodes), "", 0, process, signal.SIGINT, workdir,
                    final_tag="finalized", manifest_path=data_dir / "devnet.json")
    try:
        manifest_path = data_dir / "devnet.json"
        deadline = time.monotonic() + 180
        while not manifest_path.exists():
            if process.poll() is not None:
                tail = (Path(workdir.name) / "devnet.log").read_text(errors="replace")[-2000:]
                raise LoadError(f"ordo devnet exited with code {process.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise LoadError("ordo devnet did not write devnet.json within 180 s")
            await asyncio.sleep(0.2)
        manifest = json.loads(manifest_path.read_text())
        listed = manifest["nodes"]
        target.l1_pid = (manifest.get("l1") or {}).get("devChainPid")
        target.rpc_urls = [node["rpc"] for node in listed]
        target.pids = [int(node["pid"]) for node in listed]
        target.rpc_url, target.pid = target.rpc_urls[0], target.pids[0]
        for url in target.rpc_urls:
            await wait_for_rpc(url, None, timeout=60)
    except BaseException:
        target.stop()
        raise
    finally:
        log.close()
    return target


@contextlib.asynccontextmanager
async def running_target(name: str, arguments: argparse.Namespace,
                         nodes: int = 1) -> AsyncIterator[Target]:
    if arguments.rpc is not None:
        yield Target(name, arguments.rpc, arguments.pid,
                     final_tag="finalized" if name == "ordo" else "latest")
        return
    if name == "anvil":
        target = await start_anvil(Path(arguments.anvil))
    else:
        # bench/failover.py shares this with its own options, which have no --engine
        target = await start_ordo_devnet(arguments.ordo_block_time, nodes, arguments.l1,
                                         getattr(arguments, "engine", None))
    try:
        yield target
    finally:
        target.stop()


# --- the load ----------------------------------------------------------------------------------

@dataclass
class Sender:
    key: PrivateKey
    address: bytes
    signed: list[tuple[bytes, bytes]] = field(default_factory=list)
    next_index: int = 0
    outstanding: int = 0
    failed: bool = False

    def can_send(self, window: int) -> bool:
        return not self.failed and self.next_index < len(self.signed) and self.outstanding < window

    def exhausted(self) -> bool:
        return self.failed or self.next_index >= len(self.signed)


@dataclass
class LoadState:
    submitted_at: dict[bytes, tuple[int, float]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    blocks: list[SeenBlock] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    included: int = 0
    included_hashes: list[bytes] = field(default_factory=list)
    progress: asyncio.Event = field(default_factory=asyncio.Event)


async def fund_senders(rpc: Rpc, chain_id: int, senders: list[Sender], max_fee: int) -> None:
    funders = dev_keys()
    hashes: list[bytes] = []

    async def fund_from(funder_index: int) -> None:
        funder = funders[funder_index]
        nonce = int(await rpc.call("eth_getTransactionCount",
                                   "0x" + address_of(funder).hex(), "pending"), 16)
        for sender in senders[funder_index::len(funders)]:
            raw, tx_hash = sign_transfer(funder, chain_id, nonce, sender.address, FUNDING_VALUE,
                                         max_fee)
            await rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
            hashes.append(tx_hash)
            nonce += 1

    await asyncio.gather(*(fund_from(index) for index in range(len(funders))))
    await await_receipts(rpc, hashes, "funding")


async def await_receipts(rpc: Rpc, hashes: Sequence[bytes], what: str) -> list[dict[str, Any]]:
    """Wait up to 120 s for every receipt; each must show success. Returns them in order."""
    pending = set(hashes)
    found: dict[bytes, dict[str, Any]] = {}
    deadline = time.monotonic() + 120
    while pending:
        if time.monotonic() > deadline:
            raise LoadError(f"{len(pending)} {what} transactions not included within 120 s")
        receipts = await asyncio.gather(*(rpc.call("eth_getTransactionReceipt", "0x" + h.hex())
                                          for h in pending))
        for tx_hash, receipt in zip(list(pending), receipts, strict=True):
            if receipt is not None:
                if int(receipt["status"], 16) != 1:
                    raise LoadError(f"{what} transaction 0x{tx_hash.hex()} failed")
                found[tx_hash] = receipt
                pending.discard(tx_hash)
        await asyncio.sleep(0.25)
    return [found[tx_hash] for tx_hash in hashes]


def token_creation_code() -> bytes:
    """The token's init code with its constructor argument (the supply), compiled by Vyper."""
    import vyper

    bytecode = vyper.compile_code(TOKEN_SOURCE.read_text(),
                                  output_formats=["bytecode"])["bytecode"]
    return bytes.fromhex(bytecode[2:]) + TOKEN_SUPPLY.to_bytes(32, "big")


def token_transfer_data(recipient: bytes, amount: int) -> bytes:
    return TRANSFER_SELECTOR + bytes(12) + recipient + amount.to_bytes(32, "big")


async def deploy_token(rpc: Rpc, chain_id: int, senders: list[Sender], max_fee: int) -> bytes:
    """Deploy the token from dev account 0 and hand every sender ``TOKEN_HANDOUT``; returns the
    token's address once every handout is in a block."""
    deployer = dev_keys()[0]
    nonce = int(await rpc.call("eth_getTransactionCount", "0x" + address_of(deployer).hex(),
                               "pending"), 16)
    raw, deploy_hash = sign_transfer(deployer, chain_id, nonce, b"", 0, max_fee,
                                     data=token_creation_code(), gas=1_500_000)
    await rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
    (receipt,) = await await_receipts(rpc, [deploy_hash], "token deployment")
    token = bytes.fromhex(receipt["contractAddress"][2:])
    hashes = []
    for index, sender in enumerate(senders):
        raw, tx_hash = sign_transfer(deployer, chain_id, nonce + 1 + index, token, 0, max_fee,
                                     data=token_transfer_data(sender.address, TOKEN_HANDOUT),
                                     gas=TOKEN_TRANSFER_GAS)
        await rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
        hashes.append(tx_hash)
    await await_receipts(rpc, hashes, "token handout")
    return token


async def presign(rpc: Rpc, chain_id: int, senders: list[Sender], per_sender: int,
                  max_fee: int, token: bytes | None = None) -> None:
    """``per_sender`` transfers for each sender to the next one: of 1 wei, or of one unit of
    ``token`` (an ERC-20 ``transfer``) when it is given."""
    nonces = await asyncio.gather(*(rpc.call("eth_getTransactionCount",
                                             "0x" + sender.address.hex(), "pending")
                                    for sender in senders))
    for index, (sender, nonce_hex) in enumerate(zip(senders, nonces, strict=True)):
        recipient = senders[(index + 1) % len(senders)].address
        first = int(nonce_hex, 16)
        if token is None:
            sender.signed = [sign_transfer(sender.key, chain_id, nonce, recipient, 1, max_fee)
                             for nonce in range(first, first + per_sender)]
        else:
            data = token_transfer_data(recipient, 1)
            sender.signed = [sign_transfer(sender.key, chain_id, nonce, token, 0, max_fee,
                                           data=data, gas=TOKEN_TRANSFER_GAS)
                             for nonce in range(first, first + per_sender)]


async def final_number(rpc: Rpc, final_tag: str) -> int:
    if final_tag == "latest":
        return int(await rpc.call("eth_blockNumber"), 16)
    block = await rpc.call("eth_getBlockByNumber", final_tag, False)
    return int(block["number"], 16) if block else -1


async def watch_blocks(rpc: Rpc, state: LoadState, senders: list[Sender], first_block: int,
                       stop: asyncio.Event, final_tag: str = "latest") -> None:
    """Count our transactions when the block holding them is first seen final."""
    next_number = first_block
    while not stop.is_set():
        head = await final_number(rpc, final_tag)
        while next_number <= head:
            block = await rpc.call("eth_getBlockByNumber", hex(next_number), False)
            if block is None:
                break
            seen_at = time.perf_counter()
            ours = 0
            for tx_hash_hex in block["transactions"]:
                tx_hash = bytes.fromhex(tx_hash_hex[2:])
                entry = state.submitted_at.pop(tx_hash, None)
                if entry is not None:
                    state.included_hashes.append(tx_hash)
                    sender_index, submitted = entry
                    senders[sender_index].outstanding -= 1
                    state.latencies.append(seen_at - submitted)
                    ours += 1
            state.included += ours
            state.blocks.append(SeenBlock(next_number, seen_at, ours))
            next_number += 1
            if ours:
                state.progress.set()
        await asyncio.sleep(0.05)


async def send_from(rpc: Rpc, state: LoadState, senders: list[Sender], owned: list[int],
                    window: int, end: float, interval: float | None) -> None:
    """One connection's worth of load: round-robin over its own senders, in nonce order each."""
    cursor = 0
    next_slot = time.perf_counter()
    while time.perf_counter() < end:
        ready = [index for index in owned if senders[index].can_send(window)]
        if not ready:
            if all(senders[index].exhausted() for index in owned):
                return
            state.progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.progress.wait(), timeout=0.2)
            continue
        if interval is not None:
            delay = next_slot - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            next_slot = max(next_slot + interval, time.perf_counter() - interval)
        index = ready[cursor % len(ready)]
        cursor += 1
        sender = senders[index]
        raw, tx_hash = sender.signed[sender.next_index]
        sender.next_index += 1
        submitted = time.perf_counter()
        state.submitted_at[tx_hash] = (index, submitted)
        sender.outstanding += 1
        try:
            answer = await rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
        except (RpcError, aiohttp.ClientError, OSError, ValueError) as error:
            # The node refused it; later nonces of this sender could never be included.
            state.submitted_at.pop(tx_hash, None)
            sender.outstanding -= 1
            sender.failed = True
            state.errors[str(error)[:160]] += 1
            continue
        if answer != "0x" + tx_hash.hex():
            state.errors[f"node returned hash {answer}, expected 0x{tx_hash.hex()}"] += 1
        state.sent += 1


async def run_load(target: Target, arguments: argparse.Namespace) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=arguments.concurrency + 8)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        rpc = Rpc(session, target.urls[0])
        node_rpcs = [Rpc(session, url) for url in target.urls]
        chain_id = int(await rpc.call("eth_chainId"), 16)
        latest = await rpc.call("eth_getBlockByNumber", "latest", False)
        base_fee = int(latest.get("baseFeePerGas") or "0x0", 16)
        max_fee = max(MIN_FEE_CAP, 4 * base_fee)
        senders = [Sender(key, address_of(key)) for key in sender_keys(arguments.senders)]
        progress(f"{target.name}: funding {len(senders)} senders at {target.rpc_url}")
        await fund_senders(rpc, chain_id, senders, max_fee)
        token = None
        if arguments.workload == "erc20":
            progress(f"{target.name}: deploying the token and handing it out")
            token = await deploy_token(rpc, chain_id, senders, max_fee)
        pool = arguments.max_txs or int(arguments.duration * (arguments.rate or 4000) * 1.1)
        per_sender = max(1, math.ceil(pool / len(senders)))
        progress(f"{target.name}: pre-signing {per_sender * len(senders)} transfers")
        await presign(rpc, chain_id, senders, per_sender, max_fee, token)

        state = LoadState()
        stop_watching = asyncio.Event()
        first_block = int(await rpc.call("eth_blockNumber"), 16) + 1
        watcher = asyncio.create_task(watch_blocks(rpc, state, senders, first_block,
                                                   stop_watching, target.final_tag))
        interval = arguments.concurrency / arguments.rate if arguments.rate else None
        progress(f"{target.name}: sending for {arguments.duration:g} s "
                 f"over {arguments.concurrency} connections to {len(node_rpcs)} node(s)")
        pids = target.node_pids
        cpu_before = [process_cpu_seconds(pid) for pid in pids]
        l1_cpu_before = None if target.l1_pid is None else process_cpu_seconds(target.l1_pid)
        batches_before = await posted_batches(node_rpcs) if target.l1_pid is not None else None
        own_cpu_before = time.process_time()
        load_start = time.perf_counter()
        end = load_start + arguments.duration
        # Worker w sends to node w mod N: every node takes submissions, as users would spread.
        await asyncio.gather(*(
            send_from(node_rpcs[worker % len(node_rpcs)], state, senders,
                      list(range(worker, len(senders), arguments.concurrency)),
                      arguments.window, end, interval)
            for worker in range(arguments.concurrency)))
        load_end = time.perf_counter()
        drain_deadline = time.monotonic() + arguments.drain_timeout
        while state.submitted_at and time.monotonic() < drain_deadline and not watcher.done():
            await asyncio.sleep(0.1)
        stop_watching.set()
        await watcher
        cpu_per_node = [process_cpu_seconds(pid) - before
                        for pid, before in zip(pids, cpu_before, strict=True)]
        own_cpu = time.process_time() - own_cpu_before
        l1_fields: dict[str, Any] = {}
        if target.l1_pid is not None and l1_cpu_before is not None and \
                batches_before is not None:
            batches_after = await posted_batches(node_rpcs)
            l1_fields = {"dev_l1_cpu_s": round(process_cpu_seconds(target.l1_pid)
                                               - l1_cpu_before, 3),
                         "l1_batches": {
                             "posted": batches_after["posted"] - batches_before["posted"],
                             "l1_gas": batches_after["l1_gas"] - batches_before["l1_gas"],
                             "last_batch_index": batches_after["last_batch_index"]}}

        failed_sample = await failed_receipts(rpc, state.included_hashes)

    window_start, window_end = steady_window(load_start, load_end)
    return {
        "target": target.name,
        "rpc": target.rpc_url,
        "sent": state.sent,
        "included": state.included,
        "rejected": sum(state.errors.values()),
        "errors": dict(state.errors.most_common(5)),
        "duration_s": round(load_end - load_start, 3),
        "tx_per_s": round(steady_rate(state.blocks, window_start, window_end), 1),
        "steady_window_s": round(window_end - window_start, 3),
        "steady_window_ok": window_end - window_start >= STEADY_WINDOW_MIN_S,
        "sent_per_s": round(state.sent / (load_end - load_start), 1),
        "latency_ms": {
            "p50": round(percentile(state.latencies, 0.50) * 1000, 1),
            "p99": round(percentile(state.latencies, 0.99) * 1000, 1),
        },
        **cpu_fields(cpu_per_node, state.included),
        "loadgen_cpu_s": round(own_cpu, 3),
        **l1_fields,
        "blocks": len(state.blocks),
        "receipts_checked": min(RECEIPT_SAMPLE, len(state.included_hashes)),
        "receipts_failed": failed_sample,
        "pool_exhausted": all(sender.exhausted() for sender in senders),
        "settings": {"senders": arguments.senders, "concurrency": arguments.concurrency,
                     "window": arguments.window, "rate": arguments.rate,
                     "duration": arguments.duration, "l1": arguments.l1,
                     "workload": arguments.workload},
    }


async def failed_receipts(rpc: Rpc, included: Sequence[bytes]) -> int:
    """Of ``RECEIPT_SAMPLE`` included transactions spread over the run, how many failed: an
    included token transfer that reverted would count as throughput without doing the work."""
    if not included:
        return 0
    step = max(1, len(included) // RECEIPT_SAMPLE)
    sample = list(included[::step])[:RECEIPT_SAMPLE]
    receipts = await asyncio.gather(*(rpc.call("eth_getTransactionReceipt", "0x" + h.hex())
                                      for h in sample))
    return sum(1 for receipt in receipts if receipt is None or int(receipt["status"], 16) != 1)


async def posted_batches(node_rpcs: Sequence[Rpc]) -> dict[str, Any]:
    """Batches the nodes posted to the inbox so far (from each ``ordo_status.l1.batcher``):
    the count and L1 gas summed over nodes, and the newest batch index any node saw land."""
    posted, gas, last = 0, 0, None
    for node in node_rpcs:
        batcher = ((await node.call("ordo_status")).get("l1") or {}).get("batcher") or {}
        posted += int(batcher.get("batchesPosted") or 0)
        gas += int(batcher.get("l1GasSpent") or 0)
        index = batcher.get("lastBatchIndex")
        if isinstance(index, int):
            last = index if last is None else max(last, index)
    return {"posted": posted, "l1_gas": gas, "last_batch_index": last}


def cpu_fields(cpu_per_node: Sequence[float], included: int) -> dict[str, Any]:
    """CPU per included transaction: of one node (the mean over nodes) and of all nodes."""
    def per_tx(seconds: float) -> float | None:
        return round(seconds / included, 6) if included else None

    fields: dict[str, Any] = {
        "cpu_s_per_tx": per_tx(sum(cpu_per_node) / len(cpu_per_node)),
        "node_cpu_s": round(sum(cpu_per_node) / len(cpu_per_node), 3),
    }
    if len(cpu_per_node) > 1:
        fields["cpu_s_per_tx_per_node"] = [per_tx(seconds) for seconds in cpu_per_node]
        fields["network_cpu_s_per_tx"] = per_tx(sum(cpu_per_node))
    return fields


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def compare(ordo: dict[str, Any], anvil: dict[str, Any]) -> dict[str, Any]:
    """Ordo divided by anvil, metric by metric."""
    return {
        "tx_per_s": ratio(ordo["tx_per_s"], anvil["tx_per_s"]),
        "latency_p50": ratio(ordo["latency_ms"]["p50"], anvil["latency_ms"]["p50"]),
        "latency_p99": ratio(ordo["latency_ms"]["p99"], anvil["latency_ms"]["p99"]),
        "cpu_s_per_tx": ratio(ordo["cpu_s_per_tx"], anvil["cpu_s_per_tx"]),
    }


def progress(message: str) -> None:
    print(f"loadgen: {message}", file=sys.stderr, flush=True)


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("ordo", "anvil", "both"), default="ordo")
    parser.add_argument("--rpc", help="URL of a running node to load instead of starting one")
    parser.add_argument("--pid", type=int, help="pid of that node's process (for CPU per tx)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32, help="connections sending")
    parser.add_argument("--window", type=int, default=16,
                        help="most transactions one sender has sent but not yet seen included")
    parser.add_argument("--rate", type=float, help="target tx/s (default: as fast as accepted)")
    parser.add_argument("--max-txs", type=int, help="transfers to pre-sign (default: enough)")
    parser.add_argument("--drain-timeout", type=float, default=120.0,
                        help="seconds to wait for the last transactions after the load")
    parser.add_argument("--anvil", default=str(ANVIL_BINARY), help="anvil binary")
    parser.add_argument("--ordo-block-time", type=float, help="--block-time for the Ordo node")
    parser.add_argument("--engine", choices=("auto", "native", "py-evm"),
                        help="--engine of the Ordo nodes (default: theirs, auto)")
    parser.add_argument("--l1", choices=("none", "dev"), default="none",
                        help="--l1 for the Ordo devnet: none (default; L2 throughput, "
                             "comparable with earlier runs) or dev (the embedded dev L1, "
                             "batches posted to the inbox)")
    parser.add_argument("--workload", choices=("transfer", "erc20"), default="transfer",
                        help="what each transaction does: a 1 wei transfer (default) or an "
                             "ERC-20 transfer of the token deployed first (tests/native/Token.vy)")
    parser.add_argument("--ordo-nodes", type=node_counts, default=(1, 4),
                        help="devnet sizes to load, comma-separated (default 1,4)")
    parser.add_argument("--failover-kills", type=int, default=5,
                        help="after a multi-node run, SIGKILL the producer this many times and "
                             "report the failover time (0: skip)")
    arguments = parser.parse_args(argv)
    if (arguments.rpc is None) != (arguments.pid is None):
        parser.error("--rpc and --pid go together")
    if arguments.rpc is not None and arguments.target == "both":
        parser.error("--rpc names one node; use --target ordo or --target anvil with it")
    if arguments.pid is not None and not Path(f"/proc/{arguments.pid}/stat").exists():
        parser.error(f"--pid {arguments.pid}: no such process")
    for name in ("duration", "senders", "concurrency", "window"):
        if getattr(arguments, name) <= 0:
            parser.error(f"--{name} must be positive")
    if arguments.rate is not None and arguments.rate <= 0:
        parser.error("--rate must be positive")
    if arguments.max_txs is not None and arguments.max_txs <= 0:
        parser.error("--max-txs must be positive")
    if arguments.failover_kills < 0:
        parser.error("--failover-kills must not be negative")
    if arguments.rpc is not None:
        arguments.ordo_nodes = (1,)
    return arguments


def node_counts(text: str) -> tuple[int, ...]:
    """``"1,4"`` -> (1, 4), for --ordo-nodes."""
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of node "
                                         "counts") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: node counts must be at least 1")
    return counts


async def main_async(arguments: argparse.Namespace) -> dict[str, Any]:
    runs: list[tuple[str, int]] = []
    if arguments.target in ("ordo", "both"):
        runs += [("ordo", nodes) for nodes in arguments.ordo_nodes]
    if arguments.target in ("anvil", "both"):
        runs.append(("anvil", 1))
    results: dict[str, dict[str, Any]] = {}
    for name, nodes in runs:  # one after the other: two at once on 2 cores would measure each other
        async with running_target(name, arguments, nodes) as target:
            result = await run_load(target, arguments)
            if nodes > 1 and arguments.failover_kills:
                from failover import measure_failover

                progress(f"{target.name}: killing the producer {arguments.failover_kills} times")
                result["failover"] = await measure_failover(target, arguments.failover_kills)
            results[target.name] = result
    if len(results) == 1:
        return next(iter(results.values()))
    if "anvil" in results:
        for name in [name for name in results if name.startswith("ordo")]:
            results[f"ratio_{name}_to_anvil"] = compare(results[name], results["anvil"])
    return results


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        result = asyncio.run(main_async(arguments))
    except (LoadError, RpcError, aiohttp.ClientError, OSError) as error:
        print(f"loadgen: error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
