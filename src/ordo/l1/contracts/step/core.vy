# pragma version 0.4.3
"""
@title What every phase-3 step does (docs/fault_proofs.md 3, 3.1; src/ordo/faultproof/step.py)
@notice Decode and check the pre-state, the code cell and the stack items; charge gas; end the
        step (the next phase-3 state, or phase 4 after a halt at depth 0). The witness is
        abi.encode(pre_state_preimage, proofs) and is read in place (witness.vy); every item is
        checked against a root of the pre-state (or of the memory as this step wrote it) before
        it is used, and a step that cannot be decided reverts with a reason.
"""

import cells
import machine
import opcodes
import witness as w

STATE_WORDS: constant(uint256) = 45
FRAME_AT: constant(uint256) = 25 * 32  # phase, Block (10 words), Tx (5), Context (9)
PHASE_EVM: constant(uint256) = 3
PHASE_TX_END: constant(uint256) = 4
MAX_STACK: constant(uint256) = 1024
MAX_READS: constant(uint256) = 17
CELL_ITEM: constant(uint256) = 34 * 32
# offsets inside the proofs tuple (3.1): the head of abi.encode of Proofs
CODE_AT: constant(uint256) = 0
CODE_NEXT_AT: constant(uint256) = 34 * 32
STACK_PTR: constant(uint256) = 68 * 32
MEMORY_PTR: constant(uint256) = 69 * 32
SOURCE_PTR: constant(uint256) = 70 * 32
JUMPDEST_AT: constant(uint256) = 71 * 32
TRIE_PTR: constant(uint256) = 105 * 32
EXT_CODE_PTR: constant(uint256) = 111 * 32
SNAPSHOT_AT: constant(uint256) = 112 * 32
PARENT_AT: constant(uint256) = 119 * 32
ZERO_CELL_ITEM_HASH: constant(bytes32) = 0x6d9fa425e81b789c60a2a69b0da9bceb0a2912ddafc0d71226d7ed1064a052eb
ZERO_SNAPSHOT_HASH: constant(bytes32) = 0x868e09d528a16744c1f38ea3c10cc2251e01a456434f91172247695087d129b7
ZERO_FRAME_HASH: constant(bytes32) = 0xe768d27180ae5989e0cc1c9cc36be6b6c7d43a6a0cf94083459e405ab21b929c
# the fields a step may use, as bits of Run.used (the rest must be zero: 3.1)
USED_CODE_NEXT: constant(uint256) = 1
USED_STACK: constant(uint256) = 2
USED_JUMPDEST: constant(uint256) = 4
USED_TRIE: constant(uint256) = 8  # bit 3 + k for trie field k (account ... transient)
USED_EXT_CODE: constant(uint256) = 512
USED_SNAPSHOT: constant(uint256) = 1024
USED_PARENT: constant(uint256) = 2048  # a halt at depth > 0 (StepReturn, 3.8)
USED_LISTS: constant(uint256) = 4096  # caller_memory and tries: checked by the part reading them
CALLER_MEMORY_PTR: constant(uint256) = 139 * 32
TRIES_PTR: constant(uint256) = 140 * 32
# a part's answer for an exceptional halt at depth > 0: the router then asks StepReturn
# (keccak256 of "StepVerifier: an exceptional halt at depth > 0": no state commitment)
HALTED_AT_DEPTH: constant(bytes32) = 0xc2a66036037d634dc4eb1eaa9c331cdebe9b4bf8cc4e49baa4b64e99546400c1
EMPTY_CELL_ROOT: constant(bytes32) = 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757


struct Run:
    block_h: bytes32
    tx_h: bytes32
    ctx: machine.Context
    frame: machine.Frame
    proofs: uint256  # witness offset of the proofs tuple
    op: uint256
    info: opcodes.Info
    immediate: uint256
    gas: uint256  # gas left as the step charges it
    items: uint256[MAX_READS]  # the stack items read, top first
    below: bytes32
    memory_root: bytes32  # the memory root as this step's writes move it
    memory_size: uint256
    memory_used: uint256  # memory cells of the witness consumed so far
    source_used: uint256
    halting: bool  # an exceptional halt: end with halt()
    used: uint256  # the USED_ bits of the fields read


@internal
@view
def _part(at: uint256, words: uint256) -> Bytes[STATE_WORDS * 32]:
    """@notice `words` words of the pre-state preimage from word `at` (checked to be there)."""
    w.need(STATE_WORDS * 32)
    whole: Bytes[STATE_WORDS * 32] = slice(msg.data, w.base(), STATE_WORDS * 32)
    return slice(whole, 32 * at, 32 * words)


