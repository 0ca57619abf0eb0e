"""Deploy the ForcedInclusionQueue, the RollupInbox and the WithdrawalPortal next to an existing
staking deployment.

The inbox reads the pool's epoch sets and is the one caller the pool lets credit rewards, so the
pool's owner names the inbox (``set_inbox``, which the pool allows once). The portal pays
withdrawals against the inbox's final outputs and holds every deposited ETH, so the queue's
owner names it (``set_portal``, once): from then on the queue forwards each deposit to it.

The dispute game needs the inbox, the pool, the step verifier and the L2 genesis output root
(the agreed start of batch 0, known only once the genesis exists), so it is deployed after them
(``deploy_dispute_game``) and named to the inbox (``set_disputes``, deployer only, once) and to
the pool (``set_dispute_game``, owner only, once, with the share of stake a signer of a disproved
header loses). Its longest game must fit the inbox's ``max_dispute_duration``, which the pool's
exit delay already exceeds together with the window: checked here before anything is sent, and
again by the inbox on chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from ordo.l1.abi_codec import ContractAbi
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.deploy import RECEIPT_TIMEOUT, StakingDeployment, StakingStepFailed, pool_handle
from ordo.l1.local_account import LocalAccount
from ordo.l1.verifier_completeness import INCOMPLETE_VERIFIER_NOTE, decides_every_step

DEFAULT_INCLUSION_WINDOW = 50
"""L1 blocks (about ten minutes) a forced item may wait before every batch must include it."""
DEFAULT_FORCED_FEE = 10**14
"""0.0001 ETH per forced item: small for a user, enough that flooding the queue costs."""
DEFAULT_CHALLENGE_WINDOW = 7 * 86_400
"""A week, as OP Stack and Arbitrum: time for one honest party to notice and dispute."""
DEFAULT_MAX_CLOCK_DURATION = 302_400
"""3.5 days per side, as OP Stack."""
DEFAULT_CLOCK_EXTENSION = 7_200
"""Two hours: a side whose clock is nearly out still gets this long to answer each claim."""
DEFAULT_MAX_STEP_DEPTH = 32
"""2^32 steps per block: one per EVM instruction (at least 1 gas each) plus the block, transaction
and copy sub-steps, for any block gas limit below about 4 billion."""
DEFAULT_BASE_BOND = 8 * 10**16
"""0.08 ETH at depth 1 (OP's 400k gas at 200 gwei): what a counter-move costs at high gas."""
DEFAULT_BOND_GROWTH_BPS = 11_500
"""x1.15 per level: 0.08 ETH at depth 1 up to about 28 ETH at depth 43, where the counter is a
step (millions of gas)."""
DEFAULT_DISPUTE_SLASH_BPS = 5_000
"""Half the locked stake of every signer of a disproved header."""
DEFAULT_MAX_DISPUTE_DURATION = 11 * 86_400
"""At least the longest game of the default parameters (2 x 3.5 days + 45 x 2 h = 10.75 days);
with the 7-day window, 18 days < the 21-day exit delay."""
DEFAULT_SEQUENCER_TIMEOUT = 3 * 86_400
"""Three days without a landed batch before anyone may post a fallback batch: far longer than
any L1 outage the batcher rides out, short enough that users are not locked in for long."""
DEFAULT_FALLBACK_BOND = 10**18
"""1 ETH locked by a fallback batch's poster until its output is final."""
DEVNET_CHALLENGE_WINDOW = 30
DEVNET_SEQUENCER_TIMEOUT = 300
"""Five minutes on a devnet."""
DEVNET_FALLBACK_BOND = 10**17
DEVNET_MAX_CLOCK_DURATION = 60
DEVNET_CLOCK_EXTENSION = 2
DEVNET_BASE_BOND = 10**15
DEVNET_MAX_DISPUTE_DURATION = 20
"""Devnet without a game: window + longest dispute (50 s) stays under the devnet pool's 60 s exit
delay."""
DEVNET_GAME_MAX_DISPUTE_DURATION = 2 * DEVNET_MAX_CLOCK_DURATION + \
    (10 + 1 + DEFAULT_MAX_STEP_DEPTH + 2) * DEVNET_CLOCK_EXTENSION
"""Devnet with a game: the longest game of 60 s clocks with 2 s extensions (210 s); such a
devnet's pool must exit later than window + this."""


@dataclass(frozen=True)
class DisputeGameParams:
    """The DisputeGame's constructor parameters (docs/fault_proofs.md section 6)."""

    max_step_depth: int = DEFAULT_MAX_STEP_DEPTH
    max_clock_duration: int = DEFAULT_MAX_CLOCK_DURATION
    clock_extension: int = DEFAULT_CLOCK_EXTENSION
    base_bond: int = DEFAULT_BASE_BOND
    bond_growth_bps: int = DEFAULT_BOND_GROWTH_BPS
    dispute_slash_bps: int = DEFAULT_DISPUTE_SLASH_BPS

    def __post_init__(self) -> None:
        for name in ("max_step_depth", "max_clock_duration", "clock_extension", "base_bond",
                     "bond_growth_bps", "dispute_slash_bps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: {value!r} must be a non-negative integer")
        if not 1 <= self.max_step_depth <= MAX_STEP_DEPTH_LIMIT:
            raise ValueError(f"max_step_depth: {self.max_step_depth} must be 1.."
                             f"{MAX_STEP_DEPTH_LIMIT}")
        if self.max_clock_duration == 0 or 2 * self.clock_extension > self.max_clock_duration:
            raise ValueError(f"clock: {self.max_clock_duration} s per side must be positive and "
                             f"at least twice the {self.clock_extension} s extension")
        if self.base_bond == 0 or not 10_000 <= self.bond_growth_bps <= 20_000:
            raise ValueError("bonds: the base bond must be positive and the growth 10000..20000 "
                             "bps per level")
        if not 1 <= self.dispute_slash_bps <= 10_000:
            raise ValueError(f"dispute_slash_bps: {self.dispute_slash_bps} must be 1..10000")

    @property
    def max_game_depth(self) -> int:
        return SPLIT_DEPTH + 1 + self.max_step_depth

    def max_game_duration(self) -> int:
        """The contract's ``max_game_duration()``: both clocks, one extension per level, two
        to spare."""
        return 2 * self.max_clock_duration + (self.max_game_depth + 2) * self.clock_extension

    def constructor_args(self, inbox: bytes, pool: bytes, verifier: bytes,
                         genesis_output_root: bytes) -> tuple[Any, ...]:
        return (inbox, pool, verifier, genesis_output_root, self.max_step_depth,
                self.max_clock_duration, self.clock_extension, self.base_bond,
                self.bond_growth_bps)


SPLIT_DEPTH = 10
"""The game bisects a batch's blocks over 2^10 leaves: the inbox's MAX_BATCH_BLOCKS (1024)."""
MAX_STEP_DEPTH_LIMIT = 51


def devnet_dispute_params() -> DisputeGameParams:
    """Seconds instead of days and small bonds; the real trace depth."""
    return DisputeGameParams(max_clock_duration=DEVNET_MAX_CLOCK_DURATION,
                             clock_extension=DEVNET_CLOCK_EXTENSION,
                             base_bond=DEVNET_BASE_BOND)


@dataclass(frozen=True)
class RollupParams:
    inclusion_window: int = DEFAULT_INCLUSION_WINDOW
    forced_fee: int = DEFAULT_FORCED_FEE
    fee_recipient: bytes | None = None
    """Who may be paid the queue's fees; the deployer when None."""
    challenge_window: int = DEFAULT_CHALLENGE_WINDOW
    """Seconds after a batch lands before its output can be final."""
    max_dispute_duration: int = DEFAULT_MAX_DISPUTE_DURATION
    disputes: bytes | None = None
    """The dispute game the inbox consults on every output; None: no game (the window alone)."""
    sequencer_timeout: int = DEFAULT_SEQUENCER_TIMEOUT
    """Seconds without a landed batch before anyone may post a fallback batch."""
    fallback_bond: int = DEFAULT_FALLBACK_BOND
    game: DisputeGameParams | None = None
    """The dispute game ``deploy_dispute_game`` deploys for this inbox; None: none."""

    def __post_init__(self) -> None:
        for name, least in (("challenge_window", 1), ("max_dispute_duration", 0),
                            ("sequencer_timeout", 1), ("fallback_bond", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name}: {value!r} must be an integer number of seconds "
                                 f">= {least}")
        if self.disputes is not None and len(self.disputes) != 20:
            raise ValueError(f"disputes: {self.disputes!r} is not a 20-byte address")
        if isinstance(self.inclusion_window, bool) or not isinstance(self.inclusion_window, int) \
                or self.inclusion_window <= 0:
            raise ValueError(f"inclusion_window: {self.inclusion_window!r} must be a positive "
                             f"number of L1 blocks")
        if isinstance(self.forced_fee, bool) or not isinstance(self.forced_fee, int) or \
                self.forced_fee < 0:
            raise ValueError(f"forced_fee: {self.forced_fee!r} must be a non-negative wei amount")
        if self.fee_recipient is not None and len(self.fee_recipient) != 20:
            raise ValueError(f"fee_recipient: {self.fee_recipient!r} is not a 20-byte address")
        if self.game is not None and self.game.max_game_duration() > self.max_dispute_duration:
            raise ValueError(f"max_dispute_duration: {self.max_dispute_duration} s is shorter "
                             f"than the dispute game's longest game "
                             f"({self.game.max_game_duration()} s)")


def devnet_rollup_params(challenge_window: int = DEVNET_CHALLENGE_WINDOW,
                         sequencer_timeout: int = DEVNET_SEQUENCER_TIMEOUT,
                         game: DisputeGameParams | None = None) -> RollupParams:
    """Seconds instead of days, for pools with the devnet exit delay; with ``game`` the
    inbox's max_dispute_duration is that game's longest game (the pool must exit later)."""
    return RollupParams(challenge_window=challenge_window,
                        max_dispute_duration=DEVNET_MAX_DISPUTE_DURATION if game is None
                        else game.max_game_duration(),
                        sequencer_timeout=sequencer_timeout, fallback_bond=DEVNET_FALLBACK_BOND,
                        game=game)


@dataclass(frozen=True)
class RollupDeployment:
    inbox: bytes
    queue: bytes
    deploy_block: int
    """The inbox's deployment block: where a reader of BatchAccepted events starts."""
    portal: bytes | None = None
    """The WithdrawalPortal; None for a record made before withdrawals existed."""
    challenge_window: int | None = None
    dispute_game: bytes | None = None
    """The DisputeGame the inbox names (``deploy_dispute_game``); None: no game deployed."""
    step_verifier: bytes | None = None
    """The game's one-step verifier (its StepRouter); None with no game."""
    step_verifier_complete: bool | None = None
    """Its ``decides_every_step`` at deployment; None: not recorded. When False the record
    carries INCOMPLETE_VERIFIER_NOTE next to it."""

    def to_json(self) -> dict[str, Any]:
        return {"inbox": "0x" + self.inbox.hex(), "forced_queue": "0x" + self.queue.hex(),
                "inbox_deploy_block": self.deploy_block,
                **({} if self.portal is None else {"portal": "0x" + self.portal.hex(),
                                                   "challenge_window": self.challenge_window}),
                **self._game_fields("dispute_game", "step_verifier"),
                **self._completeness_fields("step_verifier_complete", "step_verifier_note")}

    def record_fields(self) -> dict[str, Any]:
        """The camelCase fields l1.json and devnet.json carry."""
        return {"inbox": "0x" + self.inbox.hex(), "forcedQueue": "0x" + self.queue.hex(),
                "inboxDeployBlock": self.deploy_block,
                **({} if self.portal is None else {"portal": "0x" + self.portal.hex(),
                                                   "challengeWindow": self.challenge_window}),
                **self._game_fields("disputeGame", "stepVerifier"),
                **self._completeness_fields("stepVerifierComplete", "stepVerifierNote")}

    def _completeness_fields(self, flag_name: str, note_name: str) -> dict[str, Any]:
        if self.dispute_game is None or self.step_verifier_complete is None:
            return {}
        return {flag_name: self.step_verifier_complete,
                **({} if self.step_verifier_complete else {note_name: INCOMPLETE_VERIFIER_NOTE})}

    def _game_fields(self, game_name: str, verifier_name: str) -> dict[str, Any]:
        if self.dispute_game is None:
            return {}
        return {game_name: "0x" + self.dispute_game.hex(),
                verifier_name: None if self.step_verifier is None
                else "0x" + self.step_verifier.hex()}


@cache
def inbox_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("RollupInbox").abi)


