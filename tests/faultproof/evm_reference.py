"""Test helpers: a pre-state in a py-evm database, the same message call run by py-evm (the
reference) and by the step tracer, and a tiny assembler for hand-written programs."""

from __future__ import annotations

from dataclasses import dataclass

from eth.db.atomic import AtomicDB
from eth.vm.forks.spurious_dragon._utils import collect_touched_accounts
from eth.vm.message import Message
from eth_typing import Address

from ordo.execution.evm_state import make_context, open_state
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.faultproof.tracer import (
    BlockEnv,
    MessageCall,
    Trace,
    trace_message_call,
    warm_addresses,
)
from ordo.faultproof.verify import verify_step

CALLER = bytes.fromhex("aa" * 20)
TARGET = bytes.fromhex("c0" * 19 + "01")
OTHER = bytes.fromhex("c0" * 19 + "02")
COINBASE = bytes.fromhex("cb" * 20)
BLOCK = BlockEnv(
    number=300, timestamp=1_765_000_000, coinbase=COINBASE, gas_limit=30_000_000, base_fee=7,
    chain_id=901, prev_randao=bytes(range(32)),
    ancestor_hashes=tuple(bytes([i % 256]) * 32 for i in range(1, 257)),
)


@dataclass(frozen=True)
class Account:
    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: tuple[tuple[int, int], ...] = ()


def make_state(accounts: dict[bytes, Account]) -> tuple[AtomicDB, bytes]:
    db = AtomicDB()
    state = open_state(db, _context(BLOCK), BLANK_ROOT)
    for address, account in accounts.items():
        state.set_balance(Address(address), account.balance)
        state.set_nonce(Address(address), account.nonce)
        state.set_code(Address(address), account.code)
        for slot, value in account.storage:
            state.set_storage(Address(address), slot, value)
    state.persist()
    return db, bytes(state.state_root)


def _context(block: BlockEnv):  # type: ignore[no-untyped-def]
    return make_context(
        coinbase=block.coinbase, timestamp=block.timestamp, block_number=block.number,
        gas_limit=block.gas_limit, base_fee=block.base_fee, chain_id=block.chain_id,
        ancestor_hashes=block.ancestor_hashes, mix_hash=block.prev_randao,
    )


@dataclass(frozen=True)
class Reference:
    success: bool
    gas_left: int
    output: bytes
    logs: tuple[tuple[bytes, tuple[bytes, ...], bytes], ...]
    state_root: bytes
    refund: int
    error: str


def run_reference(db: AtomicDB, root: bytes, call: MessageCall,
                  block: BlockEnv = BLOCK) -> Reference:
    """py-evm's computation of the same depth-0 call, with the same addresses warm."""
    state = open_state(db, _context(block), root)
    for address in warm_addresses(call, block):
        state.mark_address_warm(Address(address))
    message = Message(gas=call.gas, to=Address(call.to), sender=Address(call.caller),
                      value=call.value, data=call.data,
                      code=call.code if call.code is not None else state.get_code(Address(call.to)),
                      is_static=call.is_static)
    origin = Address(call.origin or call.caller)
    context = state.get_transaction_context_class()(gas_price=call.gas_price, origin=origin)
    computation = state.computation_class.apply_message(state, message, context)
    logs = tuple((bytes(a), tuple(t.to_bytes(32, "big") for t in topics), bytes(d))
                 for a, topics, d in computation.get_log_entries())
    for touched in collect_touched_accounts(computation):
        # EIP-161 as the transaction's finalize applies it: a callee py-evm touched into the
        # state as an empty account (a precompile, an absent address) is deleted again
        if state.account_exists(touched) and state.account_is_empty(touched):
            state.delete_account(touched)
    state.persist()
    return Reference(
        success=computation.is_success,
        gas_left=computation.get_gas_remaining(),
        output=bytes(computation.output),
        logs=logs,
        state_root=bytes(state.state_root),
        refund=computation.get_gas_refund(),
        error=type(computation.error).__name__ if computation.is_error else "",
    )


