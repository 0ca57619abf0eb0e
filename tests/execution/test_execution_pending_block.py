"""The pending block is built like a real one, never changes the chain, and is cached."""

from __future__ import annotations

from ordo.execution.engine import BlockEnvironment
from ordo.execution.pending_block import PendingBlockCache
from tests.execution.execution_chain import COINBASE, LocalChain, address_of, sign

RECIPIENT = bytes.fromhex("9c" * 20)


def test_built_like_a_block_not_committed_and_cached(chain: LocalChain,
                                                     keys: list[bytes]) -> None:
    transfer = sign(keys[0], chain.genesis.chain_id, nonce=0, to=RECIPIENT, value=5,
                    maxFeePerGas=10**10, maxPriorityFeePerGas=1)
    builds: list[int] = []

    def candidates() -> list:
        builds.append(1)
        return [transfer]

    cache = PendingBlockCache(chain.engine)
    env = BlockEnvironment(coinbase=COINBASE, timestamp=int(chain.head.timestamp) + 1,
                           gas_limit=int(chain.head.gas_limit))
    pending = cache.get(chain.head, 1, candidates, env)
    assert pending.block.number == int(chain.head.block_number) + 1
    assert pending.block.transactions == (transfer.tx,)
    assert pending.block.senders == (address_of(keys[0]),)
    assert int(pending.receipts[0].gas_used) == 21_000
    assert chain.engine.get_balance(chain.head, RECIPIENT) == 0  # nothing committed
    assert cache.get(chain.head, 1, candidates, env) is pending and len(builds) == 1
    assert cache.get(chain.head, 2, candidates, env) is not pending and len(builds) == 2
    # the same transactions built for real give the same block
    real = chain.build([transfer], timestamp=env.timestamp).executed.block
    assert real.hash == cache.get(chain.headers[-2], 2, candidates, env).block.hash
    moved = cache.get(chain.head, 2, lambda: [], env)
    assert moved.block.number == real.number + 1 and moved.block.transactions == ()
