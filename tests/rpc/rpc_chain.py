"""An in-memory chain implementing RpcBackend, built from real signed transactions and py-evm
Prague headers and receipts, for the RPC tests.

Chain (chain id 77077):
  0  genesis, empty
  1  legacy transfer; EIP-2930 call to TOKEN emitting Transfer + Approval; EIP-1559 contract
     creation emitting one log from the new contract
  2  empty
  3  EIP-1559 call to OTHER emitting Transfer; EIP-7702 set-code tx that failed (status 0)
  4  empty (head).  finalized = 2.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth.abc import ReceiptAPI, SignedTransactionAPI
from eth.db.trie import make_trie_root_and_nodes
from eth.vm.forks.prague.blocks import PragueBlockHeader
from eth_account import Account
from eth_bloom import BloomFilter
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.block import Block, ExecutedBlock, LogRecord, TransactionLocation
from ordo.core.call import AccountProof, CallRequest, StorageProof
from ordo.core.errors import CallFailed, ExecutionReverted, RejectedTransaction, UnknownBlock
from ordo.core.genesis import dev_private_keys
from ordo.core.l1_fee import NO_PRICES, L1FeeRules
from ordo.core.transaction import decode_transaction
from ordo.execution.access_list import AccessListResult
from ordo.execution.call_overrides import NO_OVERRIDES, CallOverrides
from ordo.execution.simulation import (
    SimulatedBlock,
    SimulatedCall,
    SimulatedLog,
    SimulationError,
    SimulationRequest,
)
from ordo.rpc.backend import NewBlockListener, PendingTransactionListener

CHAIN_ID = 77077
GWEI = 10**9
BASE_FEE = GWEI
NEXT_BASE_FEE = 900_000_000
BLOB_BASE_FEE = 3
TIP = 2 * GWEI
GAS_LIMIT = 30_000_000
KEYS = dev_private_keys(4)
SENDERS = [bytes.fromhex(Account.from_key(key).address[2:]) for key in KEYS]
TOKEN = bytes.fromhex("11" * 20)
RECIPIENT = bytes.fromhex("22" * 20)
OTHER = bytes.fromhex("33" * 20)
REVERTER = bytes.fromhex("ee" * 20)
FAILER = bytes.fromhex("ff" * 20)
DELEGATE = bytes.fromhex("44" * 20)
TRANSFER = keccak(b"Transfer(address,address,uint256)")
APPROVAL = keccak(b"Approval(address,address,uint256)")
CREATED = keccak(b"Created()")
REVERT_DATA = bytes.fromhex("08c379a0") + (32).to_bytes(32, "big") + (4).to_bytes(32, "big") \
    + b"nope".ljust(32, b"\0")


def word(value: bytes | int) -> bytes:
    if isinstance(value, int):
        return value.to_bytes(32, "big")
    return value.rjust(32, b"\0")


@dataclass
class PlannedTx:
    fields: dict[str, Any]
    key: bytes
    logs: list[tuple[bytes, list[bytes], bytes]] = field(default_factory=list)
    gas_used: int = 21_000
    success: bool = True


def sign(fields: dict[str, Any], key: bytes) -> bytes:
    return bytes(Account.sign_transaction(fields, key).raw_transaction)


class FakeBackend:
    """Implements ordo.rpc.backend.RpcBackend over a list of blocks held in memory."""

    chain_id = CHAIN_ID
    client_version = "ordo/test"
    l1_fee_rules: L1FeeRules | None = None

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.receipts: dict[bytes, list[ReceiptAPI]] = {}
        self.logs: dict[int, list[LogRecord]] = {}
        self.locations: dict[bytes, TransactionLocation] = {}
        self.pending: dict[bytes, tuple[SignedTransactionAPI, bytes]] = {}
        self.dropped: dict[bytes, str] = {}
        self.block_listeners: list[NewBlockListener] = []
        self.pending_listeners: list[PendingTransactionListener] = []
        self.finalized = 0
        self.block_log_reads: list[int] = []
        self.nonces: dict[bytes, int] = {}
        self.fail_with: Exception | None = None
        self.last_overrides: CallOverrides | None = None
        self.pending_builds = 0
        self.last_simulation: SimulationRequest | None = None
        self.state_nodes: dict[bytes, bytes] = {}
        """The state store by key: tests put trie nodes and code here (and a wrong value)."""
        self.l1_prices = NO_PRICES
        """The L1 fee word of the blocks appended from now on."""

    # --- building ------------------------------------------------------------------------------
    def append_block(self, planned: Sequence[PlannedTx]) -> Block:
        number = len(self.blocks)
        parent_hash = self.blocks[-1].hash if self.blocks else b"\0" * 32
        decoded = [decode_transaction(sign(item.fields, item.key)) for item in planned]
        receipts: list[ReceiptAPI] = []
        cumulative = 0
        for item, tx in zip(planned, decoded, strict=True):
            cumulative += item.gas_used
            entries = tuple((address, tuple(int.from_bytes(t, "big") for t in topics), data)
                            for address, topics, data in item.logs)
            receipts.append(tx.tx.make_receipt(b"\x01" if item.success else b"", cumulative,
                                               entries))
        bloom = BloomFilter()
        for receipt in receipts:
            bloom |= int(receipt.bloom)
        txs = tuple(tx.tx for tx in decoded)
        header = PragueBlockHeader(
            difficulty=0, block_number=number, gas_limit=GAS_LIMIT, timestamp=1000 + 2 * number,
            coinbase=bytes.fromhex("c0" * 20), parent_hash=parent_hash,
            transaction_root=make_trie_root_and_nodes(txs)[0],
            receipt_root=make_trie_root_and_nodes(tuple(receipts))[0],
            bloom=int(bloom), gas_used=cumulative, base_fee_per_gas=BASE_FEE,
            extra_data=b"ordo", nonce=b"\0" * 8, state_root=keccak(b"state %d" % number),
            parent_beacon_block_root=self.l1_prices.word(),
        )
        block = Block(header=header, transactions=txs,
                      senders=tuple(tx.sender for tx in decoded))
        self.blocks.append(block)
        self.receipts[block.hash] = receipts
        records = []
        for index, (item, tx) in enumerate(zip(planned, decoded, strict=True)):
            self.locations[tx.hash] = TransactionLocation(block.hash, number, index)
            self.pending.pop(tx.hash, None)
            for address, topics, data in item.logs:
                records.append(LogRecord(address, tuple(word(t) for t in topics), data, number,
                                         block.hash, tx.hash, index, len(records)))
        self.logs[number] = records
        return block

    async def commit(self, planned: Sequence[PlannedTx]) -> Block:
        """Append a block and notify listeners, as the node does after a commit."""
        block = self.append_block(planned)
        for listener in self.block_listeners:
            result = listener(block)
            if inspect.isawaitable(result):
                await result
        return block

    # --- chain ---------------------------------------------------------------------------------
    def head_number(self) -> int:
        return len(self.blocks) - 1

    def finalized_number(self) -> int:
        return self.finalized

    def get_block_by_number(self, number: int) -> Block | None:
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def get_block_by_hash(self, block_hash: bytes) -> Block | None:
        return next((block for block in self.blocks if block.hash == block_hash), None)

    def pending_block(self) -> ExecutedBlock:
        """The mempool's transactions on top of the head, 21,000 gas each."""
        self.pending_builds += 1
        entries = list(self.pending.values())
        receipts = tuple(tx.make_receipt(b"\x01", 21_000 * (index + 1), ())
                         for index, (tx, _sender) in enumerate(entries))
        txs = tuple(tx for tx, _sender in entries)
        header = PragueBlockHeader(
            difficulty=0, block_number=self.head_number() + 1, gas_limit=GAS_LIMIT,
            timestamp=2000, coinbase=bytes.fromhex("c0" * 20), parent_hash=self.blocks[-1].hash,
            transaction_root=make_trie_root_and_nodes(txs)[0],
            receipt_root=make_trie_root_and_nodes(receipts)[0], gas_used=21_000 * len(txs),
            base_fee_per_gas=NEXT_BASE_FEE, nonce=b"\0" * 8)
        block = Block(header=header, transactions=txs,
                      senders=tuple(sender for _tx, sender in entries))
        return ExecutedBlock(block=block, receipts=receipts)

    def get_receipts(self, block_hash: bytes) -> Sequence[ReceiptAPI]:
        return self.receipts.get(block_hash, [])

    def get_transaction_location(self, tx_hash: bytes) -> TransactionLocation | None:
        return self.locations.get(tx_hash)

    def get_block_logs(self, number: int) -> Sequence[LogRecord]:
        self.block_log_reads.append(number)
        return self.logs.get(number, [])

    # --- state ---------------------------------------------------------------------------------
    def _check(self, number: int) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if number > self.head_number():
            raise UnknownBlock(number)

    def get_balance(self, address: bytes, number: int) -> int:
        self._check(number)
        return 10**21 + number

    def get_nonce(self, address: bytes, number: int) -> int:
        self._check(number)
        return number

    def get_code(self, address: bytes, number: int) -> bytes:
        self._check(number)
        return b"\x60\x00" if address == TOKEN else b""

    def get_storage_at(self, address: bytes, slot: int, number: int) -> int:
        self._check(number)
        return slot * 2 + number

    def get_state_node(self, key: bytes) -> bytes | None:
        return self.state_nodes.get(key)

    def get_proof(self, address: bytes, slots: Sequence[int], number: int) -> AccountProof:
        self._check(number)
        return AccountProof(
            address=address, balance=5, nonce=1, code_hash=keccak(b""),
            storage_hash=keccak(b"root"), account_proof=(b"\xf8\x01", b"\xf8\x02"),
            storage_proofs=tuple(StorageProof(slot, slot + 1, (b"\xe2",)) for slot in slots),
        )

    def call(self, request: CallRequest, number: int,
             overrides: CallOverrides = NO_OVERRIDES) -> bytes:
        self._check(number)
        self.last_overrides = overrides
        if request.to == REVERTER:
            raise ExecutionReverted(REVERT_DATA, "nope")
        if request.to == FAILER:
            raise CallFailed("out of gas")
        return request.data[::-1]

    def estimate_gas(self, request: CallRequest, number: int,
                     overrides: CallOverrides = NO_OVERRIDES) -> int:
        self.call(request, number, overrides)
        return 21_000 + 16 * len(request.data)

    def create_access_list(self, request: CallRequest, number: int,
                           overrides: CallOverrides = NO_OVERRIDES) -> AccessListResult:
        self.call(request, number, overrides)
        return AccessListResult(access_list=((TOKEN, (1, 2**255)), (OTHER, ())), gas_used=30_000,
                                error="execution reverted" if request.data == b"\xfd" else None)

    def simulate(self, request: SimulationRequest, number: int) -> list[SimulatedBlock]:
        """Block 1 with canned results: a call with a log, a revert, an EVM failure."""
        self._check(number)
        self.last_simulation = request
        if not request.blocks:
            raise SimulationError("empty input", -32602)
        block = self.blocks[1]
        calls = (
            SimulatedCall(return_data=b"\x01", gas_used=21_000, success=True, error=None,
                          logs=(SimulatedLog(TOKEN, (TRANSFER,), word(7), 4),)),
            SimulatedCall(return_data=REVERT_DATA, gas_used=30_000, success=False, logs=(),
                          error=ExecutionReverted(REVERT_DATA, "nope")),
            SimulatedCall(return_data=b"", gas_used=50_000, success=False, logs=(),
                          error=CallFailed("out of gas")),
        )
        return [SimulatedBlock(block=block, receipts=tuple(self.receipts[block.hash]),
                               calls=calls)]

    # --- fees ----------------------------------------------------------------------------------
    def suggested_priority_fee(self) -> int:
        return TIP

    def next_base_fee(self) -> int:
        return NEXT_BASE_FEE

    def blob_base_fee(self) -> int:
        return BLOB_BASE_FEE

    # --- mempool -------------------------------------------------------------------------------
    async def submit_raw_transaction(self, raw: bytes) -> bytes:
        decoded = decode_transaction(raw)
        expected = self.pending_nonce(decoded.sender)
        if decoded.nonce < expected:
            raise RejectedTransaction("nonce too low")
        self.pending[decoded.hash] = (decoded.tx, decoded.sender)
        self.nonces[decoded.sender] = decoded.nonce + 1
        for listener in self.pending_listeners:
            result = listener(decoded.hash)
            if inspect.isawaitable(result):
                await result
        return decoded.hash

    def pending_nonce(self, address: bytes) -> int:
        return self.nonces.get(address, 0)

    def get_pending_transaction(self, tx_hash: bytes) -> tuple[SignedTransactionAPI, bytes] | None:
        return self.pending.get(tx_hash)

    # --- node ----------------------------------------------------------------------------------
    def peer_count(self) -> int:
        return 3

    def syncing(self) -> dict[str, int] | None:
        return None

    def transaction_status(self, tx_hash: bytes) -> dict[str, Any]:
        if tx_hash in self.pending:
            return {"status": "pending"}
        if tx_hash in self.dropped:
            return {"status": "dropped", "reason": self.dropped[tx_hash]}
        return {"status": "unknown"}

    def status(self) -> dict[str, Any]:
        return {"head": self.head_number(), "role": "test"}

    def get_commit(self, number: int) -> dict[str, Any] | None:
        if number > self.head_number():
            return None
        return {"height": hex(number), "round": "0x0", "blockHash": "0x" + "11" * 32,
                "signatures": []}

    def evidence(self) -> list[dict[str, Any]]:
        return []

    def add_new_block_listener(self, listener: NewBlockListener) -> None:
        self.block_listeners.append(listener)

    def add_pending_transaction_listener(self, listener: PendingTransactionListener) -> None:
        self.pending_listeners.append(listener)


