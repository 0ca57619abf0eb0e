"""The jump-destination bitmap of a code (docs/fault_proofs.md 2): what a frame's
``jumpdests_root`` is the cell root of. Its own module because both the call step (which opens a
frame for a callee's code) and the tracer's world build it. Pure."""

from __future__ import annotations


def jumpdest_bitmap(code: bytes) -> bytes:
    """Bit ``7 - (i mod 8)`` of byte ``i div 8`` is set when byte ``i`` is a JUMPDEST opcode that
    is not push data (docs/fault_proofs.md 2)."""
    bitmap = bytearray((len(code) + 7) // 8)
    position = 0
    while position < len(code):
        opcode = code[position]
        if opcode == 0x5B:
            bitmap[position // 8] |= 1 << (7 - position % 8)
        position += 1 + (opcode - 0x5F if 0x60 <= opcode <= 0x7F else 0)
    return bytes(bitmap)