@internal
@view
def block() -> machine.Block:
    """@notice The block part of the pre-state (checked by begin())."""
    return abi_decode(self._part(1, 10), machine.Block)


@internal
@view
def tx() -> machine.Tx:
    """@notice The transaction part of the pre-state (checked by begin())."""
    return abi_decode(self._part(11, 5), machine.Tx)


@internal
@view
def code_cell(at: uint256, index: uint256, root: bytes32) -> bytes32:
    """@notice The cell of a CellProof at `at`, checked to be cell `index` of `root`."""
    assert w.uint(at) == index, "StepVerifier: code cell index is not the one the pc needs"
    cell: bytes32 = w.word(at + 32)
    w.need(at + CELL_ITEM)
    assert cells.root_at(index, cell, w.base() + at + 64) == root, \
        "StepVerifier: code cell does not prove against the code root"
    return cell


@internal
@view
def begin() -> Run:
    """
    @notice Check the pre-state preimage and the code cell; decode the opcode and its PUSH
            immediate. Stack items are read by stack(), once the opcode's group has checked
            the stack size (an underflow reads none).
    """
    w.check_calldata()
    pre_state: bytes32 = w.pre_state()
    # the parts are hashed as they lie (each is abi(...) of its words) and decoded once
    phase: uint256 = w.uint(0)
    block_h: bytes32 = keccak256(self._part(1, 10))
    tx_h: bytes32 = keccak256(self._part(11, 5))
    context_words: Bytes[STATE_WORDS * 32] = self._part(16, 9)
    frame_words: Bytes[STATE_WORDS * 32] = self._part(25, 20)
    assert machine.state_hash(phase, block_h, tx_h, keccak256(context_words),
                              keccak256(frame_words)) == pre_state, \
        "StepVerifier: the witness's pre-state does not hash to pre_state"
    ctx: machine.Context = abi_decode(context_words, machine.Context)
    frame: machine.Frame = abi_decode(frame_words, machine.Frame)
    assert phase == PHASE_EVM, "StepVerifier: not a phase-3 (EVM) state"
    proofs: uint256 = w.uint(STATE_WORDS * 32)
    pc: uint256 = frame.pc
    index: uint256 = pc // 32
    window: bytes32 = self.code_cell(proofs + CODE_AT, index, frame.code_root)
    op: uint256 = convert(slice(window, pc % 32, 1), uint256)
    immediate: uint256 = 0
    used: uint256 = 0
    if op >= 96 and op <= 127:  # PUSH1-PUSH32: the immediate, across two cells if need be
        size: uint256 = op - 95
        start: uint256 = pc % 32 + 1
        data: uint256 = convert(window, uint256)
        if start + size > 32:
            used = USED_CODE_NEXT
            following: uint256 = convert(self.code_cell(proofs + CODE_NEXT_AT, index + 1,
                                                        frame.code_root), uint256)
            # the 64-byte window (window ‖ following), bytes start .. start + size - 1
            if start < 32:
                immediate = (data << (8 * start)) >> (8 * start)
                immediate = (immediate << (8 * (start + size - 32))) | \
                    (following >> (8 * (64 - start - size)))
            else:
                immediate = following >> (8 * (64 - start - size))
        else:
            immediate = ((data << (8 * start)) >> (8 * start)) >> (8 * (32 - start - size))
    return Run(block_h=block_h, tx_h=tx_h, ctx=ctx, frame=frame, proofs=proofs, op=op,
               info=opcodes.info(op), immediate=immediate, gas=frame.gas,
               items=empty(uint256[MAX_READS]), below=empty(bytes32),
               memory_root=frame.memory_root, memory_size=frame.memory_size, memory_used=0,
               source_used=0, halting=False, used=used)


HEX: constant(String[16]) = "0123456789abcdef"


@internal
@pure
def not_yet(op: uint256):
    """@notice The one refusal of an instruction this version does not verify."""
    raise concat("StepVerifier: opcode 0x", slice(HEX, op >> 4, 1), slice(HEX, op & 15, 1),
                 " not verifiable yet")


