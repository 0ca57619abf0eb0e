# pragma version 0.4.3
"""
@title What the transaction-start parts share (docs/fault_proofs.md 4.2)
@notice The phase-2 witness is abi.encode(2, Block, Tx, Context, (bool started, uint256
        next_key, uint256 next_authorization), proofs) with proofs = (bytes block_inputs, bytes
        raw_tx, bytes32[32] tx_siblings, Trie sender, bytes sender_code, Trie[] accessed, Trie
        sender_value, Trie recipient, Trie callee, bytes callee_code, Totals totals, bytes
        forced_tx, Trie deposit, Trie authority, bytes authority_code, Trie delegate, bytes
        delegate_code): the pre-state's check, where each field lies, and the refusal of a
        field the step did not read (tx_start's WitnessIO: one accepted witness per step).
"""

import blockio
import witness as w

PHASE_TX_START: constant(uint256) = 2
CONTEXT_AT: constant(uint256) = 16 * 32
PENDING_AT: constant(uint256) = 25 * 32
PROOFS_PTR: constant(uint256) = 28 * 32
# the proofs' head, in words: where each field's offset (or inline value) lies
F_BLOCK_INPUTS: constant(uint256) = 0
F_RAW_TX: constant(uint256) = 1
F_TX_SIBLINGS: constant(uint256) = 2
F_ACCESSED: constant(uint256) = 36
F_SENDER: constant(uint256) = 34
F_SENDER_CODE: constant(uint256) = 35
F_TOTALS: constant(uint256) = 41
F_FORCED_TX: constant(uint256) = 42
F_DEPOSIT: constant(uint256) = 43
F_AUTHORITY: constant(uint256) = 44
F_AUTHORITY_CODE: constant(uint256) = 45
# bits of unread_are_zero's `read`: the fields in TxStartProofs order
READ_BLOCK_INPUTS: constant(uint256) = 1
READ_RAW_TX: constant(uint256) = 2
READ_TX_SIBLINGS: constant(uint256) = 4
READ_SENDER: constant(uint256) = 8
READ_SENDER_CODE: constant(uint256) = 16
READ_ACCESSED: constant(uint256) = 32
READ_TOTALS: constant(uint256) = 1024
READ_FORCED_TX: constant(uint256) = 2048
READ_DEPOSIT: constant(uint256) = 4096
READ_AUTHORITY: constant(uint256) = 8192
READ_AUTHORITY_CODE: constant(uint256) = 16384


@internal
@view
def pre_state() -> (bytes32, bool):
    """@notice Checks the witness's parts against the pre-state: the block part's hash and
            whether the transaction is started (fourth word keccak(abi(next_key,
            next_authorization))); not started, both counters must be zero."""
    w.need(PROOFS_PTR + 32)
    base: uint256 = w.base()
    block_h: bytes32 = keccak256(slice(msg.data, base + 32, 320))
    tx_h: bytes32 = keccak256(slice(msg.data, base + 352, 160))
    context_h: bytes32 = keccak256(slice(msg.data, base + CONTEXT_AT, 288))
    started: uint256 = w.uint(PENDING_AT)
    assert started <= 1, "StepVerifier: the witness is not the pre-state's preimage"
    fourth: bytes32 = empty(bytes32)
    if started == 1:
        fourth = keccak256(slice(msg.data, base + PENDING_AT + 32, 64))
    else:
        assert w.uint(PENDING_AT + 32) == 0 and w.uint(PENDING_AT + 64) == 0, \
            "StepVerifier: a transaction not started has no next key or authorization"
    assert keccak256(abi_encode(PHASE_TX_START, block_h, tx_h, context_h, fourth)) \
        == w.pre_state(), "StepVerifier: the witness is not the pre-state's preimage"
    return block_h, started == 1


@internal
@view
def field(proofs: uint256, slot: uint256) -> uint256:
    """@notice The witness offset of dynamic field `slot` of the proofs."""
    return blockio.at(proofs, 32 * slot)


@internal
@pure
def name(k: uint256) -> String[16]:
    """@notice The name of proofs field `k` (block_witness.TxStartProofs)."""
    if k == 0:
        return "block_inputs"
    if k == 1:
        return "raw_tx"
    if k == 2:
        return "tx_siblings"
    if k == 3:
        return "sender"
    if k == 4:
        return "sender_code"
    if k == 5:
        return "accessed"
    if k == 6:
        return "sender_value"
    if k == 7:
        return "recipient"
    if k == 8:
        return "callee"
    if k == 9:
        return "callee_code"
    if k == 10:
        return "totals"
    if k == 11:
        return "forced_tx"
    if k == 12:
        return "deposit"
    if k == 13:
        return "authority"
    if k == 14:
        return "authority_code"
    if k == 15:
        return "delegate"
    return "delegate_code"


@internal
@view
def unread_are_zero(proofs: uint256, read: uint256):
    """@notice Every field whose bit is not set in `read` is zero (tx_start's WitnessIO):
            empty bytes and lists, a Trie ("", ""), 32 zero siblings."""
    for k: uint256 in range(17):
        if (read >> k) & 1 == 1:
            continue
        slot: uint256 = k
        if k > 2:
            slot = k + 31  # after the 32 inline siblings
        zero: bool = True
        if k == 2:
            for h: uint256 in range(32):
                if w.word(proofs + 32 * (F_TX_SIBLINGS + h)) != empty(bytes32):
                    zero = False
        elif k == 10:
            # Totals: the blank (0x0, 0x0, "", 0, 0) when the step does not read it
            at: uint256 = self.field(proofs, slot)
            zero = w.word(at) == empty(bytes32) and w.word(at + 32) == empty(bytes32) and \
                w.uint(at + w.uint(at + 64)) == 0 and w.uint(at + 96) == 0 and \
                w.uint(at + 128) == 0
        else:
            at: uint256 = self.field(proofs, slot)
            if k in [3, 6, 7, 8, 12, 13, 15]:
                zero = w.uint(at + w.uint(at)) == 0 and w.uint(at + w.uint(at + 32)) == 0
            else:
                zero = w.uint(at) == 0
        if not zero:
            raise concat("StepVerifier: the step does not read ", self.name(k),
                         ", but it is not zero")


