# pragma version 0.4.3
"""A small ledger for the step tracer's differential test: storage maps, transient storage,
events, a revert with a reason, dynamic bytes in storage, hashing."""

event Deposited:
    who: indexed(address)
    amount: uint256
    total: uint256

balances: public(HashMap[address, uint256])
total: public(uint256)
note: public(Bytes[64])
scratch: transient(uint256)


@external
def deposit(amount: uint256) -> uint256:
    assert amount > 0, "nothing to deposit"
    self.scratch = amount * 2
    self.balances[msg.sender] += amount
    self.total += self.scratch // 2
    log Deposited(who=msg.sender, amount=amount, total=self.total)
    return self.total


@external
def withdraw(amount: uint256):
    self.balances[msg.sender] -= amount
    self.total -= amount


@external
def set_note(text: Bytes[64]):
    self.note = text


@external
@view
def digest(x: uint256, y: int128) -> bytes32:
    return keccak256(concat(convert(x, bytes32), convert(y, bytes32), self.note))
