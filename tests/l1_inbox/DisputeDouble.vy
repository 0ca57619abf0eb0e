# pragma version ~=0.4.3
"""Test double of the dispute game the RollupInbox consults: the test sets each batch's status
(and may answer a status the inbox does not know, to check it refuses it)."""

statuses: public(HashMap[uint256, uint8])
asked_root: public(HashMap[uint256, bytes32])


@external
def set_status(index: uint256, status: uint8):
    self.statuses[index] = status


@external
@view
def dispute_status(index: uint256, output_root: bytes32) -> uint8:
    return self.statuses[index]


@external
@view
def max_game_duration() -> uint256:
    """The inbox's constructor checks it against max_dispute_duration, as set_disputes does."""
    return 1
