# pragma version ~=0.4.3
"""
@notice A broken ERC-20 for the tests: every transfer reports failure by returning False, the
        way some real tokens do, so the pool's check of the return value is exercised.
"""


@external
def transfer(receiver: address, amount: uint256) -> bool:
    return False


@external
def transferFrom(owner: address, receiver: address, amount: uint256) -> bool:
    return False