OPCODES = {
    "STOP": 0x00, "ADD": 0x01, "MUL": 0x02, "SUB": 0x03, "DIV": 0x04, "SDIV": 0x05,
    "MOD": 0x06, "SMOD": 0x07, "ADDMOD": 0x08, "MULMOD": 0x09, "EXP": 0x0A,
    "SIGNEXTEND": 0x0B, "LT": 0x10, "GT": 0x11, "SLT": 0x12, "SGT": 0x13, "EQ": 0x14,
    "ISZERO": 0x15, "AND": 0x16, "OR": 0x17, "XOR": 0x18, "NOT": 0x19, "BYTE": 0x1A,
    "SHL": 0x1B, "SHR": 0x1C, "SAR": 0x1D, "KECCAK256": 0x20, "ADDRESS": 0x30,
    "BALANCE": 0x31, "ORIGIN": 0x32, "CALLER": 0x33, "CALLVALUE": 0x34,
    "CALLDATALOAD": 0x35, "CALLDATASIZE": 0x36, "CALLDATACOPY": 0x37, "CODESIZE": 0x38,
    "CODECOPY": 0x39, "GASPRICE": 0x3A, "EXTCODESIZE": 0x3B, "EXTCODECOPY": 0x3C,
    "RETURNDATASIZE": 0x3D, "RETURNDATACOPY": 0x3E, "EXTCODEHASH": 0x3F,
    "BLOCKHASH": 0x40, "COINBASE": 0x41, "TIMESTAMP": 0x42, "NUMBER": 0x43,
    "PREVRANDAO": 0x44, "GASLIMIT": 0x45, "CHAINID": 0x46, "SELFBALANCE": 0x47,
    "BASEFEE": 0x48, "BLOBHASH": 0x49, "BLOBBASEFEE": 0x4A, "POP": 0x50, "MLOAD": 0x51,
    "MSTORE": 0x52, "MSTORE8": 0x53, "SLOAD": 0x54, "SSTORE": 0x55, "JUMP": 0x56,
    "JUMPI": 0x57, "PC": 0x58, "MSIZE": 0x59, "GAS": 0x5A, "JUMPDEST": 0x5B,
    "TLOAD": 0x5C, "TSTORE": 0x5D, "MCOPY": 0x5E, "PUSH0": 0x5F, "RETURN": 0xF3,
    "REVERT": 0xFD, "INVALID": 0xFE, "CALL": 0xF1, "CREATE": 0xF0, "SELFDESTRUCT": 0xFF,
    "CALLCODE": 0xF2, "DELEGATECALL": 0xF4, "CREATE2": 0xF5, "STATICCALL": 0xFA,
    **{f"DUP{n}": 0x7F + n for n in range(1, 17)},
    **{f"SWAP{n}": 0x8F + n for n in range(1, 17)},
    **{f"LOG{n}": 0xA0 + n for n in range(5)},
}


def asm(*parts: str | int | bytes) -> bytes:
    """Assemble: a mnemonic, an int (pushed with the shortest PUSHn, PUSH0 for 0), raw bytes,
    or ``"PUSHn:0x.."`` for an exact push width."""
    out = bytearray()
    for part in parts:
        if isinstance(part, bytes):
            out += part
        elif isinstance(part, int):
            if part == 0:
                out.append(0x5F)
            else:
                width = (part.bit_length() + 7) // 8
                out.append(0x5F + width)
                out += part.to_bytes(width, "big")
        elif part.startswith("PUSH") and ":" in part:
            name, value = part.split(":")
            width = int(name[4:])
            out.append(0x5F + width)
            out += int(value, 0).to_bytes(width, "big")
        else:
            out.append(OPCODES[part])
    return bytes(out)


EXERCISED: set[int] = set()
"""Every opcode some differential test stepped (read by the coverage test)."""


def check_against_py_evm(accounts: dict[bytes, Account], call: MessageCall) -> Trace:
    """Trace ``call`` and run it in py-evm on the same state: the outcome, gas left, output,
    logs, refund and state root must agree, and every step must verify from its witness."""
    db, root = make_state(accounts)
    trace = trace_message_call(db, root, BLOCK, call)
    reference = run_reference(db, root, call)
    assert (trace.success, trace.gas_left, trace.output) == (
        reference.success, reference.gas_left, reference.output), reference.error
    assert [(log.address, log.topics, log.data) for log in trace.logs] == list(reference.logs)
    assert trace.refund == reference.refund
    assert trace.state_root == reference.state_root
    for step in trace.steps:
        assert verify_step(step.pre, step.witness) == step.post
    EXERCISED.update(step.opcode for step in trace.steps)
    return trace
