"""Genesis: the parameters and initial state every node of one network must agree on.

A genesis is a plain JSON document (``genesis.json``). Its hash-relevant content is the initial
allocation and the first header's fields; the fee and timing parameters below are network rules
that every node applies identically, so they live here too.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ordo.core.block_extra import encode_anchored_extra
from ordo.core.l1_fee import L1FeeRules
from ordo.core.predeploys import (
    GAS_PRICE_ORACLE_ADDRESS,
    MESSAGE_PASSER_ADDRESS,
    gas_price_oracle_code,
    message_passer_code,
)

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_COUNT = 10
DEV_ACCOUNT_BALANCE = 10_000 * 10**18
DEVNET_CHAIN_ID = 77077
DEV_L1_CHAIN_ID = 900
"""The embedded dev L1's chain id (``ordo.devchain``); here, beside the devnet's, so that
commands refusing dev keys on real chains need not import the dev L1 application."""


@dataclass(frozen=True)
class GenesisAccount:
    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class FeeRules:
    """EIP-1559 parameters. ``base_fee_floor`` is Ordo's lower bound on the base fee: the base
    fee never falls below it, and admission refuses a fee cap under it."""

    initial_base_fee: int = 1_000_000_000
    base_fee_floor: int = 10_000_000
    elasticity_multiplier: int = 2
    base_fee_max_change_denominator: int = 8


@dataclass(frozen=True)
class GenesisValidator:
    """A sequencer of the first epochs: its vote-signing address and its stake (voting power).

    From the L1 issue on, later epochs read the set from the L1 locking pool instead.
    """

    address: bytes
    stake: int


@dataclass(frozen=True)
class ConsensusRules:
    """Consensus parameters every node of the network must share (docs/consensus.md §17).

    Timeouts grow linearly with the round: base + round * delta, in milliseconds.
    """

    epoch_length: int = 1000
    propose_base_ms: int = 600
    propose_delta_ms: int = 500
    prevote_base_ms: int = 500
    prevote_delta_ms: int = 250
    precommit_base_ms: int = 500
    precommit_delta_ms: int = 250
    max_clock_drift_s: int = 5


@dataclass(frozen=True)
class GenesisL1:
    """The L1 an L1-staked network is anchored to.

    Each epoch's validator set is the LockingPool's set at the L1 origin named by the epoch's
    anchor block; epoch 0's anchor is the genesis block, whose L1 origin is given here (and
    written into its header, so the genesis hash commits to it).
    """

    chain_id: int
    locking_pool: bytes
    origin_number: int
    origin_hash: bytes
    confirmations: int = 2
    """Depth an L1 block must have before a proposer names it as a block's L1 origin."""
    inbox: bytes | None = None
    """The RollupInbox final blocks are posted to (batch headers are signed for this address);
    None: the network does not post batches."""
    forced_queue: bytes | None = None
    """The ForcedInclusionQueue every block takes items from; None: no forced inclusion."""

    def __post_init__(self) -> None:
        if not 1 <= self.chain_id < 2**64:
            raise ValueError(f"genesis: l1.chainId {self.chain_id} is not in 1..2^64-1")
        if len(self.locking_pool) != 20:
            raise ValueError("genesis: l1.lockingPool is not a 20-byte address")
        if not 0 <= self.origin_number < 2**64:
            raise ValueError(f"genesis: l1.originNumber {self.origin_number} is not a block "
                             "number")
        if len(self.origin_hash) != 32:
            raise ValueError("genesis: l1.originHash is not a 32-byte hash")
        if not 0 <= self.confirmations <= 1024:
            raise ValueError(f"genesis: l1.confirmations {self.confirmations} is not in 0..1024")
        if self.inbox is not None and len(self.inbox) != 20:
            raise ValueError("genesis: l1.inbox is not a 20-byte address")
        if self.forced_queue is not None and len(self.forced_queue) != 20:
            raise ValueError("genesis: l1.forcedQueue is not a 20-byte address")

    def to_json(self) -> dict[str, Any]:
        return {"chainId": self.chain_id, "lockingPool": "0x" + self.locking_pool.hex(),
                "originNumber": self.origin_number, "originHash": "0x" + self.origin_hash.hex(),
                "confirmations": self.confirmations,
                **({} if self.inbox is None else {"inbox": "0x" + self.inbox.hex()}),
                **({} if self.forced_queue is None
                   else {"forcedQueue": "0x" + self.forced_queue.hex()})}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> GenesisL1:
        if not isinstance(document, dict):
            raise ValueError(f"l1 must be an object, got {document!r:.80}")
        hash_text = str(document["originHash"])
        return cls(chain_id=int(document["chainId"]),
                   locking_pool=_parse_address(str(document["lockingPool"])),
                   origin_number=int(document["originNumber"]),
                   origin_hash=bytes.fromhex(_strip_0x(hash_text)),
                   confirmations=int(document.get("confirmations", 2)),
                   inbox=None if document.get("inbox") is None
                   else _parse_address(str(document["inbox"])),
                   forced_queue=None if document.get("forcedQueue") is None
                   else _parse_address(str(document["forcedQueue"])))


