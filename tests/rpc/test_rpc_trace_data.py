"""ordo_getRawBlock, ordo_getRawHeader and ordo_getStateNodes: what a standalone challenger
traces from, each answer checkable by hash; the key limit is refused with its bound named."""

from __future__ import annotations

import rlp
from eth_hash.auto import keccak

from ordo.core.block_codec import decode_block
from ordo.rpc import RpcLimits
from tests.rpc.conftest import RpcClient, RpcFactory


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


async def test_raw_block_and_header_hash_to_the_block(rpc: RpcClient) -> None:
    for number, block in enumerate(rpc.backend.blocks):
        raw_header = bytes.fromhex((await rpc.call("ordo_getRawHeader", hex(number)))[2:])
        assert keccak(raw_header) == block.hash
        decoded = decode_block(bytes.fromhex((await rpc.call("ordo_getRawBlock",
                                                              hex(number)))[2:]))
        assert decoded.hash == block.hash and decoded.transactions == block.transactions
        assert rlp.encode(decoded.header) == raw_header
    beyond = hex(len(rpc.backend.blocks) + 5)
    assert await rpc.call("ordo_getRawBlock", beyond) is None
    assert await rpc.call("ordo_getRawHeader", beyond) is None
    assert (await rpc.error("ordo_getRawBlock"))["code"] == -32602


async def test_state_nodes_by_hash_only_the_bytes_that_hash_to_the_key(rpc: RpcClient) -> None:
    node, code = rlp.encode([b"\x20" * 20, b"value"]), b"\x60\x00\x60\x00\xf3"
    liar = keccak(b"not this")
    rpc.backend.state_nodes.update({keccak(node): node, keccak(code): code,
                                    liar: b"something else"})
    unknown = keccak(b"absent")
    answer = await rpc.call("ordo_getStateNodes", [_hex(keccak(node)), _hex(unknown),
                                                   _hex(keccak(code)), _hex(liar)])
    assert answer == [_hex(node), None, _hex(code), None]
    assert await rpc.call("ordo_getStateNodes", []) == []
    bad = await rpc.error("ordo_getStateNodes", ["0x12"])
    assert bad["code"] == -32602 and "invalid argument 0" in bad["message"]
    assert (await rpc.error("ordo_getStateNodes", _hex(keccak(node))))["code"] == -32602


async def test_at_most_max_state_nodes_keys_per_call(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_state_nodes=3))
    keys = [_hex(keccak(bytes([i]))) for i in range(4)]
    assert await rpc.call("ordo_getStateNodes", keys[:3]) == [None] * 3
    refused = await rpc.error("ordo_getStateNodes", keys)
    assert refused["code"] == -32005
    assert "at most 3 state nodes per request, got 4" in refused["message"]
