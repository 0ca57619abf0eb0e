# pragma version 0.4.3
"""
@title Cell trees and the stack chain (docs/fault_proofs.md 1.1, 1.2)
@notice A cell proof is 32 sibling hashes from the leaf up; the same proof checks a read
        (the root it leads to with the old leaf is the committed root) and computes a write
        (the root it leads to with the new leaf). The siblings are read straight from the
        calldata of the step call, so a proof is never copied into memory.
"""

CELL_DEPTH: constant(uint256) = 32
MAX_CELL_INDEX: constant(uint256) = 2**32 - 1


@internal
@view
def root_at(index: uint256, leaf: bytes32, proof_at: uint256) -> bytes32:
    """
    @notice The root that the 32 siblings at calldata offset `proof_at` lead to with `leaf`
            at `index`.
    """
    assert index <= MAX_CELL_INDEX, "StepVerifier: cell index out of range"
    node: bytes32 = leaf
    for height: uint256 in range(CELL_DEPTH):
        sibling: bytes32 = extract32(slice(msg.data, proof_at + 32 * height, 32), 0)
        if (index >> height) & 1 == 1:
            node = keccak256(concat(sibling, node))
        else:
            node = keccak256(concat(node, sibling))
    return node


@internal
@pure
def push(below: bytes32, item: uint256) -> bytes32:
    """@notice The stack hash after pushing `item` onto a stack whose hash is `below`."""
    return keccak256(concat(below, convert(item, bytes32)))
