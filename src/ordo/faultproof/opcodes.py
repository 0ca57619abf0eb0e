"""The phase-3 instruction table: for each Prague opcode its name, how many stack items the step
reads (the witness's ``stack.items``) and how many it leaves on top, and its static gas
(docs/fault_proofs.md 3, 3.1). Opcodes absent from the table are undefined (an exceptional halt);
those in :data:`FRAME_OPCODES` open or end frames across accounts and are next version's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    """``reads`` items are read from the top of the stack (DUPn and SWAPn read without removing:
    they put back what they read); ``pushes`` items are on top after the step."""

    name: str
    reads: int
    pushes: int
    gas: int


def _table() -> dict[int, Op]:
    ops: dict[int, Op] = {}

    def add(code: int, name: str, reads: int, pushes: int, gas: int) -> None:
        ops[code] = Op(name, reads, pushes, gas)

    add(0x00, "STOP", 0, 0, 0)
    for code, name, reads, gas in (
        (0x01, "ADD", 2, 3), (0x02, "MUL", 2, 5), (0x03, "SUB", 2, 3), (0x04, "DIV", 2, 5),
        (0x05, "SDIV", 2, 5), (0x06, "MOD", 2, 5), (0x07, "SMOD", 2, 5), (0x08, "ADDMOD", 3, 8),
        (0x09, "MULMOD", 3, 8), (0x0A, "EXP", 2, 10), (0x0B, "SIGNEXTEND", 2, 5),
        (0x10, "LT", 2, 3), (0x11, "GT", 2, 3), (0x12, "SLT", 2, 3), (0x13, "SGT", 2, 3),
        (0x14, "EQ", 2, 3), (0x15, "ISZERO", 1, 3), (0x16, "AND", 2, 3), (0x17, "OR", 2, 3),
        (0x18, "XOR", 2, 3), (0x19, "NOT", 1, 3), (0x1A, "BYTE", 2, 3), (0x1B, "SHL", 2, 3),
        (0x1C, "SHR", 2, 3), (0x1D, "SAR", 2, 3), (0x20, "KECCAK256", 2, 30),
        (0x31, "BALANCE", 1, 0), (0x35, "CALLDATALOAD", 1, 3), (0x3B, "EXTCODESIZE", 1, 0),
        (0x3F, "EXTCODEHASH", 1, 0), (0x40, "BLOCKHASH", 1, 20), (0x49, "BLOBHASH", 1, 3),
        (0x51, "MLOAD", 1, 3), (0x54, "SLOAD", 1, 0), (0x5C, "TLOAD", 1, 100),
    ):
        add(code, name, reads, 1, gas)
    for code, name, gas in (
        (0x30, "ADDRESS", 2), (0x32, "ORIGIN", 2), (0x33, "CALLER", 2), (0x34, "CALLVALUE", 2),
        (0x36, "CALLDATASIZE", 2), (0x38, "CODESIZE", 2), (0x3A, "GASPRICE", 2),
        (0x3D, "RETURNDATASIZE", 2), (0x41, "COINBASE", 2), (0x42, "TIMESTAMP", 2),
        (0x43, "NUMBER", 2), (0x44, "PREVRANDAO", 2), (0x45, "GASLIMIT", 2),
        (0x46, "CHAINID", 2), (0x47, "SELFBALANCE", 5), (0x48, "BASEFEE", 2),
        (0x4A, "BLOBBASEFEE", 2), (0x58, "PC", 2), (0x59, "MSIZE", 2), (0x5A, "GAS", 2),
        (0x5F, "PUSH0", 2),
    ):
        add(code, name, 0, 1, gas)
    for code, name, reads, gas in (
        (0x37, "CALLDATACOPY", 3, 3), (0x39, "CODECOPY", 3, 3), (0x3C, "EXTCODECOPY", 4, 0),
        (0x3E, "RETURNDATACOPY", 3, 3), (0x50, "POP", 1, 2), (0x52, "MSTORE", 2, 3),
        (0x53, "MSTORE8", 2, 3), (0x55, "SSTORE", 2, 0), (0x56, "JUMP", 1, 8),
        (0x57, "JUMPI", 2, 10), (0x5D, "TSTORE", 2, 100), (0x5E, "MCOPY", 3, 3),
        (0xF3, "RETURN", 2, 0), (0xFD, "REVERT", 2, 0),
    ):
        add(code, name, reads, 0, gas)
    add(0x5B, "JUMPDEST", 0, 0, 1)
    for n in range(1, 33):
        add(0x5F + n, f"PUSH{n}", 0, 1, 3)
    for n in range(1, 17):
        add(0x7F + n, f"DUP{n}", n, n + 1, 3)
        add(0x8F + n, f"SWAP{n}", n + 1, n + 1, 3)
    for n in range(5):
        add(0xA0 + n, f"LOG{n}", 2 + n, 0, 375 + 375 * n)
    return ops


OPS: dict[int, Op] = _table()
"""Every phase-3 instruction of version 1 (INVALID, 0xFE, is not here: undefined and INVALID
both halt exceptionally)."""

FRAME_OPCODES: dict[int, str] = {
    0xF0: "CREATE", 0xF1: "CALL", 0xF2: "CALLCODE", 0xF4: "DELEGATECALL", 0xF5: "CREATE2",
    0xFA: "STATICCALL", 0xFF: "SELFDESTRUCT",
}
"""Instructions that open a frame or destroy an account: refused in version 1."""

STATIC_FORBIDDEN = frozenset({0x55, 0x5D, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4})
"""Writes that halt in a static frame (SSTORE, TSTORE, LOG0-4)."""


def push_size(opcode: int) -> int:
    """The number of data bytes after a PUSHn opcode (0 for anything else, PUSH0 included)."""
    return opcode - 0x5F if 0x60 <= opcode <= 0x7F else 0
