# pragma version 0.4.3
# A small contract the execution tests deploy: storage writes, logs, reverts with a reason,
# and a window onto the block context (BLOCKHASH, BASEFEE, TIMESTAMP).

event Stored:
    who: indexed(address)
    amount: uint256

stored: public(uint256)
total: public(uint256)


@external
def store(amount: uint256):
    assert amount != 13, "unlucky number"
    self.stored = amount
    self.total += amount
    log Stored(who=msg.sender, amount=amount)


@external
def burn_gas(rounds: uint256):
    for i: uint256 in range(rounds, bound=1000):
        self.total += i


@external
@view
def hash_of(number: uint256) -> bytes32:
    return blockhash(number)


@external
@view
def context() -> (uint256, uint256, uint256):
    return block.number, block.timestamp, block.basefee
