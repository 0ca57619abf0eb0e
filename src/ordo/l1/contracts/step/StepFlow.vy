# pragma version 0.4.3
"""
@title Step verifier part: stack, control flow and the frame's, transaction's and block's
       constants (PUSH0-32, DUP, SWAP, POP, JUMP, JUMPI, JUMPDEST, PC, GAS, MSIZE, STOP,
       ADDRESS ... BLOBBASEFEE), and every undefined opcode (an exceptional halt)
@notice Called by StepRouter with the router's own calldata (any selector reaches
        __default__); checks everything itself.
"""

import cells
import core
import machine
import witness as w

BLOB_BASE_FEE: constant(uint256) = 1


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) as StepRouter forwards it (see witness.vy
            on why the calldata is read by hand)."""
    r: core.Run = core.start()
    if r.halting:
        return core.halt(r)
    op: uint256 = r.op
    if op >= 96 and op <= 127:  # PUSH1-PUSH32
        return core.done_at(r, [r.immediate], r.frame.pc + 1 + op - 95)
    if op >= 128 and op <= 143:  # DUPn: put back the n items, then a copy of the deepest
        n: uint256 = op - 127
        pushed: DynArray[uint256, core.MAX_READS] = []
        for k: uint256 in range(core.MAX_READS):
            if k == n:
                break
            pushed.append(r.items[n - 1 - k])
        pushed.append(r.items[n - 1])
        return core.done(r, pushed)
    if op >= 144 and op <= 159:  # SWAPn: the top and the (n+1)-th change places
        n: uint256 = op - 143
        swapped: DynArray[uint256, core.MAX_READS] = []
        for k: uint256 in range(core.MAX_READS):
            if k == n + 1:
                break
            index: uint256 = n - k
            if index == n:
                index = 0
            elif index == 0:
                index = n
            swapped.append(r.items[index])
        return core.done(r, swapped)
    if op == 80 or op == 91:  # POP, JUMPDEST
        return core.done(r, [])
    if op == 0:  # STOP
        return core.ended(r, True, core.EMPTY_CELL_ROOT, 0, False)
    if op == 86 or op == 87:  # JUMP, JUMPI
        return self._jump(r)
    return core.done(r, [self._constant(r)])


@internal
@view
def _constant(r: core.Run) -> uint256:
    op: uint256 = r.op
    f: machine.Frame = r.frame
    if op == 48:  # ADDRESS
        return f.address
    if op == 51:  # CALLER
        return f.caller
    if op == 52:  # CALLVALUE
        return f.value
    if op == 54:  # CALLDATASIZE
        return f.calldata_size
    if op == 56:  # CODESIZE
        return f.code_size
    if op == 61:  # RETURNDATASIZE
        return f.returndata_size
    if op == 88:  # PC
        return f.pc
    if op == 89:  # MSIZE
        return f.memory_size
    if op == 90:  # GAS
        return r.gas
    if op == 95:  # PUSH0
        return 0
    if op == 74:  # BLOBBASEFEE
        return BLOB_BASE_FEE
    if op == 50:  # ORIGIN
        return core.tx().origin
    if op == 58:  # GASPRICE
        return core.tx().gas_price
    b: machine.Block = core.block()
    if op == 65:  # COINBASE
        return b.coinbase
    if op == 66:  # TIMESTAMP
        return b.timestamp
    if op == 67:  # NUMBER
        return b.number
    if op == 68:  # PREVRANDAO
        return convert(b.prev_randao, uint256)
    if op == 69:  # GASLIMIT
        return b.gas_limit
    if op == 70:  # CHAINID
        return b.chain_id
    if op == 72:  # BASEFEE
        return b.base_fee
    raise "StepVerifier: opcode routed to the wrong part"


@internal
@view
def _jump(run: core.Run) -> bytes32:
    r: core.Run = run
    destination: uint256 = r.items[0]
    if r.op == 87 and r.items[1] == 0:  # JUMPI not taken
        return core.done(r, [])
    if destination >= r.frame.code_size:
        return core.halt(r)
    index: uint256 = destination // 256
    r.used |= core.USED_JUMPDEST
    at: uint256 = r.proofs + core.JUMPDEST_AT
    assert w.uint(at) == index, "StepVerifier: jumpdest cell index is not the destination's"
    cell: bytes32 = w.word(at + 32)
    w.need(at + core.CELL_ITEM)
    assert cells.root_at(index, cell, w.base() + at + 64) == r.frame.jumpdests_root, \
        "StepVerifier: jumpdest cell does not prove against the bitmap root"
    bit: uint256 = destination % 256
    if (convert(cell, uint256) >> (255 - bit)) & 1 == 0:
        return core.halt(r)
    return core.done_at(r, [], destination)
