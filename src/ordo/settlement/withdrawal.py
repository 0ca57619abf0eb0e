"""A withdrawal as the L2ToL1MessagePasser records it and the L1 WithdrawalPortal proves it.

The hash is ``keccak256(abi.encode(nonce, sender, target, value, gas_limit, data))``: the
message passer stores ``sent_messages[hash] = True`` at its storage slot 0, so the storage
slot is Vyper's HashMap slot ``keccak256(uint256(0) ++ hash)`` and the key in the contract's
storage trie is ``keccak256(slot)``. Pure: both contracts compute the same bytes and the tests
hold them to these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_hash.auto import keccak

from ordo.core.predeploys import MESSAGE_PASSER_SENT_SLOT

MAX_WITHDRAWAL_DATA = 4096
WITHDRAWAL_TYPES = ("uint256", "address", "address", "uint256", "uint256", "bytes")


@dataclass(frozen=True)
class Withdrawal:
    nonce: int
    sender: bytes
    target: bytes
    value: int
    gas_limit: int
    data: bytes = b""

    def __post_init__(self) -> None:
        for name in ("sender", "target"):
            if len(getattr(self, name)) != 20:
                raise ValueError(f"withdrawal {name}: not a 20-byte address")
        if len(self.data) > MAX_WITHDRAWAL_DATA:
            raise ValueError(f"withdrawal data: {len(self.data)} bytes, at most "
                             f"{MAX_WITHDRAWAL_DATA}")

    @property
    def hash(self) -> bytes:
        return keccak(encode(list(WITHDRAWAL_TYPES), list(self.as_abi_tuple())))

    @property
    def storage_slot(self) -> int:
        """The message passer's storage slot that holds True once this withdrawal is sent."""
        return int.from_bytes(sent_message_slot(self.hash), "big")

    def as_abi_tuple(self) -> tuple[Any, ...]:
        """The ``Withdrawal`` struct argument of the portal's functions."""
        return (self.nonce, self.sender, self.target, self.value, self.gas_limit, self.data)

    def to_json(self) -> dict[str, Any]:
        return {"nonce": self.nonce, "sender": "0x" + self.sender.hex(),
                "target": "0x" + self.target.hex(), "value": str(self.value),
                "gasLimit": self.gas_limit, "data": "0x" + self.data.hex(),
                "withdrawalHash": "0x" + self.hash.hex()}


def sent_message_slot(withdrawal_hash: bytes) -> bytes:
    return keccak(MESSAGE_PASSER_SENT_SLOT.to_bytes(32, "big") + withdrawal_hash)


WITHDRAWAL_INITIATED_TOPIC = keccak(
    b"WithdrawalInitiated(uint256,address,address,uint256,uint256,bytes,bytes32)")


class NotAWithdrawal(ValueError):
    """A log that is not a well-formed WithdrawalInitiated of the message passer."""


def withdrawal_from_log(address: bytes, topics: list[bytes], data: bytes) -> Withdrawal:
    """The withdrawal a message passer log records; raises NotAWithdrawal otherwise (another
    contract, another event, or a hash that does not match the fields)."""
    from eth_abi import decode
    from eth_abi.exceptions import DecodingError

    from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS

    if address != MESSAGE_PASSER_ADDRESS or len(topics) != 4 or \
            topics[0] != WITHDRAWAL_INITIATED_TOPIC:
        raise NotAWithdrawal("not a WithdrawalInitiated log of the message passer")
    try:
        value, gas_limit, payload, recorded = decode(["uint256", "uint256", "bytes", "bytes32"],
                                                     data)
    except DecodingError as error:
        raise NotAWithdrawal(f"undecodable WithdrawalInitiated data: {error}") from error
    withdrawal = Withdrawal(nonce=int.from_bytes(topics[1], "big"), sender=topics[2][12:],
                            target=topics[3][12:], value=value, gas_limit=gas_limit,
                            data=bytes(payload))
    if withdrawal.hash != recorded:
        raise NotAWithdrawal("the logged withdrawal hash does not match its fields")
    return withdrawal
