# pragma version 0.4.3
"""
@title A started transaction sent to a precompile: its run as the step (no frame)
@notice docs/fault_proofs.md 4.2 step 7's precompile, as tx_start._call_precompile decides it:
        the transaction again (txread.transaction), `to` in 0x01-0x11 read (`callee`) with its
        code by its hash (a delegation there reverts as not verifiable yet: no precompile
        address has a key to delegate with), the entry snapshot, the value moved when it is not
        0 (`sender_value`, `recipient`), then StepPrecompile's run on the calldata with `gas -
        intrinsic` (Prague's price in Vyper, L1's precompile for the result); the post-state is
        phase 4 with Outcome(success, gas_left, cell_root(output), len(output), entry_snapshot)
        and, after a failure, the state root of before the transfer. StepTxFrame forwards a
        precompile target here; the router never calls this part itself.
"""

import blockio
import state
import txio
import txopen
import txread
import witness as w

mpt: public(immutable(address))
precompiles: public(immutable(address))

PHASE_TX_END: constant(uint256) = 4
CONTEXT_AT: constant(uint256) = 16 * 32
F_CALLEE: constant(uint256) = 39
F_CALLEE_CODE: constant(uint256) = 40
READ_CALLEE: constant(uint256) = 256
READ_CALLEE_CODE: constant(uint256) = 512
LAST_PRECOMPILE: constant(uint256) = 17


@deploy
def __init__(mpt_service: address, precompile_service: address):
    mpt = mpt_service
    precompiles = precompile_service


@internal
@view
def _run(target: uint256, gas_given: uint256, at: uint256, size: uint256) -> (bool, uint256,
                                                                          bytes32, uint256):
    """@notice StepPrecompile.run(target, gas, the `size` witness bytes at `at`)."""
    data: Bytes[blockio.MAX_BYTES] = blockio.copy(at, size)
    answer: Bytes[128] = raw_call(precompiles, concat(
        method_id("run(uint256,uint256,bytes)"), convert(target, bytes32),
        convert(gas_given, bytes32), convert(96, bytes32), convert(size, bytes32), data,
        empty(bytes32)),
        max_outsize=128, is_static_call=True)
    return convert(extract32(answer, 0), uint256) == 1, convert(extract32(answer, 32), uint256), \
        extract32(answer, 64), convert(extract32(answer, 96), uint256)


@internal
@view
def _call_precompile() -> bytes32:
    block_h: bytes32 = empty(bytes32)
    started: bool = False
    block_h, started = txio.pre_state()
    assert started, "StepVerifier: a transaction not started: routed to the wrong part"
    base: uint256 = w.base()
    proofs: uint256 = w.uint(txio.PROOFS_PTR)
    origin: uint256 = w.uint(352)
    root: bytes32 = w.word(CONTEXT_AT)
    t: txread.TxItems = txread.transaction(proofs, w.uint(416))
    gas_at: uint256 = 2  # legacy: nonce, gas price, gas, to, value, data
    if t.tx_type == 1:
        gas_at = 3
    elif t.tx_type == 2 or t.tx_type == 4:
        gas_at = 4
    assert t.sizes[gas_at + 1] == 20, "StepVerifier: not a precompile: routed to the wrong part"
    to: uint256 = blockio.rlp_uint(t.starts[gas_at + 1], 20)
    assert to >= 1 and to <= LAST_PRECOMPILE, \
        "StepVerifier: not a precompile: routed to the wrong part"
    moved: uint256 = blockio.rlp_uint(t.starts[gas_at + 2], t.sizes[gas_at + 2])
    data_at: uint256 = t.starts[gas_at + 3]
    data_size: uint256 = t.sizes[gas_at + 3]

    callee: state.Account = blockio.account(mpt, txio.field(proofs, F_CALLEE), root, to, False)
    if not callee.exists:
        callee.code_hash = state.EMPTY_CODE_HASH  # absent: the empty account's code
    code: uint256 = txio.field(proofs, F_CALLEE_CODE)
    code_size: uint256 = w.uint(code)
    assert keccak256(blockio.copy(code + 32, code_size)) == callee.code_hash, \
        "StepVerifier: callee_code does not hash to the account's code hash"
    if code_size == 23 and w.uint(code + 32) >> 232 == 15663360:  # 0xef0100
        raise "StepVerifier: a delegated precompile address: not verifiable yet"
    snapshot: bytes32 = keccak256(abi_encode(root, w.word(CONTEXT_AT + 32), state.BLANK_ROOT,
                                             state.BLANK_ROOT, w.uint(CONTEXT_AT + 128),
                                             empty(bytes32), empty(uint256)))
    read: uint256 = txio.READ_BLOCK_INPUTS | txio.READ_RAW_TX | txio.READ_TX_SIBLINGS | \
        READ_CALLEE | READ_CALLEE_CODE
    new_root: bytes32 = root
    if moved > 0:
        new_root = txopen.transfer(mpt, proofs, root, origin, to, moved)
        read = read | txopen.READ_SENDER_VALUE | txopen.READ_RECIPIENT
    txio.unread_are_zero(proofs, read)

    gas: uint256 = blockio.rlp_uint(t.starts[gas_at], t.sizes[gas_at]) - \
        txopen.intrinsic(t, data_at, data_size)
    success: bool = False
    gas_left: uint256 = 0
    output_root: bytes32 = empty(bytes32)
    output_size: uint256 = 0
    success, gas_left, output_root, output_size = self._run(to, gas, data_at, data_size)
    if not success:
        new_root = root  # the transfer rolled back with the failed run
    context_h: bytes32 = keccak256(concat(new_root, slice(msg.data, base + CONTEXT_AT + 32,
                                                           256)))
    return keccak256(abi_encode(PHASE_TX_END, block_h,
                                keccak256(slice(msg.data, base + 352, 160)), context_h,
                                keccak256(abi_encode(success, gas_left, output_root,
                                                     output_size, snapshot))))


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for a started transaction to
            a precompile."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == txio.PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._call_precompile()
