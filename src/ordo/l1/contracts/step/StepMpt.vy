# pragma version 0.4.3
"""
@title Merkle-Patricia reads and writes for the step verifier's account and storage parts
@notice Mpt.vy's walk and rewrite do not fit in a part beside the step logic (a part with both
        would be 45 KB; L1's limit is 24,576 bytes), so they are a contract of their own. The
        proof (and the extra node of a deletion) follow the static arguments in the calldata,
        where Mpt.vy reads them in place: read(root, key, proof_size) ‖ proof and
        write(root, key, stored_words, stored_size, proof_size, extra_size) ‖ proof ‖ extra.
        Mpt's refusals bubble up through the part with their reasons.
"""

import Mpt

READ_PROOF_AT: constant(uint256) = 4 + 3 * 32
WRITE_PROOF_AT: constant(uint256) = 4 + 9 * 32


@external
@view
def read(root: bytes32, key: bytes32, proof_size: uint256) -> (bool, Bytes[Mpt.MAX_VALUE_BYTES]):
    assert READ_PROOF_AT + proof_size <= len(msg.data), "StepVerifier: trie proof cut short"
    return Mpt.read(root, key, READ_PROOF_AT, proof_size)


@external
@view
def write(root: bytes32, key: bytes32, stored_words: bytes32[4], stored_size: uint256,
          proof_size: uint256, extra_size: uint256) -> bytes32:
    extra_at: uint256 = WRITE_PROOF_AT + proof_size
    assert extra_at + extra_size <= len(msg.data), "StepVerifier: trie proof cut short"
    assert stored_size <= Mpt.MAX_VALUE_BYTES, "StepVerifier: a stored value over 128 bytes"
    stored: Bytes[Mpt.MAX_VALUE_BYTES] = slice(abi_encode(stored_words), 0, stored_size)
    return Mpt.write(root, key, stored, WRITE_PROOF_AT, proof_size, extra_at, extra_size)
