"""The ordo_ namespace: node status and the fate of acknowledged transactions."""

from __future__ import annotations

from tests.rpc.conftest import RpcClient


async def test_transaction_status_reports_dropped_reason(rpc: RpcClient) -> None:
    dropped_hash = b"\x42" * 32
    rpc.backend.dropped[dropped_hash] = "nonce too low (replaced by a transaction in block 3)"
    answer = await rpc.call("ordo_getTransactionStatus", "0x" + dropped_hash.hex())
    assert answer == {"status": "dropped",
                      "reason": "nonce too low (replaced by a transaction in block 3)"}
    assert await rpc.call("ordo_getTransactionStatus", "0x" + "00" * 32) == {"status": "unknown"}


async def test_transaction_status_validates_the_hash(rpc: RpcClient) -> None:
    error = await rpc.error("ordo_getTransactionStatus", "0x1234")
    assert error["code"] == -32602
    error = await rpc.error("ordo_getTransactionStatus")
    assert error["code"] == -32602


async def test_status_is_served(rpc: RpcClient) -> None:
    assert (await rpc.call("ordo_status"))["role"] == "test"


async def test_commit_and_evidence_methods_validate_params(rpc: RpcClient) -> None:
    commit = await rpc.call("ordo_getCommit", "latest")
    assert commit is not None and commit["height"] == commit["height"].lower()
    assert await rpc.call("ordo_getCommit", "0x0") is None  # genesis has no certificate
    assert await rpc.call("ordo_getCommit", "0xffffff") is None
    assert (await rpc.error("ordo_getCommit", "nonsense"))["code"] == -32602
    assert await rpc.call("ordo_getEvidence") == []
