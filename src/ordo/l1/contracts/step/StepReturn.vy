# pragma version 0.4.3
"""
@title Step verifier part: STOP, RETURN and REVERT at depth > 0, the return to a caller
       (docs/fault_proofs.md 3.8)
@notice The router sends these three opcodes here when the frame's depth is not 0, and any
        other step at depth > 0 that its part answered with core.HALTED_AT_DEPTH (an
        exceptional halt: this part then takes the step as halting). The child
        halts (its own exceptional halts included: stack underflow, memory out of gas), the
        context is rolled back to its entry snapshot after REVERT and an exceptional halt, the
        suspended caller is read from `parent` and checked against `parent_frame`, the output
        is written into the caller's memory from `caller_memory` (each cell against the
        caller's memory root as the earlier cells left it), and the caller resumes with the
        flag pushed, the child's gas left returned and the return data replaced, as
        src/ordo/faultproof/frames.py's return_to_caller. The return of a creation frame (its
        code deposit, 3.9) reverts as not verifiable yet.
"""

import cells
import core
import machine
import mem
import witness as w

CALLER_MEMORY_PTR: constant(uint256) = 139 * 32
TRIES_PTR: constant(uint256) = 140 * 32
CREATE_MARK: constant(uint256) = max_value(uint256)
PARENT_BYTES: constant(uint256) = 20 * 32


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it."""
    r: core.Run = core.begin()
    op: uint256 = r.op
    assert r.frame.depth != 0, "StepVerifier: a halt at depth 0 is not a return to a caller"
    if op != 0 and op != 243 and op != 253:
        # the router sends another opcode here only when its part answered HALTED_AT_DEPTH:
        # the step halts exceptionally, the part checked what it read before the halt
        return self._returned(r, False, b"", True, True, False)
    # core.start()'s checks for these three: a stack underflow halts; no static write, no
    # static gas, no overflow (they push nothing)
    if r.frame.stack_size < r.info.reads:
        return self._returned(r, False, b"", True, True, True)
    if op == 0:
        return self._returned(r, True, b"", False, False, True)
    r = core.stack(r)
    offset: uint256 = r.items[0]
    size: uint256 = r.items[1]
    r = mem.charge_growth(r, 0, offset, size, 0, 0)
    if r.halting:
        return self._returned(r, False, b"", True, True, True)
    output: Bytes[mem.BUFFER] = b""
    r, output = mem.read_memory(r, offset, size)
    return self._returned(r, op == 243, output, op == 253, False, True)


@internal
@view
def _returned(r: core.Run, success: bool, output: Bytes[mem.BUFFER], rollback: bool,
              burn: bool, own: bool) -> bytes32:
    """@notice The caller's state after the child halted; `burn` for an exceptional halt (no
            gas back, no return data, nothing written to the caller's memory); `own` when this
            part read the step's items (else the halting instruction's part checked them)."""
    c: machine.Context = r.ctx
    used: core.Run = r
    if rollback:
        c = core.rolled_back(r)
        used.used = used.used | core.USED_SNAPSHOT
    at: uint256 = r.proofs + core.PARENT_AT
    w.need(at + PARENT_BYTES)
    words: Bytes[PARENT_BYTES] = slice(msg.data, w.base() + at, PARENT_BYTES)
    assert keccak256(words) == r.frame.parent_frame, \
        "StepVerifier: the parent frame is not the preimage of parent_frame"
    used.used = used.used | core.USED_PARENT
    parent: machine.Frame = abi_decode(words, machine.Frame)
    if parent.returndata_size == CREATE_MARK:
        raise "StepVerifier: the return of a creation frame (its code deposit): not verifiable yet"
    memory_root: bytes32 = parent.memory_root
    written: uint256 = 0
    returned: Bytes[mem.BUFFER] = b""
    gas: uint256 = parent.gas
    if not burn:
        returned = output
        gas += r.gas
        size: uint256 = min(parent.returndata_size, len(output))
        memory_root, written = self._write_caller(r, memory_root,
                                                  convert(parent.returndata_root, uint256),
                                                  slice(output, 0, size))
    assert written == w.uint(r.proofs + w.uint(r.proofs + CALLER_MEMORY_PTR)), \
        "StepVerifier: caller memory cells given that the return does not write"
    assert w.uint(r.proofs + w.uint(r.proofs + TRIES_PTR)) == 0, \
        "StepVerifier: trie proofs given that the return does not read"
    if own:
        core.finished(used)
    flag: uint256 = 0
    if success:
        flag = 1
    resumed: machine.Frame = parent
    resumed.gas = gas
    resumed.stack_hash = cells.push(parent.stack_hash, flag)
    resumed.stack_size = parent.stack_size + 1
    resumed.memory_root = memory_root
    resumed.returndata_root = mem.output_root(returned)
    resumed.returndata_size = len(returned)
    return machine.state_hash(core.PHASE_EVM, r.block_h, r.tx_h, machine.context_hash(c),
                              machine.frame_hash(resumed))


@internal
@view
def _write_caller(r: core.Run, root: bytes32, offset: uint256,
                  data: Bytes[mem.BUFFER]) -> (bytes32, uint256):
    """@notice Write `data` at `offset` of the caller's memory with the `caller_memory` cells
            (at most 32, each against the root the earlier ones left); the new root and the
            number of cells used."""
    first: uint256 = 0
    count: uint256 = 0
    size: uint256 = len(data)
    first, count = mem.cell_span(offset, size)
    at: uint256 = r.proofs + w.uint(r.proofs + CALLER_MEMORY_PTR)
    given: uint256 = w.uint(at)
    assert count <= given, "StepVerifier: too few caller memory cells"
    padded: Bytes[mem.BUFFER + 32] = concat(data, empty(bytes32))
    node: bytes32 = root
    for k: uint256 in range(32):
        if k == count:
            break
        index: uint256 = first + k
        item: uint256 = at + 32 + core.CELL_ITEM * k
        w.need(item + core.CELL_ITEM)
        assert w.uint(item) == index, \
            "StepVerifier: caller memory cell index is not the one the return writes"
        cell: bytes32 = w.word(item + 32)
        siblings: uint256 = w.base() + item + 64
        assert cells.root_at(index, cell, siblings) == node, \
            "StepVerifier: caller memory cell does not prove against the caller's memory root"
        base: uint256 = 32 * index
        lo: uint256 = max(offset, base)
        hi: uint256 = min(offset + size, base + 32)
        segment: uint256 = convert(extract32(padded, lo - offset), uint256) >> (8 * (lo - base))
        mask: uint256 = max_value(uint256)
        if hi - lo < 32:
            mask = ((1 << (8 * (hi - lo))) - 1) << (8 * (base + 32 - hi))
        merged: uint256 = (convert(cell, uint256) & (max_value(uint256) ^ mask)) | (segment & mask)
        node = cells.root_at(index, convert(merged, bytes32), siblings)
    return node, count
