"""Transactions and contracts for the differential corpus: wallets that track nonces, small
hand-assembled contracts for the EVM edge cases (CREATE2, SELFDESTRUCT, out-of-gas, reverts,
refunds under the EIP-7623 floor) and the Vyper token."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vyper
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from ordo.core.transaction import DecodedTransaction, decode_transaction

TOKEN_SOURCE = Path(__file__).with_name("Token.vy")
GWEI = 10**9
FEES = {"maxFeePerGas": 20 * GWEI, "maxPriorityFeePerGas": GWEI}


def initcode(runtime: bytes) -> bytes:
    """Init code that returns ``runtime``: PUSH2 n DUP1 PUSH2 11 PUSH0 CODECOPY PUSH0 RETURN."""
    size = len(runtime).to_bytes(2, "big")
    return b"\x61" + size + bytes.fromhex("8061000b5f395ff3") + runtime


# CALLDATACOPY the call data, CREATE2 it with salt 0x2a, return the address (0 on collision)
CREATE2_FACTORY = bytes.fromhex("365f5f37" "602a365f5ff5" "5f52" "60205ff3")
# CALLDATACOPY the call data, CREATE it with the call value, return the address
CREATE_FACTORY = bytes.fromhex("365f5f37" "365f34f0" "5f52" "60205ff3")
# SELFDESTRUCT to the caller
SELFDESTRUCT_TO_CALLER = bytes.fromhex("33ff")
# JUMPDEST PUSH0 JUMP: loops until out of gas
LOOP = bytes.fromhex("5b5f56")
# for each 64-byte (slot, value) pair of the call data: SSTORE(slot, value)
STORE_PAIRS = bytes.fromhex(
    "5f5b8036111560175780602001358135556040016001565b00"
)
# MLOAD at 1 GiB: the memory expansion costs more than any gas limit, out of gas at once
MEMORY_BOMB = bytes.fromhex("634000000051")
# REVERT(0, 0)
REVERTER = bytes.fromhex("5f5ffd")
# no call data: slots 0, 1, 2 := 1; any call data: slots 0, 1, 2 := 0 (three refunds)
SLOTS = bytes.fromhex(
    "3615601157"  # CALLDATASIZE ISZERO PUSH1 17 JUMPI
    "5f5f55" "5f600155" "5f600255" "00"  # clear 0, 1, 2; STOP
    "5b" "60015f55" "6001600155" "6001600255" "00"  # JUMPDEST; set 0, 1, 2 to 1; STOP
)
# LOG2(topic0 = CALLER, topic1 = CALLVALUE) over the call data, then SSTORE(NUMBER, GAS)
LOGGER = bytes.fromhex("365f5f37" "3433365f" "a2" "5a4355" "00")


def compile_token() -> tuple[bytes, list[dict[str, Any]]]:
    out = vyper.compile_code(TOKEN_SOURCE.read_text(), output_formats=["bytecode", "abi"])
    return bytes.fromhex(out["bytecode"][2:]), out["abi"]


def call(signature: str, types: list[str], values: list[Any]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, values)


def address_of(key: bytes) -> bytes:
    return bytes.fromhex(Account.from_key(key).address[2:])


@dataclass
class Wallet:
    """One key and the nonce of its next transaction."""

    key: bytes
    chain_id: int
    nonce: int = 0
    sent: list[DecodedTransaction] = field(default_factory=list)

    @property
    def address(self) -> bytes:
        return address_of(self.key)

    def sign(self, *, advance: bool = True, **fields: Any) -> DecodedTransaction:
        """Sign with eth_account and decode as the node does; 1559 fees unless given."""
        fields.setdefault("chainId", self.chain_id)
        fields.setdefault("nonce", self.nonce)
        fields.setdefault("gas", 21_000)
        fields.setdefault("value", 0)
        if "gasPrice" not in fields:
            for name, value in FEES.items():
                fields.setdefault(name, value)
        if isinstance(fields.get("to"), bytes):
            fields["to"] = to_checksum_address(fields["to"])
        raw = Account.sign_transaction(fields, self.key).raw_transaction
        decoded = decode_transaction(bytes(raw))
        if advance:
            self.nonce = int(fields["nonce"]) + 1
        self.sent.append(decoded)
        return decoded

    def deploy(self, runtime: bytes, gas: int = 200_000, **fields: Any) -> tuple[
        DecodedTransaction, bytes
    ]:
        """A creation transaction for ``runtime`` and the address it creates."""
        from tests.native.twin_chain import created_address

        address = created_address(self.address, self.nonce)
        return self.sign(data=initcode(runtime), gas=gas, **fields), address

    def authorize(self, target: bytes, nonce: int, chain_id: int | None = None) -> Any:
        """An EIP-7702 authorization by this key to delegate to ``target``."""
        return Account.sign_authorization(
            {
                "chainId": self.chain_id if chain_id is None else chain_id,
                "address": to_checksum_address(target),
                "nonce": nonce,
            },
            self.key,
        )
