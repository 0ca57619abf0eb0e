"""A tiny chain for execution tests: one engine, one in-memory store, a head that moves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vyper
from eth.abc import BlockHeaderAPI
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from ordo.core.genesis import Genesis
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.execution.engine import BlockEnvironment, BuildResult, PyEvmEngine
from ordo.execution.state_source import MemoryKeyValueStore

COINBASE = bytes.fromhex("c0ffee0000000000000000000000000000000001")
RECORDER_SOURCE = Path(__file__).with_name("Recorder.vy")


def address_of(key: bytes) -> bytes:
    return bytes.fromhex(Account.from_key(key).address[2:])


def sign(key: bytes, chain_id: int, **fields: Any) -> DecodedTransaction:
    """Sign with eth_account (the way wallets do) and decode the way the node does."""
    fields.setdefault("chainId", chain_id)
    fields.setdefault("gas", 21_000)
    fields.setdefault("value", 0)
    if "to" in fields and isinstance(fields["to"], bytes):
        fields["to"] = to_checksum_address(fields["to"])
    raw = Account.sign_transaction(fields, key).raw_transaction
    return decode_transaction(bytes(raw))


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def calldata(signature: str, types: list[str], values: list[Any]) -> bytes:
    return selector(signature) + encode(types, values)


def compile_recorder() -> tuple[bytes, list[dict[str, Any]]]:
    out = vyper.compile_code(RECORDER_SOURCE.read_text(), output_formats=["bytecode", "abi"])
    return bytes.fromhex(out["bytecode"][2:]), out["abi"]


@dataclass
class LocalChain:
    genesis: Genesis
    store: MemoryKeyValueStore = field(default_factory=MemoryKeyValueStore)
    engine: PyEvmEngine = field(init=False)
    headers: list[BlockHeaderAPI] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = PyEvmEngine(self.genesis, self.store)
        executed, writes = self.engine.genesis_block()
        self.store.apply(writes)
        self.headers.append(executed.block.header)

    @property
    def head(self) -> BlockHeaderAPI:
        return self.headers[-1]

    def next_base_fee(self) -> int:
        return self.engine.next_base_fee(self.head)

    def build(
        self,
        candidates: Iterable[DecodedTransaction] = (),
        *,
        timestamp: int | None = None,
        coinbase: bytes = COINBASE,
        gas_limit: int | None = None,
    ) -> BuildResult:
        env = BlockEnvironment(
            coinbase=coinbase,
            timestamp=self.head.timestamp + 1 if timestamp is None else timestamp,
            gas_limit=self.head.gas_limit if gas_limit is None else gas_limit,
        )
        result = self.engine.build_block(self.head, candidates, env)
        self.store.apply(result.state_writes)
        self.headers.append(result.executed.block.header)
        return result
