"""The embedded Ethereum dev chain (L1) that ``ordo devnet`` starts when no L1 URL is given."""

from ordo.l1.dev_chain.block_clock import BlockClock, TimeTravelError
from ordo.l1.dev_chain.child_process import (
    DevChainProcess,
    DevChainStartError,
    start_dev_chain_process,
)
from ordo.l1.dev_chain.dev_chain import BalanceChangeError, DevChain, DevChainConfig
from ordo.l1.dev_chain.dev_genesis import DEV_L1_CHAIN_ID, dev_l1_genesis, faucet_address
from ordo.l1.dev_chain.ready_marker import READY_FILE, READY_PREFIX, parse_ready_line
from ordo.l1.dev_chain.server import start_dev_server

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
