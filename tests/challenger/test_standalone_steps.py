"""The standalone challenger plays the step half from an L2 RPC it does not trust.

Real processes: anvil with the pool, inbox, the real StepRouter (compiled by Vyper) and the
DisputeGame (max_step_depth 7); an ``ordo node`` with no L1 (so no challenger of its own) that
builds blocks with transfers; and ``ordo challenger`` as its own process, with a dev key that
holds no stake. Signers land batch 0 with a wrong output root. A liar (the project's solver run
on a trace that agrees with the honest one up to the last state of the batch's last block, so
the game ends on that block's block-end step, which the StepRouter decides) defends the root
down to the leaf; the challenger, killed once in the step half and started again, steps with
the witness it traced from blocks, headers and state nodes read over ``ordo_getRawBlock``,
``ordo_getRawHeader`` and ``ordo_getStateNodes``, wins and claims its credits. Then RpcSteps
is fed tampered answers (a state node's bytes, a header, a block, another batch's blocks, an
output root the state does not give, a node withheld, a start other than the game's on L1):
each is refused with a precise StepDataUnavailable and nothing is traced from it, and the same
source traces once the answers are right again (nothing wrong is kept).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.challenger.honest_trace import (
    BatchTrace,
    StepDataUnavailable,
    StepTrace,
    final_state,
)
from ordo.challenger.l1_game import DisputeChain, LandedBatch
from ordo.challenger.node_steps import batch_block, chain_rules
from ordo.challenger.positions import SPLIT_DEPTH
from ordo.challenger.rpc_steps import HashedNodes, RpcSteps
from ordo.challenger.service import ChallengerService
from ordo.challenger.trace_source import L2TraceSource
from ordo.core.block_codec import decode_block
from ordo.core.genesis import Genesis, dev_private_keys
from ordo.execution.genesis_output import genesis_output_root
from ordo.faultproof.batch_inputs import inputs_root
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from ordo.l1.step_verifier_deploy import deploy_step_verifier
from ordo.settlement.l2_readers import RpcL2Reader
from tests.e2e.targets import REPO_ROOT, rpc_request, stop_process_group
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_dispute.game_setup import (
    CHALLENGE_WINDOW,
    LOST,
    MAX_CLOCK,
    DisputeSetup,
    deploy_dispute_setup,
)
from tests.l1_inbox.rollup_setup import PAYLOAD

from .l2_node import L2Node, running_l2_node

HONEST_ACCOUNT = 5
"""A dev account with no stake in the pool (1-4 stake, 7 posts batches)."""
LIAR_ACCOUNT = 6
DEPLOYER_ACCOUNT = 8
MAX_STEP_DEPTH = 7
"""128 steps per block; 11 + 7 = 18 levels, even: the liar makes the leaf claims, the
challenger steps."""
PHASE_BLOCK_END = 5


@pytest.fixture(scope="module")
def l2_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[L2Node]:
    """One ``ordo node`` (a lone validator, no L1: no challenger) with six transfers."""
    with running_l2_node(tmp_path_factory.mktemp("l2-node"), transfers=6) as node:
        yield node


def node_blocks(node: L2Node) -> list[Any]:
    return [decode_block(bytes.fromhex(rpc_request(node.url, "ordo_getRawBlock",
                                                   [hex(n)])[2:])) for n in node.batch]


def honest_root(node: L2Node, number: int) -> bytes:
    return bytes.fromhex(rpc_request(node.url, "ordo_outputAtBlock", [hex(number)])
                         ["outputRoot"][2:])


def deploy_game(chain: AnvilChain, genesis: Genesis) -> DisputeSetup:
    """The pool, inbox and game of tests/l1_dispute with the real StepRouter, deployed as a
    devnet deploys it for this chain's rules (no L1 anchor: no forced queue)."""
    async def router() -> bytes:
        async with L1Client(chain.w3.provider.endpoint_uri) as client:  # type: ignore[attr-defined]
            deployer = LocalAccount(client, dev_private_keys()[DEPLOYER_ACCOUNT])
            return (await deploy_step_verifier(client, deployer, chain_rules(genesis),
                                               bytes(20))).router
    address = to_checksum_address(asyncio.run(router()))
    verifier = chain.w3.eth.contract(address=address, abi=[])
    return deploy_dispute_setup(chain, MAX_STEP_DEPTH, verifier, genesis_output_root(genesis))


