"""Gas of the bridge on a real 1-node Ordo devnet on anvil: deposit, withdraw, prove, finalize.

Starts anvil (`--block-time 1`, Prague rules), runs `ordo devnet --nodes 1 --l1-rpc ...` on it
as a child process (a deployer key funded with anvil_setBalance, handed over in an environment
variable) and takes every step through ``ordo.settlement.bridge``, the code behind
`ordo bridge`:

1. ``--deposits`` deposits of 0.1 ETH from dev account 0 on L1 (``ForcedInclusionQueue.deposit``,
   fee on top);
2. ``--withdrawals`` withdrawals from dev account 0 on L2 (``initiate_withdrawal``), each to that
   account's own address on L1 (an EOA that exists there);
3. once a batch covering the last one has landed, each is proved (``prove_withdrawal``, the
   output root preimage and the storage proof of its slot in the message passer's trie: the
   number of proof nodes depends on the trie the batch's output root commits to, so several
   withdrawals give a spread);
4. anvil's clock is moved past the challenge window (``evm_increaseTime`` + ``evm_mine``) and
   each is finalized (``finalize_withdrawal``, which pays the EOA).

Reports gas used from the receipts (L1: 21000 base and calldata included; L2: the same on
Ordo's EVM) as min / median / max with the samples, prints one JSON object and writes it to
``--results-dir`` (default ``bench/results``) as ``bridge_gas-<UTC date>.json``.

    .venv/bin/python bench/bridge_gas.py [--deposits 3] [--withdrawals 12] [--results-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from ordo.core.genesis import dev_private_keys
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS
from ordo.devnet.ports import free_devnet_base_port, free_port, free_port_block
from ordo.keys.key_file import key_address
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import inbox_at
from ordo.settlement import bridge
from ordo.settlement.bridge_target import BridgeTarget, resolve_bridge_target
from ordo.settlement.l2_readers import RpcL2Reader

REPO_ROOT = Path(__file__).resolve().parents[1]
ANVIL = REPO_ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
RESULTS_DIR = REPO_ROOT / "bench/results"
DEPLOYER_KEY = keccak(b"ordo bridge_gas bench deployer")
"""Not a dev account, so the devnet's deploying never races the bench's own transactions."""
DEPLOYER_ENV = "ORDO_BRIDGE_GAS_DEPLOYER_KEY"
DEPOSIT_AMOUNT = 10**17
WITHDRAWAL_AMOUNT = 10**15
PREFILL_AMOUNT = 10**12
DEVNET_START_TIMEOUT = 240.0
BATCH_TIMEOUT = 240.0


def log(message: str) -> None:
    print(f"[bridge_gas] {message}", file=sys.stderr, flush=True)


def spread(samples: list[int]) -> dict[str, Any]:
    return {"min": min(samples), "median": round(statistics.median(samples)),
            "max": max(samples), "samples": samples}


async def rpc_ready(url: str, deadline: float) -> None:
    async with L1Client(url) as client:
        while True:
            try:
                await client.block_number()
                return
            except Exception:  # refused connection, or an L1Error once retries are spent
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def wait_covering_batch(l1: L1Client, target: BridgeTarget, l2_block: int) -> int:
    deadline = time.monotonic() + BATCH_TIMEOUT
    while True:
        batch = await bridge.covering_batch(l1, target, l2_block)
        if batch is not None:
            return batch.index
        if time.monotonic() > deadline:
            raise RuntimeError(f"no batch covering L2 block {l2_block} landed within "
                               f"{BATCH_TIMEOUT:.0f} s")
        await asyncio.sleep(1.0)


async def proof_nodes(l2: L1Client, slot: int, l2_block: int) -> int:
    """How many trie nodes the storage proof of ``slot`` at ``l2_block`` has (what prove sent)."""
    proof = await l2.request("eth_getProof", [
        "0x" + MESSAGE_PASSER_ADDRESS.hex(), [hex(slot)], hex(l2_block)])
    return len(proof["storageProof"][0]["proof"])


async def calldata_bytes(client: L1Client, tx_hash: bytes) -> int:
    transaction = await client.request("eth_getTransactionByHash", ["0x" + tx_hash.hex()])
    return (len(str(transaction["input"])) - 2) // 2


async def prefill(l2: L1Client, count: int) -> None:
    """``count`` withdrawals from dev accounts 1..9 (never proved): a bigger trie for the
    measured ones, and the message passer's nonce past zero."""
    keys = dev_private_keys()[1:]

    async def send(key: bytes, share: int) -> None:
        account = LocalAccount(l2, key)
        for _ in range(share):
            await bridge.initiate_withdrawal(l2, account, PREFILL_AMOUNT, account.address)

    shares = [count // len(keys) + (index < count % len(keys)) for index in range(len(keys))]
    await asyncio.gather(*(send(key, share) for key, share in zip(keys, shares, strict=True)))


async def measure(target: BridgeTarget, deposits: int, withdrawals: int,
                  prefilled: int) -> dict[str, Any]:
    key = dev_private_keys(1)[0]
    assert target.l2_rpc is not None, "devnet.json names the node's RPC"
    async with L1Client(target.l1_rpc) as l1, L1Client(target.l2_rpc) as l2:
        l1_account, l2_account = LocalAccount(l1, key), LocalAccount(l2, key)
        portal = await bridge.portal_of(l1, target)
        if prefilled:
            log(f"prefilling the message passer's trie with {prefilled} withdrawals")
            await prefill(l2, prefilled)

        deposit_gas, deposit_bytes = [], []
        for number in range(deposits):
            result = await bridge.deposit(l1, l1_account, target, DEPOSIT_AMOUNT,
                                          l2_account.address)
            receipt = await l1.get_transaction_receipt(result.tx_hash)
            assert receipt is not None and receipt.succeeded
            deposit_gas.append(receipt.gas_used)
            deposit_bytes.append(await calldata_bytes(l1, result.tx_hash))
            log(f"deposit {number}: {receipt.gas_used} gas (forced item {result.queue_index})")

        initiated, initiate_gas = [], []
        for number in range(withdrawals):
            made = await bridge.initiate_withdrawal(l2, l2_account, WITHDRAWAL_AMOUNT,
                                                    l1_account.address)
            receipt = await l2.get_transaction_receipt(made.tx_hash)
            assert receipt is not None and receipt.succeeded
            initiated.append(made)
            initiate_gas.append(receipt.gas_used)
            log(f"withdrawal {number}: {receipt.gas_used} L2 gas in L2 block {made.l2_block}")

        last_block = max(made.l2_block for made in initiated)
        log(f"waiting for a batch covering L2 block {last_block} to land on L1")
        await wait_covering_batch(l1, target, last_block)

        prove_gas, prove_bytes, nodes, batches, finalizable = [], [], [], [], []
        for number, made in enumerate(initiated):
            receipt, after = await bridge.prove(l1, RpcL2Reader(l2), l1_account, target,
                                                made.tx_hash)
            assert after.stage == "proved" and after.batch is not None, after
            assert after.finalizable_at is not None
            prove_gas.append(receipt.gas_used)
            prove_bytes.append(await calldata_bytes(l1, receipt.transaction_hash))
            nodes.append(await proof_nodes(l2, made.withdrawal.storage_slot,
                                           after.batch.last_block))
            batches.append(after.batch.index)
            finalizable.append(after.finalizable_at)
            log(f"prove {number}: {receipt.gas_used} gas, {nodes[-1]} proof nodes, batch "
                f"{after.batch.index}")

        block = await l1.get_block("latest")
        assert block is not None
        warp = max(0, max(finalizable) - block.timestamp + 1)
        log(f"moving anvil's clock {warp} s past the challenge window")
        await l1.request("evm_increaseTime", [warp])
        await l1.request("evm_mine", [])

        portal_before = await l1.get_balance(portal.address)
        finalize_gas = []
        for number, made in enumerate(initiated):
            receipt, paid = await bridge.finalize(l1, RpcL2Reader(l2), l1_account, target,
                                                  made.tx_hash)
            assert paid, f"withdrawal {number} was not paid"
            finalize_gas.append(receipt.gas_used)
            log(f"finalize {number}: {receipt.gas_used} gas")
        paid_out = portal_before - await l1.get_balance(portal.address)
        assert paid_out == WITHDRAWAL_AMOUNT * withdrawals, paid_out
        window = int(await inbox_at(l1, target.inbox).call("challenge_window"))

    return {
        "l1_gas": {
            "deposit": {**spread(deposit_gas), "calldata_bytes": deposit_bytes[0]},
            "prove_withdrawal": {**spread(prove_gas), "proof_nodes": spread(nodes),
                                 "calldata_bytes": spread(prove_bytes),
                                 "batches": sorted(set(batches))},
            "finalize_withdrawal_eoa": spread(finalize_gas),
        },
        "l2_gas": {"initiate_withdrawal": spread(initiate_gas)},
        "challenge_window_s": window, "clock_moved_s": warp,
        "paid_out_wei": str(paid_out),
    }


def machine() -> dict[str, Any]:
    anvil = subprocess.run([str(ANVIL), "--version"], capture_output=True, text=True,
                           timeout=30, check=True).stdout.strip().splitlines()[0]
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "anvil": anvil}


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=30,
                          check=True).stdout.strip()


