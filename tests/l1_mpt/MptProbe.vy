# pragma version 0.4.3
"""Test-only: exposes the step verifier's Mpt module, with the proofs read from this call's
calldata where the ABI put them, and the gas each module call took."""

import Mpt


@internal
@view
def _at(index: uint256) -> uint256:
    """The calldata offset of the bytes of dynamic argument `index` (after its length word)."""
    return 4 + convert(slice(msg.data, 4 + 32 * index, 32), uint256) + 32


@external
@view
def read(root: bytes32, key: bytes32, proof: Bytes[40000]) -> (bool, Bytes[128]):
    return Mpt.read(root, key, self._at(2), len(proof))


@external
@view
def update(root: bytes32, key: bytes32, stored: Bytes[128], proof: Bytes[40000],
           extra: Bytes[600]) -> (bool, Bytes[128], bytes32):
    return Mpt.update(root, key, stored, self._at(3), len(proof), self._at(4), len(extra))
