"""Which part of the verifier checks each opcode (StepRouter's ROUTES table is this, as bytes)."""

from __future__ import annotations

NOT_YET = 0
FLOW = 1
ARITH = 2
MEMORY = 3
COPY = 4

PART_NAMES = {FLOW: "step/StepFlow", ARITH: "step/StepArith", MEMORY: "step/StepMemory",
              COPY: "step/StepCopy"}

ARITH_OPS = frozenset([*range(0x01, 0x0C), *range(0x10, 0x1E)])
MEMORY_OPS = frozenset([0x20, 0x51, 0x52, 0x53, *range(0xA0, 0xA5), 0xF3, 0xFD])
COPY_OPS = frozenset([0x35, 0x37, 0x39, 0x3E, 0x40, 0x49, 0x5E])
NOT_YET_OPS = frozenset([0x31, 0x3B, 0x3C, 0x3F, 0x47, 0x54, 0x55, 0x5C, 0x5D,
                         0xF0, 0xF1, 0xF2, 0xF4, 0xF5, 0xFA, 0xFF])
"""Account, storage and transient instructions wait for Mpt.vy; the frame family for CALL."""


def part_of(opcode: int) -> int:
    if opcode in NOT_YET_OPS:
        return NOT_YET
    if opcode in ARITH_OPS:
        return ARITH
    if opcode in MEMORY_OPS:
        return MEMORY
    if opcode in COPY_OPS:
        return COPY
    return FLOW  # stack, flow, constants, and every undefined opcode (an exceptional halt)


def routes_table() -> bytes:
    return bytes(part_of(opcode) for opcode in range(256))
