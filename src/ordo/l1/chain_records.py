"""Blocks, logs and receipts as an L1 node reports them, parsed into typed, checked records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ordo.l1.rpc_errors import L1ResponseError
from ordo.l1.wire_values import (
    data,
    field,
    fixed,
    object_of,
    optional_fixed,
    optional_quantity,
    quantity,
)

BlockTag = int | str
"""A block number, or one of "latest", "safe", "finalized", "pending", "earliest"."""
BLOCK_TAGS = frozenset({"latest", "safe", "finalized", "pending", "earliest"})


def encode_block_tag(block: BlockTag) -> str:
    if isinstance(block, bool) or not isinstance(block, int | str):
        raise ValueError(f"block: expected a number or a tag, got {block!r}")
    if isinstance(block, int):
        if block < 0:
            raise ValueError(f"block: {block} is negative")
        return hex(block)
    if block not in BLOCK_TAGS:
        raise ValueError(f"block: {block!r} is not one of {sorted(BLOCK_TAGS)}")
    return block


@dataclass(frozen=True)
class L1Block:
    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    gas_limit: int
    gas_used: int
    base_fee_per_gas: int | None
    transaction_hashes: tuple[bytes, ...]
    excess_blob_gas: int | None = None
    """EIP-4844's excess blob gas (None before Cancun): the block's blob base fee follows."""

    @classmethod
    def from_json(cls, value: Any) -> L1Block:
        obj = object_of(value, "block")
        transactions = field(obj, "transactions", "block")
        if not isinstance(transactions, list):
            raise L1ResponseError("block.transactions: expected a list")
        return cls(
            number=quantity(field(obj, "number", "block"), "block.number"),
            hash=fixed(field(obj, "hash", "block"), 32, "block.hash"),
            parent_hash=fixed(field(obj, "parentHash", "block"), 32, "block.parentHash"),
            timestamp=quantity(field(obj, "timestamp", "block"), "block.timestamp"),
            gas_limit=quantity(field(obj, "gasLimit", "block"), "block.gasLimit"),
            gas_used=quantity(field(obj, "gasUsed", "block"), "block.gasUsed"),
            base_fee_per_gas=optional_quantity(obj.get("baseFeePerGas"), "block.baseFeePerGas"),
            transaction_hashes=tuple(
                fixed(tx["hash"] if isinstance(tx, dict) else tx, 32, "block.transactions[]")
                for tx in transactions
            ),
            excess_blob_gas=optional_quantity(obj.get("excessBlobGas"), "block.excessBlobGas"),
        )


@dataclass(frozen=True)
class L1Log:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    log_index: int
    removed: bool = False

    @classmethod
    def from_json(cls, value: Any) -> L1Log:
        obj = object_of(value, "log")
        topics = field(obj, "topics", "log")
        if not isinstance(topics, list):
            raise L1ResponseError("log.topics: expected a list")
        return cls(
            address=fixed(field(obj, "address", "log"), 20, "log.address"),
            topics=tuple(fixed(topic, 32, "log.topics[]") for topic in topics),
            data=data(field(obj, "data", "log"), "log.data"),
            block_number=quantity(field(obj, "blockNumber", "log"), "log.blockNumber"),
            block_hash=fixed(field(obj, "blockHash", "log"), 32, "log.blockHash"),
            transaction_hash=fixed(field(obj, "transactionHash", "log"), 32,
                                   "log.transactionHash"),
            transaction_index=quantity(field(obj, "transactionIndex", "log"),
                                       "log.transactionIndex"),
            log_index=quantity(field(obj, "logIndex", "log"), "log.logIndex"),
            removed=bool(obj.get("removed", False)),
        )


@dataclass(frozen=True)
class L1Receipt:
    transaction_hash: bytes
    block_number: int
    block_hash: bytes
    transaction_index: int
    status: int
    """1 success, 0 reverted."""
    gas_used: int
    effective_gas_price: int
    contract_address: bytes | None
    logs: tuple[L1Log, ...]

    @property
    def succeeded(self) -> bool:
        return self.status == 1

    @classmethod
    def from_json(cls, value: Any) -> L1Receipt:
        obj = object_of(value, "receipt")
        logs = field(obj, "logs", "receipt")
        if not isinstance(logs, list):
            raise L1ResponseError("receipt.logs: expected a list")
        return cls(
            transaction_hash=fixed(field(obj, "transactionHash", "receipt"), 32,
                                   "receipt.transactionHash"),
            block_number=quantity(field(obj, "blockNumber", "receipt"), "receipt.blockNumber"),
            block_hash=fixed(field(obj, "blockHash", "receipt"), 32, "receipt.blockHash"),
            transaction_index=quantity(field(obj, "transactionIndex", "receipt"),
                                       "receipt.transactionIndex"),
            status=quantity(field(obj, "status", "receipt"), "receipt.status"),
            gas_used=quantity(field(obj, "gasUsed", "receipt"), "receipt.gasUsed"),
            effective_gas_price=quantity(obj.get("effectiveGasPrice", "0x0"),
                                         "receipt.effectiveGasPrice"),
            contract_address=optional_fixed(obj.get("contractAddress"), 20,
                                            "receipt.contractAddress"),
            logs=tuple(L1Log.from_json(entry) for entry in logs),
        )


@dataclass(frozen=True)
class LogFilter:
    """An eth_getLogs query over a closed block range. ``topics[i]`` is None (any), one topic,
    or a tuple of alternatives, as in Ethereum's filter."""

    from_block: int
    to_block: int
    addresses: tuple[bytes, ...] = ()
    topics: tuple[bytes | tuple[bytes, ...] | None, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.from_block <= self.to_block:
            raise ValueError(f"log filter: range {self.from_block}..{self.to_block} is empty "
                             "or negative")
        for address in self.addresses:
            if len(address) != 20:
                raise ValueError(f"log filter: address 0x{address.hex()} is not 20 bytes")
        for position in self.topics:
            alternatives = () if position is None else \
                (position,) if isinstance(position, bytes) else position
            for topic in alternatives:
                if len(topic) != 32:
                    raise ValueError(f"log filter: topic 0x{topic.hex()} is not 32 bytes")

    def to_json(self, from_block: int, to_block: int) -> dict[str, Any]:
        query: dict[str, Any] = {"fromBlock": hex(from_block), "toBlock": hex(to_block)}
        if self.addresses:
            query["address"] = ["0x" + address.hex() for address in self.addresses]
        if self.topics:
            query["topics"] = [
                None if position is None
                else "0x" + position.hex() if isinstance(position, bytes)
                else ["0x" + topic.hex() for topic in position]
                for position in self.topics
            ]
        return query
