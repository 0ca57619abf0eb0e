"""A LockingPool on a real L1 with four sequencers locked and live in epoch 1, for the tests
of what nodes do with it (report evidence, show the staking view)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ordo.consensus.evidence import Equivocation, make_equivocation
from ordo.consensus.messages import VoteType
from ordo.consensus.signing import LocalSigner
from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.deploy import StakingDeployment, deploy_staking, stake_devnet_sequencers
from ordo.l1.local_account import LocalAccount
from ordo.l1.staking_params import StakingParams, devnet_staking_params
from tests.l1_contracts.ordo_votes import signed_vote, validator_key

L2_CHAIN_ID = 902
SEQUENCERS = 4
BLOCK_A, BLOCK_B, BLOCK_C = b"\xaa" * 32, b"\xbb" * 32, b"\xcc" * 32


@dataclass(frozen=True)
class StakedPool:
    params: StakingParams
    deployment: StakingDeployment
    deployer: LocalAccount
    operators: tuple[LocalAccount, ...]
    signers: tuple[LocalSigner, ...]
    """The consensus keys, one per operator, in the same order."""

    @property
    def pool(self) -> bytes:
        return self.deployment.locking_pool


async def staked_pool(client: L1Client, stakes: list[int] | None = None,
                      reward_reserve: int | None = None) -> StakedPool:
    keys = dev_private_keys(SEQUENCERS + 1)
    params = devnet_staking_params(L2_CHAIN_ID)
    if reward_reserve is not None:
        params = replace(params, reward_reserve=reward_reserve)
    deployer = LocalAccount(client, keys[0])
    deployment = await deploy_staking(client, deployer, params)
    signers = tuple(validator_key(index) for index in range(SEQUENCERS))
    await stake_devnet_sequencers(client, deployment, deployer,
                                  [signer.address for signer in signers], stakes,
                                  time_travel=True)
    operators = tuple(LocalAccount(client, key) for key in keys[1:])
    return StakedPool(params, deployment, deployer, operators, signers)


def equivocation(signer: LocalSigner, height: int, block_a: bytes = BLOCK_A,
                 block_b: bytes = BLOCK_B, round_: int = 0,
                 vote_type: VoteType = VoteType.PRECOMMIT,
                 chain_id: int = L2_CHAIN_ID) -> Equivocation:
    """Two votes really signed by ``signer`` for one (height, round, type), different blocks."""
    return make_equivocation(
        signed_vote(signer, chain_id, height, round_, vote_type, block_a),
        signed_vote(signer, chain_id, height, round_, vote_type, block_b))