@dataclass(frozen=True)
class Genesis:
    chain_id: int
    gas_limit: int = 30_000_000
    timestamp: int = 0
    extra_data: bytes = b""
    fee_rules: FeeRules = field(default_factory=FeeRules)
    alloc: dict[bytes, GenesisAccount] = field(default_factory=dict)
    validators: tuple[GenesisValidator, ...] = ()
    consensus: ConsensusRules = field(default_factory=ConsensusRules)
    l1: GenesisL1 | None = None
    l1_fee: L1FeeRules | None = None
    """The L1 data fee and fee vault (docs/state_transition.md 6.4); None: no L1 fee and the
    base fee is burned."""

    @property
    def header_extra_data(self) -> bytes:
        """Like every block's: no builder, the genesis L1 origin, no forced items yet."""
        if self.l1 is None:
            return self.extra_data
        return encode_anchored_extra(bytes(20), self.l1.origin_number, 0)

    @property
    def header_mix_hash(self) -> bytes:
        return bytes(32) if self.l1 is None else self.l1.origin_hash

    def __post_init__(self) -> None:
        if not 1 <= self.chain_id < 2**64:
            raise ValueError(f"genesis: chainId {self.chain_id} is not in 1..2^64-1")
        seen: set[bytes] = set()
        for validator in self.validators:
            if validator.stake <= 0:
                raise ValueError(f"genesis: validator 0x{validator.address.hex()} has stake "
                                 f"{validator.stake}; stakes must be positive")
            if validator.address in seen:
                raise ValueError(f"genesis: validator 0x{validator.address.hex()} is listed twice")
            seen.add(validator.address)
        oracle = self.alloc.get(GAS_PRICE_ORACLE_ADDRESS)
        if self.l1_fee is not None and (oracle is None or not oracle.code):
            raise ValueError("genesis: l1Fee needs the GasPriceOracle's code at "
                             f"0x{GAS_PRICE_ORACLE_ADDRESS.hex()} (every block writes its L1 "
                             "prices there)")
        rules = asdict(self.consensus)
        for key, value in rules.items():
            if not isinstance(value, int) or value < (1 if key == "epoch_length" else 0):
                raise ValueError(f"genesis: consensus.{key} = {value!r} is not allowed; "
                                 "use a non-negative integer (epoch_length >= 1)")

    def to_json(self) -> dict[str, Any]:
        """JSON form with hex strings for bytes and addresses (stable key order)."""
        return {
            "chainId": self.chain_id,
            "gasLimit": self.gas_limit,
            "timestamp": self.timestamp,
            "extraData": "0x" + self.extra_data.hex(),
            "feeRules": asdict(self.fee_rules),
            "alloc": {
                "0x" + address.hex(): {
                    "balance": str(account.balance),
                    "nonce": account.nonce,
                    "code": "0x" + account.code.hex(),
                    "storage": {hex(slot): hex(value) for slot, value in account.storage},
                }
                for address, account in sorted(self.alloc.items())
            },
            "validators": [
                {"address": "0x" + validator.address.hex(), "stake": str(validator.stake)}
                for validator in self.validators
            ],
            "consensus": asdict(self.consensus),
            **({} if self.l1 is None else {"l1": self.l1.to_json()}),
            **({} if self.l1_fee is None else {"l1Fee": self.l1_fee.to_json()}),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Genesis:
        """Parse a genesis document; raises ValueError naming the bad key."""
        try:
            alloc = {
                _parse_address(address): GenesisAccount(
                    balance=int(entry.get("balance", 0)),
                    nonce=int(entry.get("nonce", 0)),
                    code=bytes.fromhex(_strip_0x(entry.get("code", "0x"))),
                    storage=tuple(
                        sorted(
                            (int(k, 16), int(v, 16)) for k, v in entry.get("storage", {}).items()
                        )
                    ),
                )
                for address, entry in document.get("alloc", {}).items()
            }
            return cls(
                chain_id=int(document["chainId"]),
                gas_limit=int(document.get("gasLimit", 30_000_000)),
                timestamp=int(document.get("timestamp", 0)),
                extra_data=bytes.fromhex(_strip_0x(document.get("extraData", "0x"))),
                fee_rules=FeeRules(**document.get("feeRules", {})),
                alloc=alloc,
                validators=tuple(
                    GenesisValidator(_parse_address(entry["address"]), int(entry["stake"]))
                    for entry in document.get("validators", [])
                ),
                consensus=ConsensusRules(**document.get("consensus", {})),
                l1=None if document.get("l1") is None else GenesisL1.from_json(document["l1"]),
                l1_fee=None if document.get("l1Fee") is None
                else L1FeeRules.from_json(document["l1Fee"]),
            )
        except KeyError as error:
            raise ValueError(f"genesis: missing key {error}") from error
        except (TypeError, ValueError) as error:
            raise ValueError(f"genesis: invalid value: {error}") from error

    @classmethod
    def load(cls, path: Path) -> Genesis:
        return cls.from_json(json.loads(path.read_text()))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")


def _strip_0x(text: str) -> str:
    return text[2:] if text.startswith(("0x", "0X")) else text


def _parse_address(text: str) -> bytes:
    address = bytes.fromhex(_strip_0x(text))
    if len(address) != 20:
        raise ValueError(f"alloc address {text!r} is not 20 bytes")
    return address


def dev_private_keys(
    count: int = DEV_ACCOUNT_COUNT, mnemonic: str = DEV_MNEMONIC
) -> list[bytes]:
    """Keys m/44'/60'/0'/0/i of the development mnemonic (Hardhat's and Anvil's accounts)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return [
        bytes(Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}").key)
        for index in range(count)
    ]


def predeploy_alloc() -> dict[bytes, GenesisAccount]:
    """The accounts every Ordo L2 genesis holds: the L2ToL1MessagePasser of withdrawals
    (``ordo.core.predeploys``)."""
    return {MESSAGE_PASSER_ADDRESS: GenesisAccount(code=message_passer_code())}


def devnet_genesis(
    chain_id: int = DEVNET_CHAIN_ID,
    timestamp: int = 0,
    validators: tuple[GenesisValidator, ...] = (),
    consensus: ConsensusRules | None = None,
    l1: GenesisL1 | None = None,
    predeploys: bool = True,
    l1_fee: L1FeeRules | None = None,
) -> Genesis:
    """The devnet genesis: the 10 development accounts each hold 10,000 ETH, plus the L2
    predeploys (``predeploys=False`` for a chain that is not an Ordo L2, as the dev L1)."""
    from eth_account import Account

    alloc = {
        bytes.fromhex(Account.from_key(key).address[2:]):
            GenesisAccount(balance=DEV_ACCOUNT_BALANCE)
        for key in dev_private_keys()
    }
    if predeploys:
        alloc.update(predeploy_alloc())
    if l1_fee is not None:
        alloc[GAS_PRICE_ORACLE_ADDRESS] = GenesisAccount(code=gas_price_oracle_code())
    return Genesis(chain_id=chain_id, timestamp=timestamp, alloc=alloc, validators=validators,
                   consensus=consensus or ConsensusRules(), l1=l1, l1_fee=l1_fee)