def start_devnet(data_dir: Path, l1_url: str, output: Path) -> subprocess.Popen[bytes]:
    environment = {**os.environ, DEPLOYER_ENV: DEPLOYER_KEY.hex()}
    with output.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "ordo", "devnet", "--nodes", "1", "--data-dir",
             str(data_dir), "--base-port", str(free_devnet_base_port(1)), "--p2p-base-port",
             str(free_port_block(1)), "--l1-rpc", l1_url, "--l1-deployer-key-env",
             DEPLOYER_ENV], stdout=sink, stderr=subprocess.STDOUT, env=environment,
            start_new_session=True)


def wait_manifest(data_dir: Path, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + DEVNET_START_TIMEOUT
    manifest = data_dir / "devnet.json"
    while not manifest.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the devnet did not start:\n{output.read_text()[-4000:]}")
        time.sleep(0.5)


def stop(process: subprocess.Popen[bytes], interrupt: bool) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT if interrupt else signal.SIGKILL)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    l1_url = f"http://127.0.0.1:{port}"
    anvil = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--hardfork", "prague", "--silent", "--block-time",
         "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        asyncio.run(rpc_ready(l1_url, time.monotonic() + 30))
        asyncio.run(fund_deployer(l1_url))
        with tempfile.TemporaryDirectory(prefix="bridge-gas-") as scratch:
            data_dir, output = Path(scratch) / "net", Path(scratch) / "devnet.txt"
            log(f"starting a 1-node devnet on anvil at {l1_url}")
            devnet = start_devnet(data_dir, l1_url, output)
            try:
                wait_manifest(data_dir, devnet, output)
                target = resolve_bridge_target(data_dir, None, None, None)
                assert target.l2_rpc is not None, "devnet.json names the node's RPC"
                asyncio.run(rpc_ready(target.l2_rpc, time.monotonic() + 60))
                return asyncio.run(measure(target, arguments.deposits, arguments.withdrawals,
                                           arguments.prefill))
            except BaseException:
                log(f"devnet output:\n{output.read_text()[-4000:]}")
                raise
            finally:
                stop(devnet, interrupt=True)
    finally:
        stop(anvil, interrupt=False)