@internal
@view
def start() -> Run:
    """
    @notice begin(), then the checks of step.py's execute() in its order: undefined opcode,
            stack underflow, the stack items, overflow, a write in a static frame, the static
            gas. `halting` is set when one of them is an exceptional halt.
    """
    r: Run = self.begin()
    if r.info.reads == opcodes.FRAME_OPCODE:
        self.not_yet(r.op)
    if r.info.reads == opcodes.UNDEFINED or r.frame.stack_size < r.info.reads:
        r.halting = True
        return r
    r = self.stack(r)
    if r.frame.stack_size - r.info.reads + r.info.pushes > MAX_STACK:
        r.halting = True
        return r
    # SSTORE, TSTORE, LOG0-4 in a static frame
    if r.frame.is_static != 0 and (r.op == 85 or r.op == 93 or (r.op >= 160 and r.op <= 164)):
        r.halting = True
        return r
    return self.charge(r, r.info.gas)


@internal
@pure
def charge(r: Run, amount: uint256) -> Run:
    """@notice Take `amount` from the gas left, or mark the step as halting (out of gas)."""
    result: Run = r
    if amount > r.gas:
        result.halting = True
    else:
        result.gas = r.gas - amount
    return result


@internal
@view
def stack(r: Run) -> Run:
    """
    @notice Read the opcode's stack items (top first) and the hash below them; they must hash
            to the frame's stack hash. Call after checking the stack size.
    """
    result: Run = r
    at: uint256 = r.proofs + w.uint(r.proofs + STACK_PTR)
    items_at: uint256 = at + w.uint(at)
    count: uint256 = w.uint(items_at)
    assert count == r.info.reads, "StepVerifier: not the opcode's number of stack items"
    below: bytes32 = w.word(at + 32)
    node: bytes32 = below
    for k: uint256 in range(MAX_READS):
        if k == count:
            break
        item: uint256 = w.uint(items_at + 32 + 32 * (count - 1 - k))
        result.items[count - 1 - k] = item
        node = cells.push(node, item)
    assert node == r.frame.stack_hash, "StepVerifier: stack items do not hash to the stack hash"
    result.below = below
    result.used = r.used | USED_STACK
    return result


@internal
@pure
def commit(r: Run, frame: machine.Frame) -> bytes32:
    return machine.state_hash(PHASE_EVM, r.block_h, r.tx_h, machine.context_hash(r.ctx),
                              machine.frame_hash(frame))


@internal
@pure
def next_frame(r: Run, pc: uint256, stack_hash: bytes32, stack_size: uint256) -> machine.Frame:
    f: machine.Frame = r.frame
    f.pc = pc
    f.gas = r.gas
    f.stack_hash = stack_hash
    f.stack_size = stack_size
    f.memory_root = r.memory_root
    f.memory_size = r.memory_size
    return f


@internal
@view
def done(r: Run, pushed: DynArray[uint256, MAX_READS]) -> bytes32:
    """@notice The next state of a step that continues at pc + 1 with `pushed` (bottom first)."""
    return self.done_at(r, pushed, r.frame.pc + 1)


@internal
@view
def done_at(r: Run, pushed: DynArray[uint256, MAX_READS], pc: uint256) -> bytes32:
    self.finished(r)
    node: bytes32 = r.below
    for item: uint256 in pushed:
        node = cells.push(node, item)
    return self.commit(r, self.next_frame(r, pc, node,
                                          r.frame.stack_size - r.info.reads + len(pushed)))


