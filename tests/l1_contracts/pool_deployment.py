"""A fresh GovernanceToken + LockingPool per test, with devnet-sized delays (seconds, not days)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from .anvil_chain import AnvilChain

TOKEN = 10**18
L2_CHAIN_ID = 77077
MIN_LOCK = 20_000 * TOKEN
MAX_LOCK = 100_000 * TOKEN
EXIT_DELAY = 100
EPOCH_INTERVAL = 60
BLOCKS_PER_YEAR = 15_768_000  # one L2 block every 2 s
LATER_MRR_BPS = [1_500, 1_000]
SLASH_BPS = 1_000
REPORTER_BPS = 5_000


@dataclass(frozen=True)
class PoolParameters:
    l2_chain_id: int = L2_CHAIN_ID
    min_lock: int = MIN_LOCK
    max_lock: int = MAX_LOCK
    exit_delay: int = EXIT_DELAY
    epoch_min_interval: int = EPOCH_INTERVAL
    blocks_per_year: int = BLOCKS_PER_YEAR
    later_mrr_bps: list[int] = field(default_factory=lambda: list(LATER_MRR_BPS))
    slash_bps: int = SLASH_BPS
    reporter_bps: int = REPORTER_BPS

    def constructor_args(self, token_address: str) -> list[Any]:
        return [
            token_address,
            self.l2_chain_id,
            self.min_lock,
            self.max_lock,
            self.exit_delay,
            self.epoch_min_interval,
            self.blocks_per_year,
            self.later_mrr_bps,
            self.slash_bps,
            self.reporter_bps,
        ]


@dataclass
class PoolDeployment:
    chain: AnvilChain
    token: Contract
    pool: Contract

    @property
    def owner(self) -> LocalAccount:
        return self.chain.accounts[0]

    def account(self, index: int) -> LocalAccount:
        return self.chain.accounts[index]

    def fund(self, account: LocalAccount, amount: int) -> None:
        """Mint ``amount`` to ``account`` and let the pool pull it."""
        self.chain.send(self.token.functions.mint(account.address, amount), self.owner)
        self.chain.send(self.token.functions.approve(self.pool.address, amount), account)

    def lock(self, account: LocalAccount, amount: int, signer: str) -> TxReceipt:
        self.fund(account, amount)
        return self.chain.send(self.pool.functions.lock(amount, signer), account)

    def advance_epoch(self) -> TxReceipt:
        self.chain.increase_time(EPOCH_INTERVAL)
        return self.chain.send(self.pool.functions.advance_epoch(), self.owner)

    def sequencer(self, owner: str) -> dict[str, Any]:
        values = self.pool.functions.sequencers(owner).call()
        names = ("signer", "amount", "reward_recipient", "status", "withdrawable_at",
                 "exit_epoch", "rewards_owed")
        return dict(zip(names, values, strict=True))

    def epoch_set(self, epoch: int) -> list[tuple[str, int]]:
        members = self.pool.functions.get_epoch_set(epoch).call()
        return [(signer, stake) for signer, stake in members]

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        event = getattr(self.pool.events, name)()
        return [dict(entry["args"]) for entry in event.process_receipt(receipt, errors=DISCARD)]


def deploy_pool(chain: AnvilChain, parameters: PoolParameters | None = None) -> PoolDeployment:
    owner = chain.accounts[0]
    token = chain.deploy("GovernanceToken", "Ordo Governance", "ORDO", sender=owner)
    chosen = parameters or PoolParameters()
    pool = chain.deploy("LockingPool", *chosen.constructor_args(token.address), sender=owner)
    return PoolDeployment(chain, token, pool)