def block_one_plan() -> list[PlannedTx]:
    legacy = PlannedTx(
        fields=dict(nonce=0, gasPrice=2 * GWEI, gas=21_000, to=to_checksum_address(RECIPIENT),
                    value=10**18, data=b"", chainId=CHAIN_ID),
        key=KEYS[0], gas_used=21_000,
    )
    access_list = PlannedTx(
        fields=dict(type=1, nonce=0, gasPrice=3 * GWEI, gas=80_000, to=to_checksum_address(TOKEN),
                    value=0, data=bytes.fromhex("a9059cbb") + word(7), chainId=CHAIN_ID,
                    accessList=[{"address": "0x" + TOKEN.hex(),
                                 "storageKeys": ["0x" + word(1).hex(), "0x" + word(2).hex()]}]),
        key=KEYS[1], gas_used=45_000,
        logs=[(TOKEN, [TRANSFER, word(SENDERS[1]), word(RECIPIENT)], word(7)),
              (TOKEN, [APPROVAL, word(SENDERS[1]), word(OTHER)], word(9))],
    )
    creation = PlannedTx(
        fields=dict(type=2, nonce=1, maxFeePerGas=5 * GWEI, maxPriorityFeePerGas=GWEI,
                    gas=200_000, value=0, data=bytes.fromhex("6000600055"), chainId=CHAIN_ID),
        key=KEYS[0], gas_used=100_000,
        logs=[(created_address(), [CREATED], b"")],
    )
    return [legacy, access_list, creation]


