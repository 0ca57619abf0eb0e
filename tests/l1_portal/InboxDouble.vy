# pragma version ~=0.4.3
"""
@title InboxDouble
@notice Test-only stand-in for RollupInbox's output views (output_roots, landed_at,
        finalizable_at, dispute_status, is_output_final, queue), with setters, so the portal
        tests control roots, windows and dispute statuses directly instead of driving signed
        batches and dispute games.
@dev is_output_final follows the inbox's definition: landed, window over, status none or
     defended. `veto` makes it false regardless, to show the portal asks the inbox last and
     does not accept on its own reading of the other views.
"""

queue: public(address)
challenge_window: public(uint256)
output_roots: public(HashMap[uint256, bytes32])
landed_at: public(HashMap[uint256, uint256])
dispute_status: public(HashMap[uint256, uint8])
vetoed: public(HashMap[uint256, bool])
# As the inbox: batches at or past next_index were removed (with a disproved earlier batch).
next_index: public(uint256)
advance_calls: public(uint256)


@deploy
def __init__(queue: address, challenge_window: uint256):
    self.queue = queue
    self.challenge_window = challenge_window


@external
def land(index: uint256, root: bytes32):
    self.output_roots[index] = root
    self.landed_at[index] = block.timestamp
    self.dispute_status[index] = 0
    self.next_index = max(self.next_index, index + 1)


@external
def remove(index: uint256):
    self.output_roots[index] = empty(bytes32)
    self.landed_at[index] = 0
    self.dispute_status[index] = 0


@external
def set_dispute_status(index: uint256, status: uint8):
    self.dispute_status[index] = status


@external
def set_queue(queue: address):
    self.queue = queue


@external
def veto(index: uint256, vetoed: bool):
    self.vetoed[index] = vetoed


@external
def advance_finality(through: uint256) -> uint256:
    """The portal moves the real inbox's ordered-finality pointer before paying; this double's
    is_output_final is per batch (tests/l1_dispute test the ordering on the real inbox)."""
    self.advance_calls += 1
    return 0


@external
@view
def finalizable_at(index: uint256) -> uint256:
    landed: uint256 = self.landed_at[index]
    if landed == 0:
        return 0
    return landed + self.challenge_window


@external
@view
def is_output_final(index: uint256) -> bool:
    landed: uint256 = self.landed_at[index]
    if self.output_roots[index] == empty(bytes32) or landed == 0 or self.vetoed[index]:
        return False
    if block.timestamp < landed + self.challenge_window:
        return False
    status: uint8 = self.dispute_status[index]
    return status == 0 or status == 3
