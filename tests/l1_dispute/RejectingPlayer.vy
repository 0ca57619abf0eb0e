# pragma version ~=0.4.3
"""Test-only challenger contract that cannot receive ETH: its credit can never be paid, and the
game must say so rather than lose the credit."""

interface Game:
    def open(batch_index: uint256, batch_hash: bytes32, claim: bytes32) -> uint256: payable


@external
@payable
def open(game: Game, batch_index: uint256, batch_hash: bytes32, claim: bytes32):
    extcall game.open(batch_index, batch_hash, claim, value=msg.value)
