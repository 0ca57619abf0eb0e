# pragma version ~=0.4.3
"""
Test-only step verifier for a toy L2 (tests/l1_dispute): a block's output root is
keccak(abi(parent_output_root, inputs_root, k)), reached in RUN_STEPS steps. The game calls it
through the same interface as the real verifier (src/ordo/l1/contracts/step/), with the same
first and final states (docs/fault_proofs.md section 4):

    first   keccak(abi(1, parent, inputs_root, k))        witness abi(1, parent, inputs_root, k)
    running keccak(abi(3, parent, inputs_root, k, n))     witness abi(3, parent, inputs_root, k, n)
    final   keccak(abi(6, output_root))                   witness abi(6, output_root)

A step checks that the witness hashes to the pre-state (else it reverts) and returns the next
state; the final state steps to itself, which pads the trace to any power of two.
"""

MAX_WITNESS: constant(uint256) = 262144
RUN_STEPS: public(constant(uint256)) = 2


@internal
@pure
def _word(witness: Bytes[MAX_WITNESS], index: uint256) -> uint256:
    return convert(extract32(witness, 32 * index), uint256)


@external
@view
def decides_every_step() -> bool:
    """The toy's every step kind (first, running, final) is decided here."""
    return True


@external
@view
def step(pre_state: bytes32, witness: Bytes[MAX_WITNESS]) -> bytes32:
    assert keccak256(witness) == pre_state, "CountingStepVerifier: witness does not match the pre-state"
    assert len(witness) == 64 or len(witness) == 128 or len(witness) == 160, (
        "CountingStepVerifier: witness is not a state"
    )
    phase: uint256 = self._word(witness, 0)
    if len(witness) == 64:
        assert phase == 6, "CountingStepVerifier: witness is not a state"
        return pre_state
    parent: bytes32 = extract32(witness, 32)
    inputs_root: bytes32 = extract32(witness, 64)
    k: uint256 = self._word(witness, 3)
    ran: uint256 = 0
    if len(witness) == 128:
        assert phase == 1, "CountingStepVerifier: witness is not a state"
    else:
        assert phase == 3, "CountingStepVerifier: witness is not a state"
        ran = self._word(witness, 4)
    if ran < RUN_STEPS:
        return keccak256(abi_encode(convert(3, uint256), parent, inputs_root, k, ran + 1))
    return keccak256(abi_encode(convert(6, uint256), keccak256(abi_encode(parent, inputs_root, k))))
