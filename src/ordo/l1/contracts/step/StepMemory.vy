# pragma version 0.4.3
"""
@title Step verifier part: memory (MLOAD, MSTORE, MSTORE8), KECCAK256, LOG0-4, RETURN, REVERT
@notice Called by StepRouter with the router's own calldata (any selector reaches
        __default__); checks everything itself. Memory
        expansion is charged on the full 256-bit offsets and sizes (an offset at 2^64 or more is
        an out-of-gas halt, never a wrap); a range over 32 cells that does not halt first is
        refused as not verifiable yet (3.3).
"""

import core
import machine
import mem

KECCAK_PER_WORD: constant(uint256) = 6
LOG_PER_BYTE: constant(uint256) = 8
MAX_TOPICS: constant(uint256) = 4


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it (see witness.vy
            on why the calldata is read by hand)."""
    r: core.Run = core.start()
    if r.halting:
        return core.halt(r)
    op: uint256 = r.op
    offset: uint256 = r.items[0]
    if op == 81:  # MLOAD
        r = mem.charge_growth(r, 0, offset, 32, 0, 0)
        if r.halting:
            return core.halt(r)
        data: Bytes[mem.BUFFER] = b""
        r, data = mem.read_memory(r, offset, 32)
        return core.done(r, [convert(extract32(data, 0), uint256)])
    if op == 82 or op == 83:  # MSTORE, MSTORE8
        width: uint256 = 32
        if op == 83:
            width = 1
        r = mem.charge_growth(r, 0, offset, width, 0, 0)
        if r.halting:
            return core.halt(r)
        value: bytes32 = convert(r.items[1], bytes32)
        if op == 83:
            r = mem.write_memory(r, offset, slice(value, 31, 1))
        else:
            r = mem.write_memory(r, offset, concat(value, b""))
        return core.done(r, [])
    size: uint256 = r.items[1]
    if op == 32:  # KECCAK256
        static: uint256 = mem.HUGE
        if size < mem.BOUND:
            static = KECCAK_PER_WORD * mem.words(size)
        r = mem.charge_growth(r, static, offset, size, 0, 0)
        if r.halting:
            return core.halt(r)
        data: Bytes[mem.BUFFER] = b""
        r, data = mem.read_memory(r, offset, size)
        return core.done(r, [convert(keccak256(data), uint256)])
    if op == 243 or op == 253:  # RETURN, REVERT
        r = mem.charge_growth(r, 0, offset, size, 0, 0)
        if r.halting:
            return core.halt(r)
        output: Bytes[mem.BUFFER] = b""
        r, output = mem.read_memory(r, offset, size)
        return core.ended(r, op == 243, mem.output_root(output), size, op == 253)
    if op >= 160 and op <= 164:  # LOG0-4
        static: uint256 = mem.HUGE
        if size < mem.BOUND:
            static = LOG_PER_BYTE * size
        r = mem.charge_growth(r, static, offset, size, 0, 0)
        if r.halting:
            return core.halt(r)
        data: Bytes[mem.BUFFER] = b""
        r, data = mem.read_memory(r, offset, size)
        entry: bytes32 = keccak256(self._log_rlp(r, op - 160, data))
        r.ctx.logs_hash = keccak256(concat(r.ctx.logs_hash, entry))
        r.ctx.logs_count += 1
        return core.done(r, [])
    raise "StepVerifier: opcode routed to the wrong part"


@internal
@pure
def _length_prefix(short_base: uint256, length: uint256) -> Bytes[3]:
    """@notice RLP's prefix of a string (short_base 0x80) or list (0xc0) of `length` bytes."""
    if length < 56:
        return slice(convert(short_base + length, bytes32), 31, 1)
    if length < 256:
        return concat(slice(convert(short_base + 55 + 1, bytes32), 31, 1),
                      slice(convert(length, bytes32), 31, 1))
    return concat(slice(convert(short_base + 55 + 2, bytes32), 31, 1),
                  slice(convert(length, bytes32), 30, 2))


@internal
@pure
def _log_rlp(r: core.Run, count: uint256, data: Bytes[mem.BUFFER]) -> Bytes[1300]:
    """@notice rlp([address, [topics...], data]) of the log, as a receipt holds it (1.4)."""
    t: uint256[MAX_TOPICS] = [r.items[2], r.items[3], r.items[4], r.items[5]]
    topics: Bytes[132] = slice(concat(b"\xa0", convert(t[0], bytes32), b"\xa0", convert(t[1], bytes32),
                                      b"\xa0", convert(t[2], bytes32), b"\xa0", convert(t[3], bytes32)),
                               0, 33 * count)
    encoded_data: Bytes[1060] = b""
    if len(data) == 1 and convert(slice(data, 0, 1), uint256) < 128:
        encoded_data = slice(data, 0, 1)
    else:
        encoded_data = concat(self._length_prefix(128, len(data)), data)
    topics_prefix: Bytes[3] = self._length_prefix(192, len(topics))
    payload_length: uint256 = 21 + len(topics_prefix) + len(topics) + len(encoded_data)
    return concat(self._length_prefix(192, payload_length), b"\x94",
                  slice(convert(r.frame.address, bytes32), 12, 20), topics_prefix, topics,
                  encoded_data)