async def fund_deployer(l1_url: str) -> None:
    async with L1Client(l1_url) as client:
        await client.request("anvil_setBalance", [key_address(DEPLOYER_KEY), hex(1000 * 10**18)])


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--deposits", type=int, default=3)
    parser.add_argument("--withdrawals", type=int, default=12,
                        help="withdrawals to initiate, prove and finalize (at least 1)")
    parser.add_argument("--prefill", type=int, default=200,
                        help="withdrawals made first and never proved, so the measured proofs "
                             "are against a bigger trie")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where bridge_gas-<UTC date>.json is written")
    arguments = parser.parse_args(argv)
    if arguments.deposits < 1 or arguments.withdrawals < 1:
        parser.error("--deposits and --withdrawals must be at least 1")
    if arguments.prefill < 0:
        parser.error("--prefill must not be negative")
    return arguments


def main() -> None:
    arguments = parse_arguments()
    if not ANVIL.exists():
        sys.exit(f"anvil not found at {ANVIL}; run npm ci in the repo root")
    started = datetime.now(UTC)
    measured = run(arguments)
    result = {
        "bench": "bridge_gas", "date": started.date().isoformat(),
        "started_utc": started.isoformat(timespec="seconds"), "commit": git_commit(),
        "machine": machine(),
        "settings": {"nodes": 1, "deposits": arguments.deposits,
                     "withdrawals": arguments.withdrawals, "prefill": arguments.prefill,
                     "l1": "anvil --hardfork prague --block-time 1",
                     "deposit_wei": str(DEPOSIT_AMOUNT), "withdrawal_wei": str(WITHDRAWAL_AMOUNT),
                     "withdrawal_target": "the sender's own EOA on L1"},
        **measured,
        "note": "gas used from the receipts; L1 figures include the 21000 base and calldata",
    }
    arguments.results_dir.mkdir(parents=True, exist_ok=True)
    path = arguments.results_dir / f"bridge_gas-{result['date']}.json"
    document = json.dumps(result, indent=2)
    path.write_text(document + "\n")
    log(f"wrote {path}")
    print(document)


if __name__ == "__main__":
    main()
