"""Admission checks: why a transaction may not enter the pool, in geth's words.

Wallets and libraries match on geth's error strings (ethers, viem and web3.py all parse "nonce
too low" or "replacement transaction underpriced"), so the messages follow geth's wording and
format exactly where geth has one. Each rejection also carries a stable ``kind`` that the node
can use as a metrics label, since the message itself contains addresses and numbers.
"""

from __future__ import annotations

from eth_utils import to_checksum_address

from ordo.core.errors import RejectedTransaction
from ordo.core.transaction import DecodedTransaction
from ordo.mempool.config import ChainRules, MempoolConfig
from ordo.mempool.fees import PooledTransaction, bumped

MAX_INITCODE_SIZE = 2 * 24_576  # EIP-3860
MAX_NONCE = 2**64 - 1  # EIP-2681
SET_CODE_TRANSACTION_TYPE = 4
TX_BASE_GAS = 21_000
FLOOR_COST_PER_TOKEN = 10  # EIP-7623
NONZERO_BYTE_TOKENS = 4


class AdmissionRejected(RejectedTransaction):
    """A RejectedTransaction that also names its kind for metrics."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def address_text(address: bytes) -> str:
    """Addresses in messages are EIP-55 checksummed, as geth prints them. Computed only on a
    refusal: checksumming costs a keccak in Python, 6% of a loaded node when done for every
    admitted transaction."""
    return to_checksum_address(address)


def check_transaction(decoded: DecodedTransaction, rules: ChainRules,
                      config: MempoolConfig) -> None:
    """Checks that need no state: the transaction is refused whatever the account holds."""
    size = len(decoded.raw)
    if size > config.max_transaction_size:
        raise AdmissionRejected(
            "oversized_data",
            f"oversized data: transaction size {size}, limit {config.max_transaction_size}",
        )
    chain_id = decoded.chain_id
    if chain_id is None:
        raise AdmissionRejected(
            "unprotected",
            "only replay-protected (EIP-155) transactions allowed over RPC",
        )
    if chain_id != rules.chain_id:
        raise AdmissionRejected("invalid_chain_id", "invalid chain id for signer")
    gas = decoded.gas
    if gas > rules.block_gas_limit:
        raise AdmissionRejected("gas_limit", "exceeds block gas limit")
    fee_cap, tip_cap = decoded.max_fee_per_gas, decoded.max_priority_fee_per_gas
    if tip_cap > fee_cap:
        raise AdmissionRejected(
            "tip_above_fee_cap",
            "max priority fee per gas higher than max fee per gas: "
            f"address {address_text(decoded.sender)}, "
            f"maxPriorityFeePerGas: {tip_cap}, maxFeePerGas: {fee_cap}",
        )
    if fee_cap < rules.base_fee_floor:
        raise AdmissionRejected(
            "fee_cap_too_low",
            "max fee per gas less than block base fee: "
            f"address {address_text(decoded.sender)}, "
            f"maxFeePerGas: {fee_cap}, baseFee: {rules.base_fee_floor}",
        )
    if decoded.nonce >= MAX_NONCE:
        raise AdmissionRejected("nonce_max", "nonce has max value: "
                                f"address {address_text(decoded.sender)}, "
                                f"nonce: {decoded.nonce}")
    data = decoded.data
    if not decoded.to and len(data) > MAX_INITCODE_SIZE:
        raise AdmissionRejected(
            "initcode_size",
            f"max initcode size exceeded: code size {len(data)}, limit {MAX_INITCODE_SIZE}",
        )
    if decoded.type_id == SET_CODE_TRANSACTION_TYPE and not decoded.authorization_list:
        raise AdmissionRejected("empty_authorization_list",
                                "set code tx must have at least one authorization tuple")
    intrinsic = decoded.intrinsic_gas
    if gas < intrinsic:
        raise AdmissionRejected(
            "intrinsic_gas", f"intrinsic gas too low: gas {gas}, minimum needed {intrinsic}"
        )
    floor = floor_data_gas(data)
    if gas < floor:
        raise AdmissionRejected(
            "floor_data_gas",
            f"insufficient gas for floor data gas cost: gas {gas}, minimum needed {floor}",
        )


def floor_data_gas(data: bytes) -> int:
    """EIP-7623 (Prague): calldata-heavy transactions pay at least this much gas."""
    zeros = data.count(0)
    tokens = zeros + (len(data) - zeros) * NONZERO_BYTE_TOKENS
    return TX_BASE_GAS + FLOOR_COST_PER_TOKEN * tokens


def check_account(candidate: PooledTransaction, state_nonce: int, balance: int,
                  config: MempoolConfig) -> None:
    """Checks against the sender's current account: nonce window and ability to pay."""
    nonce = candidate.nonce
    if nonce < state_nonce:
        raise AdmissionRejected(
            "nonce_too_low", f"nonce too low: address {address_text(candidate.sender)}, "
                             f"tx: {nonce} state: {state_nonce}"
        )
    if nonce - state_nonce >= config.max_nonce_gap:
        raise AdmissionRejected(
            "nonce_too_high",
            f"nonce too high: address {address_text(candidate.sender)}, "
            f"tx: {nonce} state: {state_nonce}, "
            f"max gap: {config.max_nonce_gap}",
        )
    if balance < candidate.cost:
        raise AdmissionRejected("insufficient_funds", insufficient_funds_message(
            candidate.sender, balance, candidate.cost, candidate.l1_fee))


def insufficient_funds_message(sender: bytes, balance: int, cost: int, l1_fee: int = 0) -> str:
    """geth's wording; with the L1 data fee in the cost, the fee is named (as the engine does,
    ordo.execution.transaction_rules)."""
    if l1_fee:
        return (f"insufficient funds for gas * price + value + l1 fee: address "
                f"{address_text(sender)} have {balance} want {cost} (L1 data fee {l1_fee} wei)")
    return (f"insufficient funds for gas * price + value: address {address_text(sender)} "
            f"have {balance} want {cost}")


def check_replacement(old: PooledTransaction, new: PooledTransaction, bump_percent: int) -> None:
    """A same-nonce replacement must raise both fee fields, or replacing would be a free way to
    make every node re-gossip and re-validate."""
    if new.fee_cap < bumped(old.fee_cap, bump_percent) or \
            new.tip_cap < bumped(old.tip_cap, bump_percent):
        raise AdmissionRejected("replacement_underpriced", "replacement transaction underpriced")
