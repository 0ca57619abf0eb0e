"""The dev L1's genesis: the development mnemonic's accounts, a faucet, and a fixed chain id.

The genesis is written to the data directory on first start and read back afterwards, because its
timestamp is the wall clock at creation (L1 contracts compare ``block.timestamp`` with real
delays) and a restarted chain must find the very same genesis hash.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from eth_account import Account
from eth_hash.auto import keccak

from ordo.core.genesis import (
    DEV_L1_CHAIN_ID,
    FeeRules,
    Genesis,
    GenesisAccount,
    devnet_genesis,
)

DEV_L1_GAS_LIMIT = 30_000_000
FAUCET_BALANCE = 2**200
FAUCET_KEY = keccak(b"ordo dev l1 faucet")
"""Key of the account anvil_setBalance pays from (public on purpose: this is a dev chain)."""
GENESIS_FILE = "genesis.json"


def faucet_address() -> bytes:
    return bytes.fromhex(Account.from_key(FAUCET_KEY).address[2:])


def dev_l1_genesis(chain_id: int = DEV_L1_CHAIN_ID, timestamp: int = 0) -> Genesis:
    """Ten development accounts with 10,000 ETH each, plus the faucet."""
    base = devnet_genesis(chain_id=chain_id, timestamp=timestamp, predeploys=False)
    alloc = dict(base.alloc)
    alloc[faucet_address()] = GenesisAccount(balance=FAUCET_BALANCE)
    # Ethereum's own base fee rules: 1 gwei start, no floor above 7 wei.
    fees = FeeRules(initial_base_fee=1_000_000_000, base_fee_floor=7)
    return replace(base, alloc=alloc, fee_rules=fees, gas_limit=DEV_L1_GAS_LIMIT,
                   extra_data=b"ordo dev l1")


def load_or_create_genesis(data_dir: Path, chain_id: int, now: int) -> Genesis:
    """The data directory's genesis, created at ``now`` if missing; refuses another chain id."""
    path = data_dir / GENESIS_FILE
    if path.exists():
        genesis = Genesis.load(path)
        if genesis.chain_id != chain_id:
            raise ValueError(f"{path} holds chain id {genesis.chain_id}, not {chain_id}; "
                             "use another data directory")
        return genesis
    genesis = dev_l1_genesis(chain_id, now)
    data_dir.mkdir(parents=True, exist_ok=True)
    genesis.save(path)
    return genesis
