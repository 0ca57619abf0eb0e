"""The parameters of eth_call / eth_estimateGas, validated and decoded by the RPC layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallRequest:
    """A message to simulate. Fields left as None take the defaults geth uses."""

    sender: bytes | None = None
    to: bytes | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int = 0
    data: bytes = b""
    nonce: int | None = None
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AccountProof:
    """EIP-1186 proof of an account and some of its storage slots (eth_getProof)."""

    address: bytes
    balance: int
    nonce: int
    code_hash: bytes
    storage_hash: bytes
    account_proof: tuple[bytes, ...]
    storage_proofs: tuple[StorageProof, ...]


@dataclass(frozen=True)
class StorageProof:
    key: int
    value: int
    proof: tuple[bytes, ...]
