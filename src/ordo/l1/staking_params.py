"""The numbers a LockingPool is deployed with, written down once.

The defaults are the reference system's (Metis Andromeda): 20,000 to 100,000 tokens per
sequencer, 21 days to exit, a 20% mining reward rate in the first year, one L2 block every 2 s.
Checks mirror the pool constructor's, so a bad parameter is refused here with the same words
before any gas is spent on a deployment that would revert.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

TOKEN = 10**18
"""One whole governance token in its smallest unit (18 decimals)."""
DAY_SECONDS = 86_400
YEAR_SECONDS = 365 * DAY_SECONDS
BPS = 10_000
MAX_SCHEDULE_YEARS = 50
"""The pool's MAX_SCHEDULE_YEARS: later_mrr_bps holds at most this many entries."""

L2_BLOCK_SECONDS = 2
DEFAULT_MIN_LOCK = 20_000 * TOKEN
DEFAULT_MAX_LOCK = 100_000 * TOKEN
DEFAULT_EXIT_DELAY = 21 * DAY_SECONDS
DEFAULT_SLASH_BPS = 1_000
DEFAULT_REPORTER_BPS = 1_000
DEFAULT_BLOCKS_PER_YEAR = YEAR_SECONDS // L2_BLOCK_SECONDS
DEFAULT_LATER_MRR_BPS = (1_500, 1_000, 500)
"""Years 2, 3 and every later year; year 1 is the pool's fixed 20% (FIRST_YEAR_MRR_BPS). The
reference system only documents the 20% start; the tapering is Ordo's choice, changeable by a
new deployment."""
DEFAULT_EPOCH_MIN_INTERVAL = 1_000 * L2_BLOCK_SECONDS
"""One reference-system epoch (1,000 L2 blocks) of L1 time between set changes."""
DEFAULT_REWARD_RESERVE = 2_000_000 * TOKEN
"""About a year and a half of rewards for a full set (64 x 100,000 tokens at 20%)."""
DEFAULT_TOKEN_NAME = "Ordo Governance"
DEFAULT_TOKEN_SYMBOL = "ORDO"

DEVNET_EXIT_DELAY = 60
DEVNET_EPOCH_MIN_INTERVAL = 5
DEVNET_SEQUENCER_STAKE = 50_000 * TOKEN

UINT256_CEILING = 2**256


@dataclass(frozen=True)
class StakingParams:
    l2_chain_id: int
    """The L2 chain whose votes the pool slashes for; no default, a wrong one disarms slashing."""
    min_lock: int = DEFAULT_MIN_LOCK
    max_lock: int = DEFAULT_MAX_LOCK
    exit_delay: int = DEFAULT_EXIT_DELAY
    """Seconds."""
    epoch_min_interval: int = DEFAULT_EPOCH_MIN_INTERVAL
    """Seconds between two advance_epoch() calls at the least."""
    blocks_per_year: int = DEFAULT_BLOCKS_PER_YEAR
    later_mrr_bps: tuple[int, ...] = DEFAULT_LATER_MRR_BPS
    slash_bps: int = DEFAULT_SLASH_BPS
    reporter_bps: int = DEFAULT_REPORTER_BPS
    reward_reserve: int = DEFAULT_REWARD_RESERVE
    """Tokens minted to the deployer and paid into the pool's reward reserve at deployment."""
    token_name: str = DEFAULT_TOKEN_NAME
    token_symbol: str = DEFAULT_TOKEN_SYMBOL

    def __post_init__(self) -> None:
        for name in ("l2_chain_id", "min_lock", "max_lock", "exit_delay", "epoch_min_interval",
                     "blocks_per_year", "slash_bps", "reporter_bps", "reward_reserve"):
            _check_uint256(name, getattr(self, name))
        if self.l2_chain_id == 0:
            raise ValueError("l2_chain_id: must be positive")
        if self.min_lock == 0:
            raise ValueError("min_lock: minimum lock must be positive")
        if self.min_lock > self.max_lock:
            raise ValueError(f"min_lock: {self.min_lock} is above max_lock {self.max_lock}")
        if self.blocks_per_year == 0:
            raise ValueError("blocks_per_year: must be positive")
        if self.slash_bps > BPS:
            raise ValueError(f"slash_bps: {self.slash_bps} is above 100% ({BPS})")
        if self.reporter_bps > BPS:
            raise ValueError(f"reporter_bps: {self.reporter_bps} is above 100% ({BPS})")
        if not isinstance(self.later_mrr_bps, tuple):
            raise ValueError("later_mrr_bps: expected a tuple of basis points")
        if len(self.later_mrr_bps) > MAX_SCHEDULE_YEARS:
            raise ValueError(f"later_mrr_bps: {len(self.later_mrr_bps)} years, the pool holds "
                             f"at most {MAX_SCHEDULE_YEARS}")
        for year, rate in enumerate(self.later_mrr_bps, start=2):
            _check_uint256(f"later_mrr_bps (year {year})", rate)
            if rate > BPS:
                raise ValueError(f"later_mrr_bps: year {year} rate {rate} is above 100% ({BPS})")
        if not 1 <= len(self.token_name.encode()) <= 32:
            raise ValueError(f"token_name: {self.token_name!r} must be 1 to 32 bytes")
        if not 1 <= len(self.token_symbol.encode()) <= 8:
            raise ValueError(f"token_symbol: {self.token_symbol!r} must be 1 to 8 bytes")

    def pool_constructor_args(self, token: bytes) -> tuple[object, ...]:
        """LockingPool's constructor arguments, in its order."""
        return (token, self.l2_chain_id, self.min_lock, self.max_lock, self.exit_delay,
                self.epoch_min_interval, self.blocks_per_year, list(self.later_mrr_bps),
                self.slash_bps, self.reporter_bps)


def devnet_staking_params(l2_chain_id: int, *, exit_delay: int = DEVNET_EXIT_DELAY,
                          epoch_min_interval: int = DEVNET_EPOCH_MIN_INTERVAL
                          ) -> StakingParams:
    """The defaults with delays in seconds instead of days, so a devnet exits and changes sets
    while someone watches."""
    return replace(StakingParams(l2_chain_id), exit_delay=exit_delay,
                   epoch_min_interval=epoch_min_interval)


def _check_uint256(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if not 0 <= value < UINT256_CEILING:
        raise ValueError(f"{name}: {value} is not a uint256")
