# pragma version ~=0.4.3
"""Test-only caller of RollupInbox.remove_batches, named as the inbox's dispute game, for the
unit test of the inbox's own refusal of a batch/header pair it does not hold (the real game
checks the pair before it calls)."""

interface Inbox:
    def remove_batches(index: uint256, header_hash: bytes32) -> uint256: nonpayable


@external
@view
def max_game_duration() -> uint256:
    return 1


@external
@view
def dispute_status(index: uint256, output_root: bytes32) -> uint8:
    return 0


@external
def remove(inbox: Inbox, index: uint256, header_hash: bytes32) -> uint256:
    return extcall inbox.remove_batches(index, header_hash)


@external
@payable
def __default__():
    pass
