"""The output half from a real L2 chain: the challenger reads output roots of py-evm blocks
through ChainOutputs (what every node runs), opens a game against colluders who signed a
wrong root for those blocks, answers every output claim and roots the step subgame without a
tracer, and wins by the clock once the colluders stop at the split depth."""

from __future__ import annotations

from dataclasses import dataclass

from eth.abc import BlockHeaderAPI

from ordo.challenger.honest_trace import final_state
from ordo.challenger.l1_game import DisputeChain
from ordo.challenger.node_outputs import ChainOutputs
from ordo.challenger.positions import block_position
from ordo.challenger.service import ChallengerService
from ordo.challenger.trace_source import L2TraceSource
from ordo.core.genesis import dev_private_keys, devnet_genesis
from ordo.execution.engine import PyEvmEngine
from ordo.execution.output_roots import output_root_at
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount
from ordo.settlement.l2_readers import L2Unavailable
from tests.execution.execution_chain import LocalChain, address_of, sign
from tests.l1_contracts.anvil_chain import AnvilChain
from tests.l1_dispute.game_setup import LOST, deploy_dispute_setup
from tests.l1_dispute.players import attack_wrong, wrong
from tests.l1_dispute.toy_trace import SPLIT_DEPTH, depth

from .test_service_anvil import HONEST_KEY_INDEX, finish, opponent, output_half, play_out


@dataclass
class LocalChainView:
    """tests/execution's LocalChain seen as the node's Chain."""

    chain: LocalChain

    @property
    def engine(self) -> PyEvmEngine:
        return self.chain.engine

    def head_number(self) -> int:
        return len(self.chain.headers) - 1

    def header_at(self, number: int) -> BlockHeaderAPI:
        return self.chain.headers[number]


def l2_with_blocks(count: int) -> LocalChain:
    genesis = devnet_genesis()
    chain = LocalChain(genesis)
    key = dev_private_keys(1)[0]
    for nonce in range(count):
        transfer = sign(key, genesis.chain_id, nonce=nonce, to=address_of(dev_private_keys(2)[1]),
                        value=1, maxFeePerGas=chain.next_base_fee() * 2,
                        maxPriorityFeePerGas=0)
        chain.build([transfer])
    return chain


async def test_chain_outputs_are_the_node_output_roots() -> None:
    chain = l2_with_blocks(3)
    outputs = ChainOutputs(LocalChainView(chain))
    for number in range(4):
        assert await outputs.output_at(number) == output_root_at(chain.engine,
                                                                 chain.headers[number])
    try:
        await outputs.output_at(4)
    except L2Unavailable as error:
        assert "ends at block 3, not 4" in str(error)
    else:
        raise AssertionError("a block past the head was answered")


async def test_it_wins_the_output_half_on_real_output_roots(chain: AnvilChain) -> None:
    l2 = l2_with_blocks(8)
    roots = [output_root_at(l2.engine, header).root for header in l2.headers]
    setup = deploy_dispute_setup(chain, max_step_depth=2)
    setup.land(0, 1, 3, roots[3])
    header = setup.land(1, 4, 5, wrong(roots[8], 1), signers=(0, 1, 2))
    honest, colluder = chain.accounts[HONEST_KEY_INDEX], chain.accounts[5]
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    async with L1Client(url) as client:
        service = ChallengerService(
            DisputeChain(client, bytes.fromhex(setup.inbox.address[2:])),
            LocalAccount(client, bytes(honest.key)),
            L2TraceSource(ChainOutputs(LocalChainView(l2))), interval=0)
        # the colluders' counters are wrong values of the toy trace: any wrong value will do
        game_id = await play_out(setup, service, opponent(
            setup, setup.toy(1, 5), colluder, honest, setup.rollup.digest(header),
            output_half(attack_wrong)))
        claims = setup.claims(game_id)
        honest_claims = [c for c in claims if c.claimant == honest.address]
        assert claims[1].claim == roots[8], "position 2 is past the 5 blocks: the last root"
        step_root = max(honest_claims, key=lambda c: depth(c.position))
        assert depth(step_root.position) == SPLIT_DEPTH + 1
        block = block_position(step_root.position)
        assert step_root.claim == final_state(roots[4 + min(block, 4)]), \
            "the step subgame's root is the disputed block's final state, from its output"
        assert await finish(setup, service, game_id) == LOST
    assert setup.inbox.functions.next_index().call() == 1
