# pragma version 0.4.3
"""
@title Step verifier part: reads from other byte strings and lists (CALLDATALOAD,
       CALLDATACOPY, CODECOPY, RETURNDATACOPY, MCOPY, BLOCKHASH, BLOBHASH)
@notice Called by StepRouter with the router's own calldata (any selector reaches
        __default__); checks everything itself. Source
        cells are proved against the tree's root before the step; bytes past a string's size
        read as zero without a proof; a copy of over 32 cells that does not halt first is
        refused as not verifiable yet (3.3).
"""

import core
import machine
import mem

COPY_PER_WORD: constant(uint256) = 3
LIST_BYTES: constant(uint256) = 2**32 * 32  # a list of 2^32 hashes (block and blob hashes)


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it (see witness.vy
            on why the calldata is read by hand)."""
    r: core.Run = core.start()
    if r.halting:
        return core.halt(r)
    op: uint256 = r.op
    f: machine.Frame = r.frame
    data: Bytes[mem.BUFFER] = b""
    if op == 53:  # CALLDATALOAD
        r, data = mem.read_source(r, f.calldata_root, f.calldata_size, r.items[0], 32)
        return core.done(r, [convert(extract32(data, 0), uint256)])
    if op == 64:  # BLOCKHASH: index number - 1 - n of the 256 previous hashes
        number: uint256 = r.items[0]
        current: uint256 = core.block().number
        if number >= current or (current > 256 and number < current - 256):
            return core.done(r, [0])
        r, data = mem.read_source(r, core.block().block_hashes_root, LIST_BYTES,
                                  (current - 1 - number) * 32, 32)
        return core.done(r, [convert(extract32(data, 0), uint256)])
    if op == 73:  # BLOBHASH
        index: uint256 = r.items[0]
        if index >= 2**32:
            return core.done(r, [0])
        r, data = mem.read_source(r, core.tx().blob_hashes_root, LIST_BYTES, index * 32, 32)
        return core.done(r, [convert(extract32(data, 0), uint256)])
    dest: uint256 = r.items[0]
    offset: uint256 = r.items[1]
    size: uint256 = r.items[2]
    static: uint256 = mem.HUGE
    if size < mem.BOUND:
        static = COPY_PER_WORD * mem.words(size)
    if op == 94:  # MCOPY grows memory over both ranges
        r = mem.charge_growth(r, static, offset, size, dest, size)
    else:
        r = mem.charge_growth(r, static, dest, size, 0, 0)
    if r.halting:
        return core.halt(r)
    if op == 62 and (offset > f.returndata_size or size > f.returndata_size - offset):
        return core.halt(r)  # RETURNDATACOPY past the return data
    if size == 0:
        return core.done(r, [])
    mem.cell_span(dest, size)  # refuses over 32 cells before anything is read
    if op == 55:  # CALLDATACOPY
        r, data = mem.read_source(r, f.calldata_root, f.calldata_size, offset, size)
    elif op == 57:  # CODECOPY
        r, data = mem.read_source(r, f.code_root, f.code_size, offset, size)
    elif op == 62:  # RETURNDATACOPY
        r, data = mem.read_source(r, f.returndata_root, f.returndata_size, offset, size)
    elif op == 94:  # MCOPY reads the memory as it was before the step
        r, data = mem.read_source(r, f.memory_root, r.memory_size, offset, size)
    else:
        raise "StepVerifier: opcode routed to the wrong part"
    r = mem.write_memory(r, dest, data)
    return core.done(r, [])