def created_address() -> bytes:
    import rlp

    return keccak(rlp.encode([SENDERS[0], 1]))[12:]


def block_three_plan() -> list[PlannedTx]:
    dynamic = PlannedTx(
        fields=dict(type=2, nonce=0, maxFeePerGas=4 * GWEI, maxPriorityFeePerGas=3 * GWEI,
                    gas=90_000, to=to_checksum_address(OTHER), value=5, data=b"\x01\x02",
                    chainId=CHAIN_ID),
        key=KEYS[2], gas_used=30_000,
        logs=[(OTHER, [TRANSFER, word(SENDERS[2]), word(SENDERS[3])], word(1))],
    )
    authorization = Account.sign_authorization(
        {"chainId": CHAIN_ID, "address": "0x" + DELEGATE.hex(), "nonce": 1}, KEYS[3]
    )
    set_code = PlannedTx(
        fields=dict(type=4, nonce=0, maxFeePerGas=4 * GWEI, maxPriorityFeePerGas=GWEI,
                    gas=100_000, to=to_checksum_address(SENDERS[3]), value=0, data=b"",
                    chainId=CHAIN_ID, authorizationList=[authorization]),
        key=KEYS[3], gas_used=46_000, success=False,
    )
    return [dynamic, set_code]


def build_chain() -> FakeBackend:
    backend = FakeBackend()
    backend.append_block([])
    backend.append_block(block_one_plan())
    backend.append_block([])
    backend.append_block(block_three_plan())
    backend.append_block([])
    backend.finalized = 2
    backend.block_log_reads.clear()
    return backend


def token_transfer(nonce: int, amount: int, key_index: int = 1) -> PlannedTx:
    """An EIP-1559 call to TOKEN that logs Transfer(sender, RECIPIENT, amount)."""
    return PlannedTx(
        fields=dict(type=2, nonce=nonce, maxFeePerGas=4 * GWEI, maxPriorityFeePerGas=GWEI,
                    gas=60_000, to=to_checksum_address(TOKEN), value=0, data=word(amount),
                    chainId=CHAIN_ID),
        key=KEYS[key_index], gas_used=40_000,
        logs=[(TOKEN, [TRANSFER, word(SENDERS[key_index]), word(RECIPIENT)], word(amount))],
    )