@cache
def queue_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("ForcedInclusionQueue").abi)


@cache
def game_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("DisputeGame").abi)


def game_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, game_abi())


@cache
def portal_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("WithdrawalPortal").abi)


def portal_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, portal_abi())


def inbox_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, inbox_abi())


def queue_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, queue_abi())


async def deploy_rollup(client: L1Client, deployer: LocalAccount, staking: StakingDeployment,
                        params: RollupParams | None = None) -> RollupDeployment:
    """Queue, inbox, ``pool.set_inbox(inbox)``, portal, ``queue.set_portal(portal)``;
    ``deployer`` must own the pool."""
    chosen = params or RollupParams()
    queue_contract = compile_contract("ForcedInclusionQueue")
    inbox_contract = compile_contract("RollupInbox")
    portal_contract = compile_contract("WithdrawalPortal")
    queue, _ = await ContractHandle.deploy(
        client, deployer, queue_contract.abi, queue_contract.bytecode, chosen.inclusion_window,
        chosen.forced_fee, chosen.fee_recipient or deployer.address, timeout=RECEIPT_TIMEOUT)
    inbox, inbox_receipt = await ContractHandle.deploy(
        client, deployer, inbox_contract.abi, inbox_contract.bytecode, staking.locking_pool,
        queue.address, chosen.challenge_window, chosen.max_dispute_duration,
        chosen.disputes or bytes(20), chosen.sequencer_timeout, chosen.fallback_bond,
        timeout=RECEIPT_TIMEOUT)
    await _owner_step(client, deployer, pool_handle(client, staking), "set_inbox", inbox.address)
    portal, _ = await ContractHandle.deploy(
        client, deployer, portal_contract.abi, portal_contract.bytecode, inbox.address,
        queue.address, timeout=RECEIPT_TIMEOUT)
    await _owner_step(client, deployer, queue, "set_portal", portal.address)
    return RollupDeployment(inbox.address, queue.address, inbox_receipt.block_number,
                            portal.address, chosen.challenge_window)


