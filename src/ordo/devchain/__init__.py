"""The embedded Ethereum dev chain (L1) that ``ordo devnet`` starts when no L1 URL is given."""

from ordo.core.genesis import DEV_L1_CHAIN_ID
from ordo.devchain.block_clock import BlockClock, TimeTravelError
from ordo.devchain.child_process import (
    DevChainProcess,
    DevChainStartError,
    start_dev_chain_process,
)
from ordo.devchain.dev_chain import BalanceChangeError, DevChain, DevChainConfig
from ordo.devchain.dev_genesis import dev_l1_genesis, faucet_address
from ordo.devchain.ready_marker import READY_FILE, READY_PREFIX, parse_ready_line
from ordo.devchain.server import start_dev_server

__all__ = [
    "DEV_L1_CHAIN_ID",
    "READY_FILE",
    "READY_PREFIX",
    "BalanceChangeError",
    "BlockClock",
    "DevChain",
    "DevChainConfig",
    "DevChainProcess",
    "DevChainStartError",
    "TimeTravelError",
    "dev_l1_genesis",
    "faucet_address",
    "parse_ready_line",
    "start_dev_chain_process",
    "start_dev_server",
]
