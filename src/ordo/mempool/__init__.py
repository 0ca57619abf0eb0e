"""The transaction pool: admission, per-sender nonce queues, fee ordering, limits, eviction."""

from ordo.mempool.account_reader import AccountReader
from ordo.mempool.admission import AdmissionRejected
from ordo.mempool.config import ChainRules, MempoolConfig
from ordo.mempool.pool import Admitted, Mempool, Removal
from ordo.mempool.selection import BlockSelection

__all__ = [
    "AccountReader",
    "AdmissionRejected",
    "Admitted",
    "BlockSelection",
    "ChainRules",
    "Mempool",
    "MempoolConfig",
    "Removal",
]
