# pragma version ~=0.4.3
"""
@title WithdrawalTarget
@notice Test-only withdrawal target: records what each call brought (value, data, the portal's
        l2_sender during the call, the gas it started with), can be told to revert (to show a
        failed withdrawal stays retryable) or to call the portal back (to show finalize cannot
        be re-entered).
"""

interface Portal:
    def l2_sender() -> address: view


portal: public(address)
failing: public(bool)
reentry: public(Bytes[2048])
calls: public(uint256)
received: public(uint256)
last_sender: public(address)
last_note: public(uint256)
gas_at_entry: public(uint256)


@deploy
def __init__(portal: address):
    self.portal = portal


@external
def set_failing(failing: bool):
    self.failing = failing


@external
def set_reentry(calldata: Bytes[2048]):
    self.reentry = calldata


@internal
def _record(gas_at_entry: uint256, amount: uint256):
    self.gas_at_entry = gas_at_entry
    assert not self.failing, "WithdrawalTarget: told to fail"
    if len(self.reentry) > 0:
        raw_call(self.portal, self.reentry)
    self.calls += 1
    self.received += amount
    self.last_sender = staticcall Portal(self.portal).l2_sender()


@external
@payable
def note(number: uint256):
    gas_at_entry: uint256 = msg.gas
    self._record(gas_at_entry, msg.value)
    self.last_note = number


@external
@payable
def __default__():
    gas_at_entry: uint256 = msg.gas
    self._record(gas_at_entry, msg.value)
