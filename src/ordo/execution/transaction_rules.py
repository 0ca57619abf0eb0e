"""Whether a transaction may be included in the block being built, with geth's reasons.

These are the consensus validity rules a transaction must pass before it touches the EVM (nonce,
fee cap, balance, gas, intrinsic cost, EIP-3607/3860/7623/7702 limits). They are checked here,
not left to py-evm, because py-evm does not check some of them (chain id, EIP-3607, initcode
size, the EIP-7623 floor) and because its messages are not the ones wallets know. The rules are
pure: the caller passes the sender's account as the block's state sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth.abc import SignedTransactionAPI

TX_BASE_GAS = 21_000
TX_CREATE_GAS = 32_000
TX_DATA_ZERO_GAS = 4
TX_DATA_NONZERO_GAS = 16
ACCESS_LIST_ADDRESS_GAS = 2_400
ACCESS_LIST_STORAGE_KEY_GAS = 1_900
INITCODE_WORD_GAS = 2
AUTHORIZATION_GAS = 25_000
FLOOR_GAS_PER_TOKEN = 10
NONZERO_BYTE_TOKENS = 4
MAX_INITCODE_SIZE = 49_152
UINT64_MAX = 2**64 - 1
UINT256_CEILING = 2**256
BLOB_TRANSACTION_TYPE = 3
SET_CODE_TRANSACTION_TYPE = 4
DELEGATION_PREFIX = b"\xef\x01\x00"
DELEGATION_LENGTH = 23

AccessList = Sequence[tuple[bytes, Sequence[int]]]


@dataclass(frozen=True)
class SenderAccount:
    nonce: int
    balance: int
    code: bytes


def is_delegation(code: bytes) -> bool:
    """EIP-7702 delegation designator: an EOA that delegates stays an EOA."""
    return len(code) == DELEGATION_LENGTH and code.startswith(DELEGATION_PREFIX)


def intrinsic_gas(
    data: bytes,
    is_create: bool,
    access_list: AccessList,
    authorization_count: int = 0,
    *,
    include_initcode: bool = True,
) -> int:
    """Gas charged before execution starts.

    ``include_initcode=False`` gives py-evm's figure, which charges the EIP-3860 initcode words
    inside the create computation instead; validity checks use the full EIP-3860 figure.
    """
    zero_bytes = data.count(0)
    gas = TX_BASE_GAS + zero_bytes * TX_DATA_ZERO_GAS
    gas += (len(data) - zero_bytes) * TX_DATA_NONZERO_GAS
    if is_create:
        gas += TX_CREATE_GAS
        if include_initcode:
            gas += INITCODE_WORD_GAS * ((len(data) + 31) // 32)
    for _address, slots in access_list:
        gas += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_STORAGE_KEY_GAS * len(slots)
    return gas + AUTHORIZATION_GAS * authorization_count


def floor_data_gas(data: bytes) -> int:
    """EIP-7623: the least gas a transaction with this calldata may declare."""
    zero_bytes = data.count(0)
    tokens = zero_bytes + (len(data) - zero_bytes) * NONZERO_BYTE_TOKENS
    return TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * tokens


def transaction_intrinsic_gas(tx: SignedTransactionAPI, *, include_initcode: bool = True) -> int:
    authorizations = (
        len(tx.authorization_list) if tx.type_id == SET_CODE_TRANSACTION_TYPE else 0
    )
    return intrinsic_gas(
        bytes(tx.data),
        not tx.to,
        tx.access_list,
        authorizations,
        include_initcode=include_initcode,
    )


def inclusion_error(
    tx: SignedTransactionAPI,
    sender: bytes,
    account: SenderAccount,
    base_fee: int,
    gas_available: int,
    chain_id: int,
    l1_fee: int = 0,
) -> str | None:
    """Why ``tx`` cannot be included now, or None if it can.

    ``l1_fee`` is the transaction's L1 data fee (state_transition.md 6.4; 0 on a chain without
    it): the balance must cover it beside the gas at the fee cap and the value."""
    address = "0x" + sender.hex()
    type_id = tx.type_id
    if type_id == BLOB_TRANSACTION_TYPE:
        return "transaction type not supported: blob transactions are not accepted on L2"
    if tx.chain_id is not None and tx.chain_id != chain_id:
        return f"invalid chain id for signer: have {tx.chain_id} want {chain_id}"
    nonce = int(tx.nonce)
    if account.nonce >= UINT64_MAX:
        return f"nonce has max value: address {address}, nonce: {account.nonce}"
    if nonce < account.nonce:
        return f"nonce too low: address {address}, tx: {nonce} state: {account.nonce}"
    if nonce > account.nonce:
        return f"nonce too high: address {address}, tx: {nonce} state: {account.nonce}"
    if account.code and not is_delegation(account.code):
        return f"sender not an eoa: address {address}, len(code): {len(account.code)}"
    fee_error = _fee_error(tx, address, base_fee)
    if fee_error is not None:
        return fee_error
    gas = int(tx.gas)
    if gas > UINT64_MAX:
        return "gas uint64 overflow"
    if gas > gas_available:
        return f"gas limit reached: tx gas {gas}, block gas remaining {gas_available}"
    want = gas * int(tx.max_fee_per_gas) + int(tx.value) + l1_fee
    if account.balance < want:
        if l1_fee:
            return (
                f"insufficient funds for gas * price + value + l1 fee: address {address} "
                f"have {account.balance} want {want} (L1 data fee {l1_fee} wei)"
            )
        return (
            f"insufficient funds for gas * price + value: address {address} "
            f"have {account.balance} want {want}"
        )
    return _shape_error(tx, gas)


def _fee_error(tx: SignedTransactionAPI, address: str, base_fee: int) -> str | None:
    max_fee = int(tx.max_fee_per_gas)
    tip = int(tx.max_priority_fee_per_gas)
    if max_fee >= UINT256_CEILING:
        return f"max fee per gas higher than 2^256-1: address {address}, maxFeePerGas: {max_fee}"
    if tip >= UINT256_CEILING:
        return (
            f"max priority fee per gas higher than 2^256-1: address {address}, "
            f"maxPriorityFeePerGas: {tip}"
        )
    if tip > max_fee:
        return (
            f"max priority fee per gas higher than max fee per gas: address {address}, "
            f"maxPriorityFeePerGas: {tip}, maxFeePerGas: {max_fee}"
        )
    if max_fee < base_fee:
        return (
            f"max fee per gas less than block base fee: address {address}, "
            f"maxFeePerGas: {max_fee}, baseFee: {base_fee}"
        )
    return None


def _shape_error(tx: SignedTransactionAPI, gas: int) -> str | None:
    if int(tx.value) >= UINT256_CEILING:
        return "value higher than 2^256-1"
    data = bytes(tx.data)
    is_create = not tx.to
    if tx.type_id == SET_CODE_TRANSACTION_TYPE:
        if is_create:
            return "EIP-7702 transaction cannot be used to create contract"
        if not tx.authorization_list:
            return "EIP-7702 transaction with empty auth list"
    if is_create and len(data) > MAX_INITCODE_SIZE:
        return f"max initcode size exceeded: code size {len(data)} limit {MAX_INITCODE_SIZE}"
    required = transaction_intrinsic_gas(tx)
    if gas < required:
        return f"intrinsic gas too low: have {gas}, want {required}"
    floor = floor_data_gas(data)
    if gas < floor:
        return f"insufficient gas for floor data gas cost: have {gas}, want {floor}"
    return None