@dataclass
class LyingSteps:
    """The honest steps of every block but the last state(s) of block ``block``: from the
    first state the honest trace ends in (its length) on, the final state of ``wrong``."""

    honest: RpcSteps
    block: int
    wrong: bytes

    async def load(self) -> None:
        await self.honest.load()

    def prepare(self, blocks: Any) -> None:
        self.honest.prepare(blocks)

    def state(self, block: int, step: int) -> bytes:
        if block == self.block and step >= len(self.honest.trace(block)):
            return final_state(self.wrong)
        return self.honest.state(block, step)

    def witness(self, block: int, step: int) -> bytes:
        return self.honest.witness(block, step)


@dataclass
class LyingSource:
    """The liar's view: the honest outputs with the wrong root after the batch's last block,
    and LyingSteps below it."""

    honest: L2TraceSource
    wrong: bytes

    async def batch_trace(self, batch: LandedBatch, max_step_depth: int) -> BatchTrace | None:
        trace = await self.honest.batch_trace(batch, max_step_depth)
        if trace is None:
            return None
        assert isinstance(trace.steps, RpcSteps)
        last = len(trace.outputs) - 1
        steps: StepTrace = LyingSteps(trace.steps, last, self.wrong)
        return replace(trace, outputs=(*trace.outputs[:-1], self.wrong), steps=steps)


def step_witnesses(setup: DisputeSetup, player: str, since: int) -> list[bytes]:
    """The witnesses of the ``step`` calls ``player`` sent to the game from L1 block
    ``since`` on."""
    w3 = setup.chain.w3
    found = []
    for number in range(since, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] != player or tx["to"] != setup.game.address:
                continue
            function, arguments = setup.game.decode_function_input(tx["input"])
            if function.fn_name == "step":
                found.append(bytes(arguments["witness"]))
    return found


