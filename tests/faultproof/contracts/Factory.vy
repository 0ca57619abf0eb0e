# pragma version ~=0.4.3
"""Creates minimal proxies (CREATE and CREATE2) from a contract, for the step machine's
creation tests: the proxies DELEGATECALL their target."""

last: public(address)


@external
def make(target: address) -> address:
    proxy: address = create_minimal_proxy_to(target)
    self.last = proxy
    return proxy


@external
def make2(target: address, salt: bytes32) -> address:
    proxy: address = create_minimal_proxy_to(target, salt=salt)
    self.last = proxy
    return proxy
