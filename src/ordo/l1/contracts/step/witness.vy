# pragma version 0.4.3
"""
@title Reading the witness where it lies: in the calldata of step(bytes32, bytes)
@notice Every contract of the verifier is called with the same calldata (the router forwards
        its own), so a word of the witness is read by its offset in the witness, never copied
        as a whole: a step reads a few hundred words of a witness that may be much longer.
        check_calldata() first: the functions below assume the witness lies in the calldata.
"""


MAX_WITNESS: constant(uint256) = 262144


@internal
@view
def check_calldata():
    """
    @notice The calldata is step(bytes32 pre_state, bytes witness) with the witness inside it
            and at most 262,144 bytes: the checks Vyper's ABI decoder would make. The verifier
            takes its calldata by hand (a `Bytes[262144]` argument is copied to memory, and
            Vyper places every local after that buffer: 155,000 gas of memory expansion).
    """
    n: uint256 = len(msg.data)
    assert n >= 100, "StepVerifier: calldata is not step(bytes32,bytes)"
    head: uint256 = convert(slice(msg.data, 36, 32), uint256)
    assert head <= n, "StepVerifier: calldata is not step(bytes32,bytes)"
    assert 4 + head + 32 <= n, "StepVerifier: calldata is not step(bytes32,bytes)"
    length: uint256 = convert(slice(msg.data, 4 + head, 32), uint256)
    assert length <= MAX_WITNESS, "StepVerifier: witness over 262,144 bytes"
    assert 4 + head + 32 + length <= n, "StepVerifier: calldata is not step(bytes32,bytes)"


@internal
@view
def pre_state() -> bytes32:
    return extract32(slice(msg.data, 4, 32), 0)


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
