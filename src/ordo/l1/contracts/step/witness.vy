# pragma version 0.4.3
"""
@title Reading the witness where it lies: in the calldata of step(bytes32, bytes)
@notice Every contract of the verifier is called with the same calldata (the router forwards
        its own), so a word of the witness is read by its offset in the witness, never copied
        as a whole: a step reads a few hundred words of a witness that may be much longer.
"""


@internal
@view
def base() -> uint256:
    """@notice The calldata offset of the witness's first byte (after its ABI length word)."""
    return 4 + convert(slice(msg.data, 36, 32), uint256) + 32


@internal
@view
def size() -> uint256:
    return convert(slice(msg.data, 4 + convert(slice(msg.data, 36, 32), uint256), 32), uint256)


@internal
@view
def need(end: uint256):
    """@notice Revert unless the witness holds at least `end` bytes."""
    assert end <= self.size(), "StepVerifier: witness too short"


@internal
@view
def word(at: uint256) -> bytes32:
    """@notice The 32 bytes at offset `at` of the witness (checked to lie inside it)."""
    self.need(at + 32)
    return extract32(slice(msg.data, self.base() + at, 32), 0)


@internal
@view
def uint(at: uint256) -> uint256:
    return convert(self.word(at), uint256)