def test_the_standalone_challenger_steps_from_rpc_data_and_wins(
        chain: AnvilChain, l2_node: L2Node, tmp_path: Path) -> None:
    started = time.monotonic()
    setup = deploy_game(chain, l2_node.genesis)
    blocks = node_blocks(l2_node)
    assert sum(len(block.transactions) for block in blocks) >= 1
    inputs = inputs_root([batch_block(block) for block in blocks])
    wrong = keccak(b"a root no block gives")
    header = setup.rollup.header(0, l2_node.batch[0], l2_node.batch[-1], output_root=wrong,
                                 inputs_root=inputs)
    landed = setup.rollup.submit(header, PAYLOAD, (0, 1, 2))
    inbox = setup.inbox.address
    l1_url: str = chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    honest = chain.accounts[HONEST_ACCOUNT]
    liar_key = dev_private_keys()[LIAR_ACCOUNT]
    max_depth = 11 + MAX_STEP_DEPTH
    log_path = tmp_path / "challenger.log"
    command = [sys.executable, "-m", "ordo", "challenger", "--l1-rpc", l1_url, "--l2-rpc",
               l2_node.url, "--inbox", inbox, "--genesis", str(l2_node.genesis_path),
               "--dev-account", str(HONEST_ACCOUNT), "--interval", "0.5", "--verify-outputs"]

    def start_challenger() -> subprocess.Popen[bytes]:
        with log_path.open("ab") as log:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=REPO_ROOT)

    running = [start_challenger()]
    shown: list[subprocess.CompletedProcess[str]] = []
    """``ordo dispute show`` of the game once stepped, before it is resolved."""

    async def play() -> None:
        async with L1Client(l1_url) as l1, L1Client(l2_node.url) as l2:
            reader = RpcL2Reader(l2)
            nodes = HashedNodes(l2)
            honest_view = L2TraceSource(
                reader, lambda batch: RpcSteps(reader, nodes, l2_node.genesis, batch))
            liar = ChallengerService(DisputeChain(l1, bytes.fromhex(inbox[2:])),
                                     LocalAccount(l1, liar_key), LyingSource(honest_view, wrong),
                                     interval=0.5)
            liar.start()
            try:
                # Killed in the step half (its traces and state nodes gone with it), started
                # again: it reads the game and the L2 data anew and carries on.
                await until(lambda: deepest(setup) >= SPLIT_DEPTH + 3, 240, running)
                os.killpg(running[0].pid, signal.SIGKILL)
                running[0].wait()
                running[0] = start_challenger()
                await until(lambda: stepped_leaf(setup, honest.address, max_depth), 240,
                            running)
                shown.append(await asyncio.to_thread(
                    subprocess.run, [
                        sys.executable, "-m", "ordo", "dispute", "show", "1", "--l1-rpc",
                        l1_url, "--l2-rpc", l2_node.url, "--inbox", inbox, "--genesis",
                        str(l2_node.genesis_path), "--json"],
                    capture_output=True, text=True, timeout=120, check=False, cwd=REPO_ROOT))
                assert shown[0].returncode == 0, shown[0].stderr
                setup.chain.increase_time(MAX_CLOCK + CHALLENGE_WINDOW + 10)
                await until(lambda: setup.status(1) == LOST, 120, running)
                await until(lambda: paid(setup, honest.address), 60, running)
            finally:
                await liar.stop()
            assert liar.state.sent["move"] >= 1, "the liar defended its root"

    try:
        asyncio.run(play())
    finally:
        stop_process_group(running[0])
    output = log_path.read_text()
    claims = setup.claims(1, fresh=True)
    leaves = [claim for claim in claims if claim.position.bit_length() - 1 == max_depth]
    assert leaves and all(claim.claimant != honest.address for claim in leaves)
    assert any(claim.countered_by == honest.address for claim in leaves), output
    witnesses = step_witnesses(setup, honest.address, int(landed["blockNumber"]))
    assert witnesses, "the standalone challenger stepped"
    assert {int.from_bytes(w[:32], "big") for w in witnesses} == {PHASE_BLOCK_END}
    assert int(setup.inbox.functions.next_index().call()) == 0, "the wrong batch is removed"
    assert honest_root(l2_node, l2_node.batch[-1]) != wrong
    assert output.count("plays the dispute game of inbox") == 2, "started, killed, restarted"
    assert f"batch 0's {len(l2_node.batch)} output roots checked by execution" in output
    fetched = re.findall(r"fetched so far: (\{[^}]*\})", output)
    assert fetched, output
    listed = json.loads(shown[0].stdout)["claimList"]
    assert [claim["honest"] for claim in listed] == \
        [False] + [claim["claimant"] == honest.address.lower() for claim in listed[1:]], \
        "every claim judged, step claims too: the challenger's honest, the liar's not"
    print(f"\nstandalone challenger won a {len(claims)}-claim game to depth {max_depth} in "
          f"{time.monotonic() - started:.0f} s; its RPC reads: {fetched[-1]}")


def paid(setup: DisputeSetup, player: str) -> bool:
    """The player claimed its credits: no ETH or token credit left, and it holds the slashed
    tokens (the root's winner is paid the slash)."""
    game = setup.game.functions
    return (int(game.credit(player).call()) == 0 and int(game.token_credit(player).call()) == 0
            and int(setup.rollup.pools.token.functions.balanceOf(player).call()) > 0)


def deepest(setup: DisputeSetup) -> int:
    return max((claim.position.bit_length() - 1 for claim in setup.claims(1, fresh=True)),
               default=-1)


def stepped_leaf(setup: DisputeSetup, player: str, max_depth: int) -> bool:
    return any(claim.countered_by == player for claim in setup.claims(1, fresh=True)
               if claim.position.bit_length() - 1 == max_depth)


