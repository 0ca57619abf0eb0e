"""Which part of the verifier checks each opcode (StepRouter's ROUTES table is this, as bytes)."""

from __future__ import annotations

NOT_YET = 0
FLOW = 1
ARITH = 2
MEMORY = 3
COPY = 4
STORAGE = 5
ACCOUNT = 6
BLOCK_END = 7
TX_END = 8
BLOCK_START = 9
TX_START = 10
RETURN = 11
SELFDESTRUCT = 12
CALL = 13
CREATE = 14
"""Not opcodes' parts: the router sends phase-5 and phase-6 witnesses to BLOCK_END, phase-4
ones to TX_END, phase-1 ones to BLOCK_START, phase-2 ones to TX_START, by their first word
(docs/fault_proofs.md 3.7); STOP, RETURN and REVERT at depth > 0 go to RETURN by the frame's
depth word (3.8); CALL is the call instructions' part (StepCall, which asks the service
StepCallCheck for the step's first half), CREATE the creations' (StepCreate, with
StepCreateCheck)."""

PART_NAMES = {FLOW: "step/StepFlow", ARITH: "step/StepArith", MEMORY: "step/StepMemory",
              COPY: "step/StepCopy", STORAGE: "step/StepStorage", ACCOUNT: "step/StepAccount",
              BLOCK_END: "step/StepBlockEnd", TX_END: "step/StepTxEnd",
              BLOCK_START: "step/StepBlockStart", TX_START: "step/StepTxStart",
              RETURN: "step/StepReturn", SELFDESTRUCT: "step/StepSelfdestruct",
              CALL: "step/StepCall", CREATE: "step/StepCreate"}
MPT_SERVICE = "step/StepMpt"
"""Mpt.vy in a contract of its own, which the storage and account parts call."""

ARITH_OPS = frozenset([*range(0x01, 0x0C), *range(0x10, 0x1E)])
MEMORY_OPS = frozenset([0x20, 0x51, 0x52, 0x53, *range(0xA0, 0xA5), 0xF3, 0xFD])
COPY_OPS = frozenset([0x35, 0x37, 0x39, 0x3E, 0x40, 0x49, 0x5E])
STORAGE_OPS = frozenset([0x54, 0x55, 0x5C, 0x5D])
ACCOUNT_OPS = frozenset([0x31, 0x3B, 0x3C, 0x3F, 0x47])
CALL_OPS = frozenset([0xF1, 0xF2, 0xF4, 0xFA])
CREATE_OPS = frozenset([0xF0, 0xF5])
"""The frame family: docs/fault_proofs.md 3.7, 3.8, 3.9 (no opcode is NOT_YET since
2026-12-08)."""


def part_of(opcode: int) -> int:
    if opcode == 0xFF:
        return SELFDESTRUCT
    if opcode in CALL_OPS:
        return CALL
    if opcode in CREATE_OPS:
        return CREATE
    if opcode in ARITH_OPS:
        return ARITH
    if opcode in MEMORY_OPS:
        return MEMORY
    if opcode in COPY_OPS:
        return COPY
    if opcode in STORAGE_OPS:
        return STORAGE
    if opcode in ACCOUNT_OPS:
        return ACCOUNT
    return FLOW  # stack, flow, constants, and every undefined opcode (an exceptional halt)


def routes_table() -> bytes:
    return bytes(part_of(opcode) for opcode in range(256))
