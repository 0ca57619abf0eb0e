"""The dispute game of a new devnet on an L1: the real one-step verifier and devnet clocks.

The game needs the genesis output root, so it is deployed once the genesis is known (and before
it is written: a genesis on disk means the devnet is whole). Its longest game bounds the
inbox's ``max_dispute_duration``, and the pool's exit delay must exceed the challenge window
plus that, so the parameters are chosen first (``devnet_game_params``) and the pool and inbox
deployed to fit them.
"""

from __future__ import annotations

from dataclasses import replace

from ordo.challenger.node_steps import chain_rules
from ordo.core.genesis import Genesis
from ordo.execution.genesis_output import genesis_output_root
from ordo.l1.client import L1Client
from ordo.l1.deploy import StakingDeployment
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import (
    DEVNET_CLOCK_EXTENSION,
    DisputeGameParams,
    RollupDeployment,
    deploy_dispute_game,
    devnet_dispute_params,
)
from ordo.l1.step_verifier_deploy import deploy_step_verifier
from ordo.l1.verifier_completeness import decides_every_step


def devnet_game_params(dispute_clock: int | None) -> DisputeGameParams:
    """The devnet game; ``dispute_clock`` (seconds per side) shortens it for tests and demos:
    its extension is a tenth of it (at least 1 s, at most the devnet's 2 s)."""
    params = devnet_dispute_params()
    if dispute_clock is None:
        return params
    extension = max(1, min(DEVNET_CLOCK_EXTENSION, dispute_clock // 10))
    return replace(params, max_clock_duration=dispute_clock, clock_extension=extension)


async def deploy_devnet_game(client: L1Client, deployer: LocalAccount,
                             staking: StakingDeployment, rollup: RollupDeployment,
                             genesis: Genesis, params: DisputeGameParams) -> RollupDeployment:
    """Deploy the verifier and the game, name the game to the inbox and the pool; returns
    ``rollup`` with both addresses."""
    # block start reads the forced items from the chain's own queue, by the chain's rules
    verifier = await deploy_step_verifier(client, deployer, chain_rules(genesis), rollup.queue)
    # The router does not decide every step kind yet: a devnet runs on it and says so
    # (INCOMPLETE_VERIFIER_NOTE in its record, its report and ordo status).
    game = await deploy_dispute_game(client, deployer, staking, rollup, verifier.router,
                                     genesis_output_root(genesis), params,
                                     allow_incomplete_verifier=True)
    return replace(rollup, dispute_game=game, step_verifier=verifier.router,
                   step_verifier_complete=await decides_every_step(client, verifier.router))