async def _owner_step(client: L1Client, deployer: LocalAccount, handle: ContractHandle,
                      function: str, address: bytes) -> None:
    sent = await handle.transact(deployer, function, address)
    receipt = await client.wait_for_receipt(sent.tx_hash, timeout=RECEIPT_TIMEOUT)
    if not receipt.succeeded:
        raise StakingStepFailed(f"{function} from 0x{deployer.address.hex()} reverted in block "
                                f"{receipt.block_number} (transaction 0x{sent.tx_hash.hex()})")


class DisputeGameMismatch(StakingStepFailed):
    """The inbox on chain cannot take the game: its max_dispute_duration is shorter than the
    game's longest game, or it names a dispute game already; or, after the wiring, the pool and
    the inbox name different games."""


class IncompleteStepVerifier(StakingStepFailed):
    """The step verifier does not decide every step kind and the caller did not allow it."""


async def deploy_dispute_game(client: L1Client, deployer: LocalAccount,
                              staking: StakingDeployment, rollup: RollupDeployment,
                              verifier: bytes, genesis_output_root: bytes,
                              params: DisputeGameParams, *,
                              allow_incomplete_verifier: bool = False) -> bytes:
    """Deploy the DisputeGame for ``rollup``'s inbox, then ``inbox.set_disputes(game)`` and
    ``pool.set_dispute_game(game, dispute_slash_bps)``; ``deployer`` must have deployed the
    inbox and own the pool. Returns the game's address.

    A verifier that does not decide every step kind (``decides_every_step`` false or absent)
    is refused before anything is sent unless ``allow_incomplete_verifier`` (devnets, which
    must then state ``INCOMPLETE_VERIFIER_NOTE``): a leaf it cannot check stands by default."""
    if len(verifier) != 20 or len(genesis_output_root) != 32:
        raise ValueError("the verifier is a 20-byte address and the genesis output root 32 bytes")
    if not allow_incomplete_verifier and not await decides_every_step(client, verifier):
        raise IncompleteStepVerifier(
            f"step verifier 0x{verifier.hex()} does not decide every step kind "
            f"({INCOMPLETE_VERIFIER_NOTE}); pass allow_incomplete_verifier=True only for a "
            "devnet that says so")
    inbox = inbox_at(client, rollup.inbox)
    allowed = int(await inbox.call("max_dispute_duration"))
    if params.max_game_duration() > allowed:
        raise DisputeGameMismatch(
            f"the game can last {params.max_game_duration()} s but inbox 0x{rollup.inbox.hex()} "
            f"allows disputes of {allowed} s (max_dispute_duration)")
    if int(str(await inbox.call("disputes")), 16) != 0:
        raise DisputeGameMismatch(f"inbox 0x{rollup.inbox.hex()} names a dispute game already")
    contract = compile_contract("DisputeGame")
    game, _ = await ContractHandle.deploy(
        client, deployer, contract.abi, contract.bytecode,
        *params.constructor_args(rollup.inbox, staking.locking_pool, verifier,
                                 genesis_output_root),
        timeout=RECEIPT_TIMEOUT)
    await _owner_step(client, deployer, inbox, "set_disputes", game.address)
    sent = await pool_handle(client, staking).transact(deployer, "set_dispute_game", game.address,
                                                       params.dispute_slash_bps)
    receipt = await client.wait_for_receipt(sent.tx_hash, timeout=RECEIPT_TIMEOUT)
    if not receipt.succeeded:
        raise StakingStepFailed(f"set_dispute_game from 0x{deployer.address.hex()} reverted in "
                                f"block {receipt.block_number} (transaction "
                                f"0x{sent.tx_hash.hex()})")
    # The game slashes through the pool and removes through the inbox: both must name it.
    named = (str(await pool_handle(client, staking).call("dispute_game")),
             str(await inbox.call("disputes")))
    if any(int(address, 16) != int.from_bytes(game.address, "big") for address in named):
        raise DisputeGameMismatch(f"the pool names {named[0]} and the inbox {named[1]}, "
                                  f"not the game 0x{game.address.hex()}")
    return game.address