async def until(condition: Callable[[], bool], timeout: float,
                running: list[subprocess.Popen[bytes]]) -> None:
    """Wait for ``condition`` while the challenger (``running[0]``) runs."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        process = running[0]
        assert process.poll() is None, f"the challenger exited with {process.returncode}"
        assert time.monotonic() < deadline, f"not within {timeout} s"
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------------ tampered answers


class Tampering:
    """The node's RPC with one answer changed by ``tamper`` while ``active``."""

    def __init__(self, client: L1Client, tamper: Callable[[str, list[Any], Any], Any]) -> None:
        self.client = client
        self.url = client.url
        self.tamper = tamper
        self.active = True

    async def request(self, method: str, params: list[Any]) -> Any:
        answer = await self.client.request(method, params)
        return self.tamper(method, params, answer) if self.active else answer


def flip(data: str) -> str:
    raw = bytearray(bytes.fromhex(data[2:]))
    raw[len(raw) // 2] ^= 1
    return "0x" + raw.hex()


def first_node(method: str, params: list[Any], answer: Any) -> Any:
    if method == "ordo_getStateNodes":
        return [flip(answer[0]), *answer[1:]]
    return answer


def withheld(method: str, params: list[Any], answer: Any) -> Any:
    return [None] * len(answer) if method == "ordo_getStateNodes" else answer


def block_header(method: str, params: list[Any], answer: Any) -> Any:
    if method == "ordo_getRawHeader" and params == ["0x0"]:
        return rpc_answer_header_of(answer)
    return answer


def rpc_answer_header_of(answer: str) -> str:
    """Genesis's header with another extra data: decodes, hashes otherwise."""
    import rlp
    from eth.vm.forks.prague.blocks import PragueBlockHeader

    header = rlp.decode(bytes.fromhex(answer[2:]), sedes=PragueBlockHeader)
    return "0x" + rlp.encode(header.copy(extra_data=b"other")).hex()


def swapped_blocks(method: str, params: list[Any], answer: Any) -> Any:
    if method == "ordo_getRawBlock" and params == ["0x2"]:
        return SWAP[0]
    return answer


SWAP: list[str] = []


def other_start(method: str, params: list[Any], answer: Any) -> Any:
    if method == "ordo_outputAtBlock" and params == ["0x0"]:
        return {**answer, "messagePasserStorageRoot": "0x" + "22" * 32}
    return answer


def other_state_root(method: str, params: list[Any], answer: Any) -> Any:
    if method == "ordo_outputAtBlock" and params == ["0x2"]:
        return {**answer, "stateRoot": "0x" + "11" * 32}
    return answer


@pytest.mark.parametrize(("tamper", "refusal"), [
    (first_node, r"answered state node 0x[0-9a-f]{64} with bytes whose keccak is .*: refused"),
    (withheld, r"does not hold state node 0x[0-9a-f]{64}"),
    (block_header, r"gave header 0 hashing to 0x[0-9a-f]{64}, not the block hash"),
    (swapped_blocks, r"gave block 3 when asked for block 2: refused"),
    (other_state_root, r"the trace of L2 block 2 ends in output root 0x[0-9a-f]{64}, the L2 "
                       r"node at .* gives 0x[0-9a-f]{64}: its state and outputs disagree"),
    (other_start, r"gives output root 0x[0-9a-f]{64} for L2 block 0, but the game of batch 0 "
                  r"starts from 0x[0-9a-f]{64} on L1: not the chain L1 agreed"),
], ids=["state node", "withheld node", "header", "block", "output root", "start"])
def test_a_tampered_answer_is_refused_precisely_and_retried(
        l2_node: L2Node, tamper: Callable[[str, list[Any], Any], Any], refusal: str) -> None:
    blocks = node_blocks(l2_node)
    SWAP[:] = [rpc_request(l2_node.url, "ordo_getRawBlock", ["0x3"])]
    batch = LandedBatch(0, b"\x01" * 32, keccak(b"wrong"),
                        inputs_root([batch_block(block) for block in blocks]), 0,
                        l2_node.batch[0], len(l2_node.batch), 0)

    async def agreed(index: int) -> bytes:
        assert index == 0
        return genesis_output_root(l2_node.genesis)  # what the game holds on L1

    async def run() -> None:
        async with L1Client(l2_node.url) as client:
            tampering = Tampering(client, tamper)
            source: Any = tampering
            steps = RpcSteps(RpcL2Reader(source), HashedNodes(source), l2_node.genesis, batch,
                             agreed_start=agreed)
            await steps.load()
            with pytest.raises(StepDataUnavailable, match=refusal):
                await asyncio.to_thread(steps.prepare, range(len(l2_node.batch)))
            with pytest.raises(StepDataUnavailable):
                steps.state(1, 1)  # nothing traced from it
            tampering.active = False
            await steps.load()
            await asyncio.to_thread(steps.prepare, range(len(l2_node.batch)))
            for block, number in enumerate(l2_node.batch):
                trace = steps.trace(block)
                assert trace.output_root == honest_root(l2_node, number)
                assert steps.state(block, len(trace)) == trace.final

    asyncio.run(run())


def test_blocks_of_another_batch_are_refused(l2_node: L2Node) -> None:
    batch = LandedBatch(0, b"\x01" * 32, keccak(b"wrong"), keccak(b"other inputs"), 0,
                        l2_node.batch[0], len(l2_node.batch), 0)

    async def run() -> None:
        async with L1Client(l2_node.url) as client:
            steps = RpcSteps(RpcL2Reader(client), HashedNodes(client), l2_node.genesis, batch)
            await steps.load()
            with pytest.raises(StepDataUnavailable, match="not the blocks the batch carries"):
                steps.witness(0, 0)
            assert steps.nodes.counts.refused == 1

    asyncio.run(run())


def test_with_verify_outputs_a_batch_is_judged_only_on_roots_execution_gives(
        l2_node: L2Node) -> None:
    blocks = node_blocks(l2_node)
    batch = LandedBatch(0, b"\x01" * 32, keccak(b"wrong"),
                        inputs_root([batch_block(block) for block in blocks]), 0,
                        l2_node.batch[0], len(l2_node.batch), 0)
    middle = hex(l2_node.batch[len(l2_node.batch) // 2])

    def other_root(method: str, params: list[Any], answer: Any) -> Any:
        if method == "ordo_outputAtBlock" and params == [middle]:
            return {**answer, "messagePasserStorageRoot": "0x" + "33" * 32}
        return answer

    async def agreed(index: int) -> bytes:
        return genesis_output_root(l2_node.genesis)

    async def run() -> None:
        async with L1Client(l2_node.url) as client:
            tampering = Tampering(client, other_root)
            source: Any = tampering
            reader = RpcL2Reader(source)
            nodes = HashedNodes(source)
            traces = L2TraceSource(reader, lambda landed: RpcSteps(
                reader, nodes, l2_node.genesis, landed, agreed_start=agreed), True)
            assert await traces.batch_trace(batch, MAX_STEP_DEPTH) is None, "not judged"
            tampering.active = False
            trace = await traces.batch_trace(batch, MAX_STEP_DEPTH)
            assert trace is not None
            assert trace.outputs == tuple(honest_root(l2_node, n) for n in l2_node.batch)
            assert nodes.counts.refused == 0 and nodes.counts.nodes > 0

    asyncio.run(run())


def test_prefetch_fetches_an_accounts_trie_path_a_level_per_request(l2_node: L2Node) -> None:
    """The nodes ``HashedNodes.prefetch`` fetches for an account are exactly those of its
    eth_getProof path, in as many requests as the path is deep."""
    address = Account.from_key(dev_private_keys()[0]).address
    header = rpc_request(l2_node.url, "eth_getBlockByNumber", ["0x1", False])
    proof = rpc_request(l2_node.url, "eth_getProof", [address, [], "0x1"])["accountProof"]
    path = [bytes.fromhex(node[2:]) for node in proof]

    async def run() -> None:
        async with L1Client(l2_node.url) as client:
            nodes = HashedNodes(client)
            await nodes.prefetch(bytes.fromhex(header["stateRoot"][2:]),
                                 [keccak(bytes.fromhex(address[2:]))])
            hashed = [node for node in path if len(node) >= 32]
            assert set(nodes._cache) == {keccak(node) for node in hashed}
            assert nodes.counts.node_requests == len(hashed) == nodes.counts.nodes

    asyncio.run(run())
