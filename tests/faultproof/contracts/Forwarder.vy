# pragma version ~=0.4.3
"""Calls a token from a contract (the step machine's call-frame tests): a transfer through
CALL, a balance read through STATICCALL, a failing transfer caught with raw_call, and value
passed on to another account."""

interface Token:
    def transfer(receiver: address, amount: uint256) -> bool: nonpayable
    def balanceOf(owner: address) -> uint256: view

forwarded: public(uint256)
last_balance: public(uint256)
failures: public(uint256)


@external
def forward(token: address, receiver: address, amount: uint256):
    assert extcall Token(token).transfer(receiver, amount)
    self.forwarded += amount
    self.last_balance = staticcall Token(token).balanceOf(self)


@external
def try_forward(token: address, receiver: address, amount: uint256):
    ok: bool = False
    response: Bytes[32] = b""
    ok, response = raw_call(token, abi_encode(receiver, amount,
                                              method_id=method_id("transfer(address,uint256)")),
                            max_outsize=32, revert_on_failure=False)
    if not ok:
        self.failures += 1


@external
@payable
def pay(receiver: address):
    send(receiver, msg.value)
