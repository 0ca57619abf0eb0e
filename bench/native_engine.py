"""Native engine (revm) against py-evm and anvil: CPU per transfer and block execution time.

Engines: blocks of pre-signed transfers (and of ERC-20 transfers) are built with
``build_block`` and re-executed with ``execute_block`` by each engine over an in-memory store;
signing and decoding happen before the clock starts. Timed per block: the producer's
build_block plus committing its writes, and the validator's execute_block; CPU is the process's
CPU time (``time.process_time``), so it includes the Python around each engine.

anvil: the same number of transfers, signed for anvil's chain, sent with
eth_sendRawTransaction (JSON-RPC batches) to an anvil that mines only on evm_mine, one block per
batch; its CPU is read from /proc for the anvil process alone. It therefore includes anvil's RPC
decoding and its mempool, which the engine figures do not: the ratio is a lower bound on how far
the engine alone is from anvil's whole node.

Writes bench/results/native_engine-<UTC date>.json and prints it.

    .venv/bin/python bench/native_engine.py [--blocks 5] [--txs-per-block 200]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from ordo.core.genesis import Genesis, GenesisAccount, devnet_genesis
from ordo.core.native_loader import native_available
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.devnet.ports import free_port
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.native_engine import NativeEngine
from ordo.execution.state_source import MemoryKeyValueStore

ROOT = Path(__file__).resolve().parents[1]
ANVIL = ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
TOKEN = ROOT / "tests/native/Token.vy"
COINBASE = b"\xc0" * 20
GWEI = 10**9
ANVIL_CHAIN_ID = 31337
ENGINES: dict[str, type[PyEvmEngine]] = {"py-evm": PyEvmEngine, "native": NativeEngine}


def sender_keys(count: int) -> list[bytes]:
    return [(index + 1).to_bytes(32, "big") for index in range(count)]


def address_of(key: bytes) -> bytes:
    return bytes.fromhex(Account.from_key(key).address[2:])


def sign_raw(key: bytes, chain_id: int, nonce: int, to: bytes, data: bytes = b"",
             gas: int = 21_000, value: int = 1) -> bytes:
    fields: dict[str, Any] = {
        "chainId": chain_id, "nonce": nonce, "maxFeePerGas": 50 * GWEI,
        "maxPriorityFeePerGas": GWEI, "gas": gas, "value": value, "data": data,
    }
    if to:
        fields["to"] = to_checksum_address(to)
    return bytes(Account.sign_transaction(fields, key).raw_transaction)


def transfer_batches(keys: Sequence[bytes], blocks: int, per_block: int, chain_id: int,
                     first_nonce: int = 0) -> list[list[bytes]]:
    """Block b holds per_block plain transfers, each sender once per block in rotation."""
    nonces = dict.fromkeys(range(len(keys)), first_nonce)
    batches: list[list[bytes]] = []
    cursor = 0
    for _ in range(blocks):
        batch = []
        for _ in range(per_block):
            index = cursor % len(keys)
            cursor += 1
            batch.append(sign_raw(keys[index], chain_id, nonces[index],
                                  (0x100000 + index).to_bytes(20, "big")))
            nonces[index] += 1
        batches.append(batch)
    return batches


@dataclass
class EngineRun:
    build_cpu_s: float = 0.0
    build_wall_s: float = 0.0
    execute_cpu_s: float = 0.0
    execute_wall_s: float = 0.0
    txs: int = 0
    blocks: int = 0
    state_root: bytes = b""

    def summary(self) -> dict[str, Any]:
        return {
            "blocks": self.blocks,
            "txs": self.txs,
            "build_cpu_ms_per_tx": round(1000 * self.build_cpu_s / self.txs, 4),
            "build_ms_per_block": round(1000 * self.build_wall_s / self.blocks, 2),
            "execute_cpu_ms_per_tx": round(1000 * self.execute_cpu_s / self.txs, 4),
            "execute_ms_per_block": round(1000 * self.execute_wall_s / self.blocks, 2),
            "state_root": "0x" + self.state_root.hex(),
        }


def run_engine(engine_class: type[PyEvmEngine], genesis: Genesis,
               setup: Sequence[Sequence[DecodedTransaction]],
               timed: Sequence[Sequence[DecodedTransaction]]) -> EngineRun:
    """Untimed setup blocks, then timed blocks built by a producer and re-executed by a
    validator (each with its own store)."""
    producer_store, validator_store = MemoryKeyValueStore(), MemoryKeyValueStore()
    producer = engine_class(genesis, producer_store)
    validator = engine_class(genesis, validator_store)
    executed, writes = producer.genesis_block()
    producer_store.apply(writes)
    validator_store.apply(validator.genesis_block()[1])
    parent = executed.block.header
    run = EngineRun()
    for index, batch in enumerate([*setup, *timed]):
        timing = index >= len(setup)
        env = BlockEnvironment(coinbase=COINBASE, timestamp=int(parent.timestamp) + 1,
                               gas_limit=int(parent.gas_limit))
        cpu, wall = time.process_time(), time.perf_counter()
        result = producer.build_block(parent, batch, env)
        producer_store.apply(result.state_writes)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if result.skipped:
            raise SystemExit(f"benchmark transactions were skipped: {result.skipped[:3]}")
        block = result.executed.block
        cpu2, wall2 = time.process_time(), time.perf_counter()
        _replayed, replay_writes = validator.execute_block(parent, block)
        validator_store.apply(replay_writes)
        cpu2, wall2 = time.process_time() - cpu2, time.perf_counter() - wall2
        if timing:
            run.build_cpu_s += cpu
            run.build_wall_s += wall
            run.execute_cpu_s += cpu2
            run.execute_wall_s += wall2
            run.txs += len(block.transactions)
            run.blocks += 1
        parent = block.header
    run.state_root = bytes(parent.state_root)
    return run


def token_workload(keys: Sequence[bytes], genesis: Genesis, blocks: int, per_block: int
                   ) -> tuple[list[list[DecodedTransaction]], list[list[DecodedTransaction]]]:
    """Setup: deploy the corpus token and hand every sender some; timed: token transfers."""
    import vyper

    code = bytes.fromhex(vyper.compile_code(TOKEN.read_text(),
                                            output_formats=["bytecode"])["bytecode"][2:])
    deployer = keys[0]
    token = keccak(b"\xd6\x94" + address_of(deployer) + b"\x80")[12:]
    setup: list[list[DecodedTransaction]] = [[decode_transaction(sign_raw(
        deployer, genesis.chain_id, 0, b"", code + (10**30).to_bytes(32, "big"),
        gas=2_000_000, value=0))]]
    transfer = keccak(text="transfer(address,uint256)")[:4]
    handout = []
    for index, key in enumerate(keys):
        data = transfer + encode(["address", "uint256"], [address_of(key), 10**24])
        handout.append(decode_transaction(sign_raw(deployer, genesis.chain_id, index + 1, token,
                                                   data, gas=100_000, value=0)))
    setup.append(handout)
    nonces = dict.fromkeys(range(len(keys)), 0)
    nonces[0] = len(keys) + 1
    timed: list[list[DecodedTransaction]] = []
    cursor = 0
    for _ in range(blocks):
        batch = []
        for _ in range(per_block):
            index = cursor % len(keys)
            cursor += 1
            data = transfer + encode(["address", "uint256"],
                                     [(0x200000 + index).to_bytes(20, "big"), 1])
            batch.append(decode_transaction(sign_raw(keys[index], genesis.chain_id,
                                                     nonces[index], token, data,
                                                     gas=100_000, value=0)))
            nonces[index] += 1
        timed.append(batch)
    return setup, timed


# --- anvil -----------------------------------------------------------------------------------


def _rpc(url: str, payload: Any) -> Any:
    request = urllib.request.Request(url, json.dumps(payload).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_anvil(keys: Sequence[bytes], blocks: int, per_block: int) -> dict[str, Any]:
    """anvil's own CPU per transfer, one evm_mine per block of per_block transfers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([str(ANVIL), "--port", str(port), "--host", "127.0.0.1",
                                "--no-mining", "--silent", "--hardfork", "prague"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
                break
            except OSError:
                time.sleep(0.1)
        funding = [{"jsonrpc": "2.0", "id": i, "method": "anvil_setBalance",
                    "params": ["0x" + address_of(key).hex(), hex(10**24)]}
                   for i, key in enumerate(keys)]
        _rpc(url, funding)
        batches = transfer_batches(keys, blocks, per_block, ANVIL_CHAIN_ID)
        cpu = _cpu_seconds(process.pid)
        wall = time.perf_counter()
        sent = 0
        for batch in batches:
            calls = [{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction",
                      "params": ["0x" + raw.hex()]} for i, raw in enumerate(batch)]
            answers = _rpc(url, calls)
            errors = [a["error"] for a in answers if "error" in a]
            if errors:
                raise SystemExit(f"anvil refused transfers: {errors[:3]}")
            _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
            sent += len(batch)
        wall = time.perf_counter() - wall
        cpu = _cpu_seconds(process.pid) - cpu
        block = _rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber",
                           "params": ["latest", False]})["result"]
        included = len(block["transactions"])
        if included != per_block:
            raise SystemExit(f"anvil's last block holds {included} of {per_block} transfers")
        version = subprocess.run([str(ANVIL), "--version"], capture_output=True, text=True,
                                 check=False).stdout.splitlines()[0]
        return {"version": version, "txs": sent, "blocks": len(batches),
                "cpu_ms_per_tx": round(1000 * cpu / sent, 4),
                "ms_per_block_including_rpc": round(1000 * wall / len(batches), 2)}
    finally:
        process.terminate()
        process.wait(timeout=10)


