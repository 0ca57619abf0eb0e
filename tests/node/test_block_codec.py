"""The canonical block bytes: round trip with senders recovered, and precise refusal of junk."""

from __future__ import annotations

import pytest
import rlp

from ordo.core.block_codec import BlockCodecError, decode_block, encode_block
from ordo.core.genesis import dev_private_keys, devnet_genesis
from ordo.execution.engine import BlockEnvironment, PyEvmEngine
from ordo.execution.state_source import MemoryKeyValueStore
from tests.execution.execution_chain import address_of, sign

GWEI = 10**9


def built_block() -> tuple[bytes, list[bytes]]:
    genesis = devnet_genesis()
    store = MemoryKeyValueStore()
    engine = PyEvmEngine(genesis, store)
    executed, writes = engine.genesis_block()
    store.apply(writes)
    keys = dev_private_keys()[:3]
    txs = [sign(key, genesis.chain_id, type=2, nonce=0, to=b"\x22" * 20, value=1,
                maxFeePerGas=2 * GWEI, maxPriorityFeePerGas=1) for key in keys]
    env = BlockEnvironment(coinbase=b"\x01" * 20, timestamp=1, gas_limit=genesis.gas_limit,
                           extra_data=b"\x07" * 20)
    result = engine.build_block(executed.block.header, txs, env)
    return encode_block(result.executed.block), [address_of(key) for key in keys]


def test_round_trip_keeps_hash_and_recovers_senders() -> None:
    encoded, senders = built_block()
    block = decode_block(encoded)
    assert list(block.senders) == senders
    assert len(block.transactions) == 3
    assert encode_block(block) == encoded
    assert bytes(block.header.extra_data) == b"\x07" * 20


@pytest.mark.parametrize("junk, reason", [
    (b"", "malformed RLP"),
    (b"\xc0", "expected a list"),
    (rlp.encode([b"x", []]), "header"),
    (rlp.encode([[b"x"], []]), "header must be a byte string"),
])
def test_junk_is_refused_with_a_reason(junk: bytes, reason: str) -> None:
    with pytest.raises(BlockCodecError, match=reason):
        decode_block(junk)


def test_bad_transaction_and_trailing_bytes_are_refused() -> None:
    encoded, _ = built_block()
    header_raw, txs = rlp.decode(encoded)
    with pytest.raises(BlockCodecError, match="transaction 1: rlp"):
        decode_block(rlp.encode([header_raw, [txs[0], b"\x02\xc0"]]))
    with pytest.raises(BlockCodecError, match="transaction 0: transaction type not supported"):
        decode_block(rlp.encode([header_raw, [b"\x03" + txs[0][1:]]]))
    with pytest.raises(BlockCodecError):
        decode_block(encoded + b"\x00")
