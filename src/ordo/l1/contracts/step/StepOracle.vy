# pragma version 0.4.3
"""
@title The GasPriceOracle's block-start writes on a chain with the L1 data fee (4.1 step 6a)
@notice Called by StepBlockStart with the step's own calldata (step(bytes32, bytes), a phase-1
        witness whose proofs are FeeBlockStartProofs), after it checked the two items read
        here: the parent output's state root (the proofs' first word) and the block inputs
        (their ninth word is the L1 fee word, zero when they have eight). As
        block_steps._write_oracle: the oracle's account (oracle_account) against that root, its
        slots 0 := the fee word, 1 := baseFeeScalar, 2 := blobBaseFeeScalar written in this
        order (oracle_slot_<n>, key keccak(uint256(n)), each against the storage root the
        previous write left, deleted when the value is 0, with `extra` for a deletion), the
        account written back with the new storage root through its own proof. Answers the new
        state root. The scalars are the chain's l1Fee, fixed at deployment. Kept out of
        StepBlockStart for L1's code-size limit.
"""

import blockio
import state
import witness as w

mpt: public(immutable(address))
base_fee_scalar: public(immutable(uint256))
blob_base_fee_scalar: public(immutable(uint256))

PHASE_BLOCK_START: constant(uint256) = 1
PROOFS_PTR: constant(uint256) = 4 * 32
INPUTS_AT: constant(uint256) = 5 * 32
BLOCK_INPUTS_BYTES: constant(uint256) = 256
ORACLE_AT: constant(uint256) = 9 * 32 + 32 * 32
ORACLE: constant(uint256) = 452844882519113179962934879276157788071152058383  # 0x4f52444f…0f


@deploy
def __init__(mpt_service: address, rules_base_fee_scalar: uint256,
             rules_blob_base_fee_scalar: uint256):
    assert rules_base_fee_scalar < 2**32 and rules_blob_base_fee_scalar < 2**32, \
        "StepVerifier: an L1 fee scalar over 32 bits"
    mpt = mpt_service
    base_fee_scalar = rules_base_fee_scalar
    blob_base_fee_scalar = rules_blob_base_fee_scalar


@external
@view
def __default__() -> bytes32:
    """@notice The state root after the oracle's writes, for the calldata of
            step(bytes32, bytes) of a phase-1 step that StepBlockStart checked."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == PHASE_BLOCK_START, "StepVerifier: phase routed to the wrong part"
    w.need(PROOFS_PTR + 32)
    proofs: uint256 = w.uint(PROOFS_PTR)
    root: bytes32 = w.word(proofs)
    inputs: uint256 = blockio.at(proofs, INPUTS_AT)
    fee_word: uint256 = 0
    if w.uint(inputs) > BLOCK_INPUTS_BYTES:
        fee_word = w.uint(inputs + 32 + BLOCK_INPUTS_BYTES)
    field: uint256 = blockio.at(proofs, ORACLE_AT)
    a: state.Account = blockio.account(mpt, field, root, ORACLE, False)
    if not a.exists:
        raise "StepVerifier: the GasPriceOracle is absent on a chain with the L1 fee: not verifiable"
    values: uint256[3] = [fee_word, base_fee_scalar, blob_base_fee_scalar]
    for slot: uint256 in range(3):
        slot_field: uint256 = blockio.at(proofs, ORACLE_AT + 32 + 32 * slot)
        key: bytes32 = keccak256(convert(slot, bytes32))
        found: bool = False
        found_value: Bytes[state.VALUE_BYTES] = b""
        found, found_value = blockio.trie_read(mpt, slot_field, a.storage_root, key,
                                               values[slot] == 0)
        a.storage_root = blockio.trie_write(mpt, slot_field, a.storage_root, key,
                                            state.encode_word(values[slot]))
    return blockio.trie_write(mpt, field, root, state.address_key(ORACLE),
                              state.encode_account(a))