@internal
@view
def finished(r: Run):
    """@notice Refuse a witness with anything the step did not read (3.1): every memory and
            source cell used, every unused field zero (caller_memory and tries empty unless
            the part read and counted them itself: USED_LISTS). One pre-state has one
            witness."""
    assert r.memory_used == self.list_length(r, MEMORY_PTR), \
        "StepVerifier: memory cells given that the step does not read"
    assert r.source_used == self.list_length(r, SOURCE_PTR), \
        "StepVerifier: source cells given that the step does not read"
    p: uint256 = r.proofs
    if r.used & USED_CODE_NEXT == 0:
        assert self.zero_cell(p + CODE_NEXT_AT), \
            "StepVerifier: code_next given but not read"
    if r.used & USED_STACK == 0:
        at: uint256 = p + w.uint(p + STACK_PTR)
        assert w.uint(at + w.uint(at)) == 0 and w.uint(at + 32) == 0, \
            "StepVerifier: stack given but not read"
    if r.used & USED_JUMPDEST == 0:
        assert self.zero_cell(p + JUMPDEST_AT), \
            "StepVerifier: jumpdest given but not read"
    for k: uint256 in range(6):
        if r.used & (USED_TRIE << k) == 0:
            at: uint256 = p + w.uint(p + TRIE_PTR + 32 * k)
            assert w.uint(at + w.uint(at)) == 0 and w.uint(at + w.uint(at + 32)) == 0, \
                "StepVerifier: a trie proof given but not read"
    if r.used & USED_EXT_CODE == 0:
        assert w.uint(p + w.uint(p + EXT_CODE_PTR)) == 0, "StepVerifier: ext_code given but not read"
    if r.used & USED_SNAPSHOT == 0:
        w.need(p + SNAPSHOT_AT + 7 * 32)
        assert keccak256(slice(msg.data, w.base() + p + SNAPSHOT_AT, 7 * 32)) == \
            ZERO_SNAPSHOT_HASH, \
            "StepVerifier: snapshot given but not read"
    if r.used & USED_PARENT == 0:
        w.need(p + PARENT_AT + 20 * 32)
        assert keccak256(slice(msg.data, w.base() + p + PARENT_AT, 20 * 32)) == \
            ZERO_FRAME_HASH, "StepVerifier: parent frame given but not read"
    if r.used & USED_LISTS == 0:
        assert self.list_length(r, CALLER_MEMORY_PTR) | self.list_length(r, TRIES_PTR) == 0, \
            "StepVerifier: caller_memory or tries given but not read"


@internal
@view
def zero_cell(at: uint256) -> bool:
    """@notice Whether the Cell at `at` is all zero (compared by its hash: one keccak)."""
    w.need(at + CELL_ITEM)
    return keccak256(slice(msg.data, w.base() + at, CELL_ITEM)) == ZERO_CELL_ITEM_HASH


@internal
@view
def list_length(r: Run, pointer: uint256) -> uint256:
    return w.uint(r.proofs + w.uint(r.proofs + pointer))


@internal
@view
def rolled_back(r: Run) -> machine.Context:
    """@notice The context with its first seven words restored from the witness's snapshot,
            which must be the preimage of the frame's entry_snapshot."""
    at: uint256 = r.proofs + SNAPSHOT_AT
    c: machine.Context = r.ctx
    c.state_root = w.word(at)
    c.accessed_root = w.word(at + 32)
    c.created_root = w.word(at + 64)
    c.transient_root = w.word(at + 96)
    c.refund = w.uint(at + 128)
    c.logs_hash = w.word(at + 160)
    c.logs_count = w.uint(at + 192)
    assert machine.snapshot(c) == r.frame.entry_snapshot, \
        "StepVerifier: the snapshot is not the preimage of the frame's entry_snapshot"
    return c


@internal
@view
def ended(r: Run, success: bool, output_root: bytes32, output_size: uint256,
          rollback: bool) -> bytes32:
    """@notice The phase-4 state after the depth-0 frame halts (STOP, RETURN, REVERT)."""
    assert r.frame.depth == 0, \
        "StepVerifier: a halt at depth > 0 returns to a caller: not verifiable yet"
    c: machine.Context = r.ctx
    used: Run = r
    if rollback:
        c = self.rolled_back(r)
        used.used = r.used | USED_SNAPSHOT
    self.finished(used)
    outcome: bytes32 = keccak256(abi_encode(success, r.gas, output_root, output_size,
                                            r.frame.entry_snapshot))
    return machine.state_hash(PHASE_TX_END, r.block_h, r.tx_h, machine.context_hash(c), outcome)


@internal
@view
def halt(r: Run) -> bytes32:
    """@notice An exceptional halt: all gas consumed, the context rolled back, phase 4 with a
            failed outcome. Nothing the step read besides the snapshot counts."""
    used: Run = r
    used.used = r.used | USED_SNAPSHOT
    if r.frame.depth != 0:
        # the return to the caller is StepReturn's (3.8): the router, told so by this answer,
        # asks it with the same calldata; the items read before the halt are checked here
        used.used = used.used | USED_PARENT
        self.finished(used)
        return HALTED_AT_DEPTH
    c: machine.Context = self.rolled_back(r)
    self.finished(used)
    outcome: bytes32 = keccak256(abi_encode(False, convert(0, uint256), EMPTY_CELL_ROOT,
                                            convert(0, uint256), r.frame.entry_snapshot))
    return machine.state_hash(PHASE_TX_END, r.block_h, r.tx_h, machine.context_hash(c), outcome)
