# pragma version ~=0.4.3
"""
@title GovernanceToken
@notice The token sequencers lock in the LockingPool. On a devnet it is a plain ERC-20 whose
        deployer mints the supply the deploy script hands out; a real network would use its
        existing governance token instead, which is why the pool only relies on ERC-20 calls.
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
minter: public(address)


@deploy
def __init__(token_name: String[32], token_symbol: String[8]):
    self.name = token_name
    self.symbol = token_symbol
    self.decimals = 18
    self.minter = msg.sender


@external
def mint(receiver: address, amount: uint256):
    assert msg.sender == self.minter, "GovernanceToken: caller is not the minter"
    assert receiver != empty(address), "GovernanceToken: mint to the zero address"
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@internal
def _transfer(owner: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "GovernanceToken: transfer to the zero address"
    assert self.balanceOf[owner] >= amount, "GovernanceToken: transfer amount exceeds balance"
    self.balanceOf[owner] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=owner, receiver=receiver, value=amount)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(owner: address, receiver: address, amount: uint256) -> bool:
    assert self.allowance[owner][msg.sender] >= amount, "GovernanceToken: insufficient allowance"
    self.allowance[owner][msg.sender] -= amount
    self._transfer(owner, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True