def _git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False).stdout.strip()


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--txs-per-block", type=int, default=200)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if min(args.blocks, args.txs_per_block, args.senders) < 1:
        parser.error("--blocks, --txs-per-block and --senders must be positive")
    if not native_available():
        raise SystemExit("the native engine is not built here (no cargo at install)")
    keys = sender_keys(args.senders)
    base = devnet_genesis()
    alloc = dict(base.alloc)
    alloc.update({address_of(key): GenesisAccount(balance=10**24) for key in keys})
    genesis = replace(base, alloc=alloc)
    transfers = [[decode_transaction(raw) for raw in batch] for batch in
                 transfer_batches(keys, args.blocks, args.txs_per_block, genesis.chain_id)]
    token_setup, token_timed = token_workload(keys, genesis, args.blocks, args.txs_per_block)
    workloads: dict[str, tuple[Sequence[Sequence[DecodedTransaction]],
                               Sequence[Sequence[DecodedTransaction]]]] = {
        "transfers": ((), transfers), "erc20_transfers": (token_setup, token_timed)}
    result: dict[str, Any] = {
        "bench": "native_engine",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "txs_per_block": args.txs_per_block,
    }
    measure: Callable[[str, str], EngineRun] = lambda work, name: run_engine(  # noqa: E731
        ENGINES[name], genesis, *workloads[work])
    for work in workloads:
        runs = {name: measure(work, name) for name in ENGINES}
        roots = {run.state_root for run in runs.values()}
        if len(roots) != 1:
            raise SystemExit(f"{work}: the engines reached different state roots")
        result[work] = {name: run.summary() for name, run in runs.items()}
        result[work]["py_evm_over_native_build_cpu"] = _ratio(
            runs["py-evm"].build_cpu_s, runs["native"].build_cpu_s)
    result["anvil_transfers"] = run_anvil(keys, args.blocks, args.txs_per_block)
    native_cpu = result["transfers"]["native"]["build_cpu_ms_per_tx"]
    result["native_build_cpu_over_anvil_node_cpu"] = _ratio(
        native_cpu, result["anvil_transfers"]["cpu_ms_per_tx"])
    result["py_evm_build_cpu_over_anvil_node_cpu"] = _ratio(
        result["transfers"]["py-evm"]["build_cpu_ms_per_tx"],
        result["anvil_transfers"]["cpu_ms_per_tx"])
    text = json.dumps(result, indent=2)
    print(text)
    if not args.no_write:
        day = datetime.datetime.now(datetime.UTC).date().isoformat()
        path = ROOT / "bench" / "results" / f"native_engine-{day}.json"
        path.write_text(text + "\n")
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
