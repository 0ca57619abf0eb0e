"""Issue 12's "Done when", as a test: on a 4-node devnet on anvil (fast clocks), a wrong output
root is landed with the devnet's test keys (``ordo devnet-forge-batch``, 3 of the 4 keys: more
than 2/3 of the stake). The wrong root commits to a message passer holding a withdrawal nobody
made, and that withdrawal is proved against it in the L1 block right after the batch's (mining
is paused meanwhile: the challengers act on batches 2 blocks deep within seconds, and a disputed
output takes no proofs). With no move made here, the nodes' own challengers open the game and
win it by the clock (nobody defends the wrong root), the three signers lose the slash share of
their stake (the fourth keeps all of it), the inbox removes the batch, the nodes post their own
batches again from that index, those land and become final, and the withdrawal never pays."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.call import CallRequest
from ordo.core.genesis import dev_private_keys
from ordo.derivation.l1_batches import L1BatchReader
from ordo.derivation.removed_batches import RemovedBatches
from ordo.devnet.l1_record import DevnetL1Record, load_record
from ordo.devnet.ports import free_port_block
from ordo.keys.key_file import key_address
from ordo.l1.client import L1Client
from ordo.l1.deploy import pool_handle
from ordo.l1.rollup_deploy import DEFAULT_DISPUTE_SLASH_BPS, inbox_at, portal_abi
from ordo.l1.rpc_errors import L1RpcError
from tests.devnet.devnet_harness import wait_for
from tests.devnet.devnet_on_l1 import DEPLOYER_KEY, rpc
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID
from tests.l1_portal.storage_tries import StorageTrie, Withdrawal, output_proof, output_root

NODES = 4
EPOCH_LENGTH = 8
WINDOW = 15
DISPUTE_CLOCK = 10
USER_KEY = dev_private_keys(6)[5]
"""Dev account 5: not an operator of a 4-node devnet, not the forger's poster (account 0)."""
PROVE_GAS = 2_000_000


