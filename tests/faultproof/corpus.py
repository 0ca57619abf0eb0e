"""The differential corpus: hand-assembled programs covering every phase-3 instruction of
version 1 (edge values, every halt), run by py-evm and by the step tracer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tests.faultproof.evm_reference import CALLER, OTHER, TARGET, Account, asm

MAX = (1 << 256) - 1
ABSENT = bytes.fromhex("de" * 20)
ORIGIN = bytes.fromhex("0a" * 20)


def neg(x: int) -> int:
    return (1 << 256) - x


def results(*expressions: tuple[str | int | bytes, ...]) -> bytes:
    """Each expression leaves one word; word i is stored at 32*i and all are returned."""
    assert len(expressions) <= 32
    parts: list[str | int | bytes] = []
    for index, expression in enumerate(expressions):
        parts += [*expression, 32 * index, "MSTORE"]
    parts += [32 * len(expressions), 0, "RETURN"]
    return asm(*parts)


@dataclass(frozen=True)
class Case:
    name: str
    code: bytes
    data: bytes = b""
    value: int = 0
    gas: int = 1_000_000
    gas_price: int = 0
    origin: bytes | None = None
    is_static: bool = False
    storage: tuple[tuple[int, int], ...] = ()
    others: dict[bytes, Account] = field(default_factory=dict)
    succeeds: bool = True


def _binary(op: str, a: int, b: int) -> tuple[str | int | bytes, ...]:
    return (b, a, op)


ARITH = results(
    _binary("ADD", MAX, 1), _binary("MUL", MAX, MAX), _binary("SUB", 0, 1),
    _binary("DIV", 7, 0), _binary("DIV", MAX, 3), _binary("SDIV", neg(7), 2),
    _binary("SDIV", 1 << 255, MAX), _binary("SDIV", 7, 0), _binary("MOD", 7, 0),
    _binary("MOD", 10, 3), _binary("SMOD", neg(7), 3), _binary("SMOD", 7, neg(3)),
    _binary("SMOD", 7, 0), (7, MAX, MAX, "ADDMOD"), (0, 2, 1, "ADDMOD"),
    (12345, MAX, MAX, "MULMOD"), (0, 3, 3, "MULMOD"), _binary("EXP", 3, 200),
    _binary("EXP", 2, 255), _binary("EXP", 0, 0), _binary("EXP", 7, MAX),
    _binary("SIGNEXTEND", 0, 0xFF), _binary("SIGNEXTEND", 0, 0x7F),
    _binary("SIGNEXTEND", 31, MAX - 5), _binary("SIGNEXTEND", 40, 0x80),
    _binary("SIGNEXTEND", 1, 0x8000), _binary("SIGNEXTEND", 1, 0x12345678),
    _binary("SUB", 5, 9), _binary("MUL", 1 << 200, 1 << 100),
)

BITWISE = results(
    _binary("LT", 1, 2), _binary("LT", 2, 1), _binary("GT", 2, 1), _binary("SLT", MAX, 1),
    _binary("SGT", MAX, 1), _binary("SGT", 1, MAX), _binary("EQ", 5, 5), _binary("EQ", 5, 6),
    (0, "ISZERO"), (7, "ISZERO"), _binary("AND", 0xF0F0, 0xFF00), _binary("OR", 0xF0, 0x0F),
    _binary("XOR", MAX, 0x1234), (0x1234, "NOT"), _binary("BYTE", 0, MAX - 0xFF),
    _binary("BYTE", 31, 0xAB), _binary("BYTE", 32, MAX), _binary("SHL", 1, MAX),
    _binary("SHL", 256, 1), _binary("SHR", 4, 0xABCD), _binary("SHR", 300, MAX),
    _binary("SAR", 4, neg(16)), _binary("SAR", 300, MAX), _binary("SAR", 300, 1),
    _binary("SAR", 255, 1 << 255), _binary("SAR", 1, 1 << 254), _binary("SLT", 1, 2),
    _binary("BYTE", 1 << 200, 5),
)

ENVIRONMENT = results(
    ("ADDRESS",), ("ORIGIN",), ("CALLER",), ("CALLVALUE",), ("CALLDATASIZE",), ("CODESIZE",),
    ("GASPRICE",), ("RETURNDATASIZE",), ("COINBASE",), ("TIMESTAMP",), ("NUMBER",),
    ("PREVRANDAO",), ("GASLIMIT",), ("CHAINID",), ("SELFBALANCE",), ("BASEFEE",),
    ("BLOBBASEFEE",), ("PC",), ("MSIZE",), ("GAS",), (299, "BLOCKHASH"), (300, "BLOCKHASH"),
    (44, "BLOCKHASH"), (43, "BLOCKHASH"), (1 << 255, "BLOCKHASH"), (0, "BLOBHASH"),
    (1 << 40, "BLOBHASH"), (0, "CALLDATALOAD"), (5, "CALLDATALOAD"),
    (1 << 200, "CALLDATALOAD"), (60, "CALLDATALOAD"),
)

ACCOUNTS = results(
    (int.from_bytes(OTHER, "big"), "BALANCE"), (int.from_bytes(OTHER, "big"), "BALANCE"),
    (int.from_bytes(ABSENT, "big"), "BALANCE"), (1, "BALANCE"),
    (int.from_bytes(OTHER, "big") + (5 << 170), "EXTCODESIZE"),
    (int.from_bytes(ABSENT, "big"), "EXTCODESIZE"), (int.from_bytes(OTHER, "big"), "EXTCODEHASH"),
    (int.from_bytes(ABSENT, "big"), "EXTCODEHASH"),
    (int.from_bytes(CALLER, "big"), "EXTCODEHASH"),
    (int.from_bytes(TARGET, "big"), "EXTCODESIZE"),
    (40, 3, 1000, int.from_bytes(OTHER, "big"), "EXTCODECOPY", 1000, "MLOAD"),
    (40, 3, 1037, int.from_bytes(OTHER, "big"), "EXTCODECOPY", 1040, "MLOAD"),
    (33, 1 << 100, 2000, int.from_bytes(ABSENT, "big"), "EXTCODECOPY", 2000, "MLOAD"),
    (0, 0, 1 << 70, int.from_bytes(OTHER, "big"), "EXTCODECOPY", "MSIZE"),
    ("SELFBALANCE",),
)

COPIES = asm(
    # CALLDATACOPY aligned, unaligned, past the calldata, size 0 at a huge offset
    40, 0, 0, "CALLDATACOPY", 50, 3, 77, "CALLDATACOPY", 32, 1 << 90, 140, "CALLDATACOPY",
    0, 5, 1 << 80, "CALLDATACOPY",
    # CODECOPY with a tail past the code, MCOPY forward and backward (overlapping)
    64, 130, 200, "CODECOPY", 40, 0, 20, "MCOPY", 40, 30, 5, "MCOPY", 0, 0, 1 << 90, "MCOPY",
    # MSTORE8, unaligned MSTORE and MLOAD, RETURNDATACOPY of nothing, KECCAK256s
    0x1FF, 301, "MSTORE8", MAX - 2, 333, "MSTORE", 0, 0, 0, "RETURNDATACOPY",
    "RETURNDATASIZE", 400, "MSTORE", 0, 1 << 100, "KECCAK256", 420, "MSTORE",
    100, 7, "KECCAK256", 452, "MSTORE", 20, 330, "MLOAD", 500, "MSTORE", 555, "MLOAD",
    "MSIZE", 600, "MSTORE", 640, 0, "RETURN",
)

STORAGE = asm(
    # slot 1 (original 5): 5 -> 0 -> 5 (clear refund, then restored)
    1, "SLOAD", 0, 1, "SSTORE", 5, 1, "SSTORE",
    # slot 2 (original 0): 0 -> 9 -> 0
    9, 2, "SSTORE", 0, 2, "SSTORE",
    # slot 3 (original 7): 7 -> 8 -> 0, slot 4 (original 0): 0 -> 0 (no-op), slot 5: 0 -> 6
    8, 3, "SSTORE", 0, 3, "SSTORE", 0, 4, "SSTORE", 6, 5, "SSTORE", 5, "SLOAD",
    # slot 6 (original 11): 11 -> 0 -> 12
    0, 6, "SSTORE", 12, 6, "SSTORE", 1 << 255, 1 << 254, "SSTORE", 1 << 254, "SLOAD",
    3, "SLOAD", 7, "SLOAD", "ADD", "ADD", "ADD", 0, "MSTORE", 32, 0, "RETURN",
)

STORAGE_DELETIONS = asm(
    # clear slots in a 40-slot trie of 32-byte values (hashed leaves: deletions that fold a
    # branch need the sibling as ``extra``), set new ones, read some back
    *[part for slot in (1, 17, 23, 40, 2, 3) for part in (0, slot, "SSTORE")],
    5, 1000, "SSTORE", MAX, 1001, "SSTORE", 0, 1000, "SSTORE",
    4, "SLOAD", 17, "SLOAD", "ADD", 0, "MSTORE", 32, 0, "RETURN",
)

TRANSIENT = asm(
    1, 0, "TLOAD", "ADD", 7, "TSTORE", 7, "TLOAD", 8, 9, "TSTORE", 0, 9, "TSTORE",
    9, "TLOAD", 0, 7, "TSTORE", 7, "TLOAD", 3, 7, "TSTORE", 7, "TLOAD",
    "ADD", "ADD", "ADD", 0, "MSTORE", 32, 0, "RETURN",
)

CONTROL = asm(
    # a loop counting 5 down, with JUMPI taken and not taken
    5, "JUMPDEST", 1, "SWAP1", "SUB", "DUP1", 2, "JUMPI", "POP", "PC", "GAS", "POP", "POP",
    # all push widths, and the DUPs and SWAPs
    *[f"PUSH{n}:{hex((1 << (8 * n)) - 3)}" for n in range(1, 33)],
    *[f"DUP{n}" for n in range(1, 17)], *[f"SWAP{n}" for n in range(1, 17)],
    "PUSH0", "POP", 32, "MSTORE", 64, 0, "RETURN",
)

LOGS = asm(
    0xABCDEF, 0, "MSTORE", 32, 0, "LOG0", 1, 7, 29, "LOG1", 2, 1, 0, 0, "LOG2",
    3, 2, 1, 40, 10, "LOG3", 4, 3, 2, 1, 64, 0, "LOG4", "STOP",
)

REVERTING = asm(
    9, 1, "SSTORE", 5, 5, "TSTORE", 0x77, 0, 0, "LOG1", 0xBEEF, 0, "MSTORE", 30, 2, "REVERT",
)

BASE_CASES: tuple[Case, ...] = (
    Case("arithmetic", ARITH),
    Case("bitwise", BITWISE),
    Case("environment", ENVIRONMENT, data=bytes(range(1, 70)), value=123, gas_price=9,
         origin=ORIGIN),
    Case("accounts", ACCOUNTS, others={OTHER: Account(balance=77, code=bytes(range(100)))}),
    Case("copies", COPIES, data=bytes(range(200, 250))),
    Case("storage", STORAGE, storage=((1, 5), (3, 7), (6, 11))),
    Case("transient", TRANSIENT),
    Case("storage deletions", STORAGE_DELETIONS, storage=tuple((i, MAX - i) for i in range(1, 41))),
    Case("two slots, one deleted", asm(0, 1, "SSTORE", 2, "SLOAD", 0, "MSTORE", 32, 0, "RETURN"),
         storage=((1, MAX), (2, MAX - 1))),
    Case("control", CONTROL),
    Case("logs", LOGS),
    Case("revert", REVERTING, storage=((1, 3),), succeeds=False),
    Case("stop", asm("STOP")),
    Case("empty code", b""),
    Case("past the end", asm(1, 2)),
    Case("push past the end", bytes([0x7F, 1, 2])),
)

HALTS: tuple[Case, ...] = (
    Case("invalid", asm(1, 1, "SSTORE", "INVALID")),
    Case("undefined 0x0c", bytes([0x0C])),
    Case("undefined 0xef", asm(1, 2, bytes([0xEF]))),
    Case("out of gas", asm(1, 2, "ADD", 3, "MUL"), gas=10),
    Case("underflow", asm(1, "ADD")),
    Case("underflow swap", asm(1, 2, "SWAP2")),
    Case("overflow", asm("PUSH0", *["DUP1"] * 1024)),
    Case("bad jump to push data", asm(4, "JUMP", "PUSH1:0x5b")),
    Case("bad jump past the code", asm(100, "JUMP")),
    Case("jumpi to nowhere", asm(1, 200, "JUMPI")),
    Case("static sstore", asm(1, 1, "SSTORE"), is_static=True),
    Case("static tstore", asm(1, 1, "TSTORE"), is_static=True),
    Case("static log", asm(0, 0, "LOG0"), is_static=True),
    Case("static reads", asm(1, "SLOAD", 1, "TLOAD", "ADD", 0, "MSTORE", 32, 0, "RETURN"),
         is_static=True, storage=((1, 4),)),
    Case("mload at 2^64", asm(1 << 64, "MLOAD")),
    Case("mstore at 2^256-1", asm(1, MAX, "MSTORE")),
    Case("mstore8 at 2^64", asm(1, 1 << 64, "MSTORE8")),
    Case("calldatacopy huge", asm(1 << 64, 0, 0, "CALLDATACOPY")),
    Case("return huge", asm(1 << 64, 0, "RETURN")),
    Case("revert at 2^64", asm(1, 1 << 64, "REVERT")),
    Case("keccak huge", asm(1 << 70, 0, "KECCAK256")),
    Case("log huge", asm(1 << 64, 0, "LOG0")),
    Case("mcopy huge", asm(1, 1 << 64, 0, "MCOPY")),
    Case("returndatacopy out of bounds", asm(1, 0, 0, "RETURNDATACOPY")),
    Case("sstore at the stipend", asm(1, 1, "SSTORE"), gas=2306),
    Case("sstore out of gas", asm(1, 1, "SSTORE"), gas=20_000),
    Case("cold sload out of gas", asm(1, "SLOAD"), gas=2000),
    Case("exp out of gas", asm(MAX, 2, "EXP"), gas=60),
    Case("expansion out of gas", asm(1, 100_000, "MSTORE"), gas=5000),
    Case("revert with empty data", asm(0, 0, "REVERT"), storage=((2, 2),)),
)

HALTS = tuple(c if c.name == "static reads" else replace(c, succeeds=False) for c in HALTS)
CASES = BASE_CASES + HALTS
