# pragma version 0.4.3
"""Test-only: the gas of the Mpt module's read and write alone. The proof and the extra node are
appended to the calldata after the ABI-encoded arguments (offsets passed explicitly), so no
argument copy inflates the memory the module's own frames pay for."""

import Mpt


@external
@view
def read_gas(root: bytes32, key: bytes32, proof_at: uint256, proof_size: uint256) -> uint256:
    before: uint256 = msg.gas
    found: bool = False
    stored: Bytes[128] = b""
    found, stored = Mpt.read(root, key, proof_at, proof_size)
    return before - msg.gas


@external
@view
def write_gas(root: bytes32, key: bytes32, stored: Bytes[128], proof_at: uint256,
              proof_size: uint256, extra_at: uint256, extra_size: uint256) -> uint256:
    before: uint256 = msg.gas
    new_root: bytes32 = Mpt.write(root, key, stored, proof_at, proof_size, extra_at, extra_size)
    return before - msg.gas