def send_prove(l1_url: str, portal: bytes, withdrawal: Withdrawal, index: int,
               proof: tuple[bytes, bytes, bytes, bytes], nodes: list[bytes]) -> str:
    """prove_withdrawal from the user, with a fixed gas limit."""
    user = Account.from_key(USER_KEY)
    base_fee = int(rpc(l1_url, "eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
    call = portal_abi().function("prove_withdrawal", 4).encode_call(
        [withdrawal.as_tuple(), index, proof, nodes])
    signed = user.sign_transaction({
        "type": 2, "chainId": ANVIL_CHAIN_ID, "to": to_checksum_address(portal), "data": call,
        "value": 0, "gas": PROVE_GAS, "maxFeePerGas": 4 * base_fee + 10**9,
        "maxPriorityFeePerGas": 0,
        "nonce": int(rpc(l1_url, "eth_getTransactionCount", user.address, "pending"), 16)})
    return str(rpc(l1_url, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex()))


def prove_refusal(l1_url: str, portal: bytes, withdrawal: Withdrawal, index: int,
                  proof: tuple[bytes, bytes, bytes, bytes], nodes: list[bytes]) -> str:
    """Why the portal refuses the proof now (for a failure's message)."""
    async def ask() -> str:
        call = portal_abi().function("prove_withdrawal", 4).encode_call(
            [withdrawal.as_tuple(), index, proof, nodes])
        async with L1Client(l1_url) as client:
            try:
                await client.call(CallRequest(to=portal, data=call))
            except L1RpcError as error:
                return f"{error.revert_reason or error.message}"
        return "accepted now"
    return asyncio.run(ask())


def finalize_refusal(l1_url: str, portal: bytes, withdrawal: Withdrawal) -> str:
    async def ask() -> str:
        call = portal_abi().function("finalize_withdrawal", 1).encode_call(
            [withdrawal.as_tuple()])
        async with L1Client(l1_url) as client:
            try:
                await client.call(CallRequest(sender=bytes.fromhex(
                    Account.from_key(USER_KEY).address[2:]), to=portal, data=call))
            except L1RpcError as error:
                return str(error.revert_reason)
        return "paid"
    return asyncio.run(ask())


def inbox_view(l1_url: str, inbox: bytes, function: str, *args: Any) -> Any:
    async def read() -> Any:
        async with L1Client(l1_url) as client:
            return await inbox_at(client, inbox).call(function, *args)
    return asyncio.run(read())


def stakes(l1_url: str, record: DevnetL1Record) -> list[int]:
    async def read() -> list[int]:
        async with L1Client(l1_url) as client:
            pool = pool_handle(client, record.deployment)
            return [int((await pool.call("sequencers", entry.operator))[1])
                    for entry in record.sequencers]
    return asyncio.run(read())


def removals(l1_url: str, inbox: bytes, chain_id: int) -> list[RemovedBatches]:
    async def read() -> list[RemovedBatches]:
        async with L1Client(l1_url) as client:
            reader = L1BatchReader(client, inbox, chain_id)
            events = await reader.events_between(0, await client.block_number())
            return [event for event in events if isinstance(event, RemovedBatches)]
    return asyncio.run(read())


def test_a_forged_root_is_disputed_won_slashed_and_replaced_by_the_nodes(
        tmp_path: Path, ticking_anvil: str, run_devnet: Any) -> None:
    started = time.monotonic()
    key_file = tmp_path / "deployer.key"
    key_file.write_text(DEPLOYER_KEY.hex() + "\n")
    key_file.chmod(0o600)
    rpc(ticking_anvil, "anvil_setBalance", key_address(DEPLOYER_KEY), hex(100 * 10**18))
    data_dir = tmp_path / "net"
    run, manifest = run_devnet(
        data_dir, "--nodes", str(NODES), "--epoch-length", str(EPOCH_LENGTH),
        "--challenge-window", str(WINDOW), "--dispute-clock", str(DISPUTE_CLOCK),
        "--base-port", str(free_port_block(NODES)), "--p2p-base-port",
        str(free_port_block(NODES)), "--l1-rpc", ticking_anvil,
        "--l1-deployer-key-file", str(key_file))
    l1 = manifest["l1"]
    assert l1["disputeGame"].startswith("0x") and l1["stepVerifier"].startswith("0x")
    inbox = bytes.fromhex(l1["inbox"][2:])
    record = load_record(data_dir / "l1.json")
    before = stakes(ticking_anvil, record)
    wait_for(lambda: int(inbox_view(ticking_anvil, inbox, "next_index")) >= 1, timeout=120)

    # A root whose message passer holds a withdrawal of 1 ETH to the user, never made on L2.
    user = Account.from_key(USER_KEY).address
    withdrawal = Withdrawal(7, user, user, 10**18, 100_000)
    trie = StorageTrie.of([withdrawal])
    proof = output_proof(trie.root)
    wrong_root = output_root(proof[1], proof[2], proof[3], proof[0])
    portal = bytes.fromhex(l1["portal"][2:])
    portal_balance = int(rpc(ticking_anvil, "eth_getBalance", l1["portal"], "latest"), 16)
    index = int(inbox_view(ticking_anvil, inbox, "next_index"))
    forger = key_address(dev_private_keys(1)[0])
    sent = int(rpc(ticking_anvil, "eth_getTransactionCount", forger, "latest"), 16)
    rpc(ticking_anvil, "evm_setIntervalMining", 0)
    try:
        forging = subprocess.Popen(
            [sys.executable, "-m", "ordo", "devnet-forge-batch", "--data-dir", str(data_dir),
             "--wrong-output-root", "0x" + wrong_root.hex(), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: int(rpc(ticking_anvil, "eth_getTransactionCount", forger,
                                 "pending"), 16) > sent, timeout=90)
        rpc(ticking_anvil, "evm_mine")  # the forged batch lands; it is 1 block deep only
        prove_tx = send_prove(ticking_anvil, portal, withdrawal, index, proof,
                              trie.proof(withdrawal))
        rpc(ticking_anvil, "evm_mine")
    finally:
        rpc(ticking_anvil, "evm_setIntervalMining", 1)
    stdout, stderr = forging.communicate(timeout=90)
    assert forging.returncode == 0, stderr
    forged = json.loads(stdout)
    assert forged["index"] == index and forged["wrongOutputRoot"] == "0x" + wrong_root.hex()
    assert forged["wrongOutputRoot"] != forged["rightOutputRoot"]
    proved = rpc(ticking_anvil, "eth_getTransactionReceipt", prove_tx)
    landed = rpc(ticking_anvil, "eth_getTransactionReceipt", forged["l1Transaction"])
    assert int(proved["blockNumber"], 16) == int(landed["blockNumber"], 16) + 1
    assert proved["status"] == "0x1", prove_refusal(ticking_anvil, portal, withdrawal, index,
                                                    proof, trie.proof(withdrawal))
    assert len(forged["signers"]) == 3, "the fewest equal stakes holding more than 2/3"
    node_url = manifest["nodes"][0]["rpc"]
    output = rpc(node_url, "ordo_outputAtBlock", hex(forged["lastBlock"]))
    assert output["outputRoot"] == forged["rightOutputRoot"]

    # No move from here on: the nodes' challengers open, win by the clock, and resolve.
    chain_id = int(rpc(node_url, "eth_chainId"), 16)
    wait_for(lambda: any(removal.index == index for removal in
                         removals(ticking_anvil, inbox, chain_id)), timeout=120)
    removal = next(entry for entry in removals(ticking_anvil, inbox, chain_id)
                   if entry.index == index)
    assert removal.header_hash.hex() == forged["headerHash"][2:]

    listed = subprocess.run(
        [sys.executable, "-m", "ordo", "dispute", "list", "--devnet", str(data_dir), "--all",
         "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    assert [game["batchIndex"] for game in json.loads(listed.stdout)["games"]] == [index]

    signers = {bytes.fromhex(signer[2:]) for signer in forged["signers"]}
    after = stakes(ticking_anvil, record)
    for entry, held, now in zip(record.sequencers, before, after, strict=True):
        expected = held - held * DEFAULT_DISPUTE_SLASH_BPS // 10_000 \
            if entry.signer in signers else held
        assert now == expected, (entry, held, now)

    # The nodes post their own chain again from the removed index; it lands and finalizes.
    def honest_landed() -> bool:
        if int(inbox_view(ticking_anvil, inbox, "next_index")) <= index:
            return False
        return bytes(inbox_view(ticking_anvil, inbox, "batch_hash", index)).hex() != \
            forged["headerHash"][2:]
    wait_for(honest_landed, timeout=60)
    last = int(inbox_view(ticking_anvil, inbox, "last_block"))
    root = bytes(inbox_view(ticking_anvil, inbox, "output_roots", index))
    replaced = [entry for entry in (rpc(node_url, "ordo_outputAtBlock", hex(number))
                                    for number in range(forged["firstBlock"], last + 1))
                if entry["outputRoot"] == "0x" + root.hex()]
    assert replaced, "the re-posted batch ends on the nodes' own output root"
    removed_refusal = "WithdrawalPortal: output was removed; prove the withdrawal again"
    assert finalize_refusal(ticking_anvil, portal, withdrawal) == removed_refusal
    wait_for(lambda: bool(inbox_view(ticking_anvil, inbox, "is_output_final", index)),
             timeout=WINDOW + 60)
    assert finalize_refusal(ticking_anvil, portal, withdrawal) == removed_refusal
    assert int(rpc(ticking_anvil, "eth_getBalance", l1["portal"], "latest"), 16) == \
        portal_balance

    statuses = [rpc(node["rpc"], "ordo_status")["l1"] for node in manifest["nodes"]]
    assert sum(status["disputes"]["sent"].get("open", 0) for status in statuses) == 1
    assert all(status["batcher"]["conflict"] is None for status in statuses)
    assert run.stop() == 0
    print(f"forged root disputed, slashed and replaced in {time.monotonic() - started:.0f} s")
