"""deploy_dispute_game over Ordo's own L1 client: the game is deployed after the inbox and named
to it and to the pool once; a game longer than the inbox's max_dispute_duration is refused off
chain and on chain; every contract deployed stays under the EIP-170 code size limit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import vyper

from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.deploy import deploy_staking, pool_handle
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import (
    DEVNET_GAME_MAX_DISPUTE_DURATION,
    DisputeGameMismatch,
    DisputeGameParams,
    IncompleteStepVerifier,
    RollupParams,
    deploy_dispute_game,
    deploy_rollup,
    devnet_dispute_params,
    devnet_rollup_params,
    game_at,
    inbox_at,
)
from ordo.l1.staking_params import StakingParams
from ordo.l1.verifier_completeness import INCOMPLETE_VERIFIER_NOTE, decides_every_step
from tests.l1_contracts.anvil_chain import AnvilChain

from .game_setup import deploy_verifier

INCOMPLETE_SOURCE = Path(__file__).with_name("IncompleteStepVerifier.vy")

EIP170_LIMIT = 24_576
GENESIS = b"\x4e" * 32


def test_every_rollup_contract_fits_the_code_size_limit() -> None:
    for name in ("GovernanceToken", "LockingPool", "RollupInbox", "ForcedInclusionQueue",
                 "WithdrawalPortal", "DisputeGame"):
        size = len(compile_contract(name).runtime_bytecode)
        assert 0 < size <= EIP170_LIMIT, f"{name}: {size} bytes of runtime code"


def test_parameters_are_checked_before_anything_is_sent() -> None:
    assert devnet_rollup_params().game is None
    with_game = devnet_rollup_params(game=devnet_dispute_params())
    assert with_game.max_dispute_duration == DEVNET_GAME_MAX_DISPUTE_DURATION == 210
    defaults = DisputeGameParams()
    assert defaults.max_game_depth == 43
    assert defaults.max_game_duration() <= RollupParams().max_dispute_duration
    with pytest.raises(ValueError, match="shorter than the dispute game's longest game"):
        RollupParams(max_dispute_duration=7 * 86_400, game=DisputeGameParams())
    with pytest.raises(ValueError, match="at least twice"):
        DisputeGameParams(max_clock_duration=10, clock_extension=6)
    with pytest.raises(ValueError, match="max_step_depth"):
        DisputeGameParams(max_step_depth=0)


async def test_deploys_the_game_and_names_it_once(chain: AnvilChain) -> None:
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    verifier = bytes.fromhex(deploy_verifier(chain).address[2:])
    async with L1Client(url) as client:
        deployer = LocalAccount(client, dev_private_keys(1)[0])
        staking = await deploy_staking(client, deployer, StakingParams(903))
        rollup = await deploy_rollup(client, deployer, staking)
        params = DisputeGameParams()
        game = await deploy_dispute_game(client, deployer, staking, rollup, verifier, GENESIS,
                                         params)
        inbox = inbox_at(client, rollup.inbox)
        assert await inbox.call("disputes") == "0x" + game.hex()
        pool = pool_handle(client, staking)
        assert await pool.call("dispute_game") == "0x" + game.hex()
        assert await pool.call("dispute_slash_bps") == params.dispute_slash_bps
        handle = game_at(client, game)
        assert await handle.call("max_game_duration") == params.max_game_duration()
        assert await handle.call("max_game_depth") == 43
        assert bytes(await handle.call("genesis_output_root")) == GENESIS
        with pytest.raises(DisputeGameMismatch, match="names a dispute game already"):
            await deploy_dispute_game(client, deployer, staking, rollup, verifier, GENESIS,
                                      params)
        longer = DisputeGameParams(max_clock_duration=7 * 86_400)
        with pytest.raises(DisputeGameMismatch, match="allows disputes of"):
            await deploy_dispute_game(client, deployer, staking, rollup, verifier, GENESIS,
                                      longer)


async def test_an_incomplete_verifier_is_refused_unless_allowed(chain: AnvilChain) -> None:
    """A leaf the verifier cannot check stands by default: a verifier answering False to
    decides_every_step, or not answering, is refused before anything is sent; allowed
    explicitly (devnets) the game is deployed and the record carries the note."""
    out = vyper.compile_code(INCOMPLETE_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    incomplete = chain.deploy_code(out["abi"], bytes.fromhex(out["bytecode"][2:]))
    verifier = bytes.fromhex(incomplete.address[2:])
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    async with L1Client(url) as client:
        deployer = LocalAccount(client, dev_private_keys(1)[0])
        staking = await deploy_staking(client, deployer, StakingParams(903))
        rollup = await deploy_rollup(client, deployer, staking)
        silent = bytes.fromhex(deploy_verifier(chain).address[2:])
        assert await decides_every_step(client, silent) is True
        assert await decides_every_step(client, verifier) is False
        assert await decides_every_step(client, staking.locking_pool) is False, "no such view"
        for refused in (verifier, staking.locking_pool):
            with pytest.raises(IncompleteStepVerifier, match="does not decide every step kind"):
                await deploy_dispute_game(client, deployer, staking, rollup, refused, GENESIS,
                                          DisputeGameParams())
        inbox = inbox_at(client, rollup.inbox)
        assert int(str(await inbox.call("disputes")), 16) == 0, "nothing was sent"
        game = await deploy_dispute_game(client, deployer, staking, rollup, verifier, GENESIS,
                                         DisputeGameParams(), allow_incomplete_verifier=True)
        assert await inbox.call("disputes") == "0x" + game.hex()
    recorded = replace(rollup, dispute_game=game, step_verifier=verifier,
                       step_verifier_complete=False)
    assert recorded.record_fields()["stepVerifierNote"] == INCOMPLETE_VERIFIER_NOTE
    assert "stepVerifierNote" not in replace(recorded, step_verifier_complete=True).record_fields()


def test_the_game_refuses_bad_parameters(chain: AnvilChain) -> None:
    from tests.l1_contracts.pool_deployment import deploy_pool

    pool = deploy_pool(chain).pool.address
    someone = chain.accounts[8].address
    zero = "0x" + "00" * 20
    good = [someone, pool, someone, GENESIS, 32, 600, 10, 10**15, 12_000]
    cases = [
        (0, zero, "DisputeGame: inbox is the zero address"),
        (1, zero, "DisputeGame: pool is the zero address"),
        (2, zero, "DisputeGame: verifier is the zero address"),
        (3, b"\x00" * 32, "DisputeGame: genesis output root is zero"),
        (4, 0, "DisputeGame: max step depth must be 1..51"),
        (4, 52, "DisputeGame: max step depth must be 1..51"),
        (5, 0, "DisputeGame: max clock duration must be positive"),
        (6, 301, "DisputeGame: clock extension above half the max clock duration"),
        (7, 0, "DisputeGame: base bond must be positive"),
        (8, 9_999, "DisputeGame: bond growth must be 10000..20000 bps per level"),
        (8, 20_001, "DisputeGame: bond growth must be 10000..20000 bps per level"),
        (7, 10**26, "DisputeGame: the bond at the max depth exceeds 2^96 wei"),
    ]
    for position, value, reason in cases:
        args = list(good)
        args[position] = value
        assert chain.deploy_revert_reason("DisputeGame", *args) == reason, reason
    chain.deploy("DisputeGame", *good)
