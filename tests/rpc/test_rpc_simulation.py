"""eth_simulateV1 over RPC: request decoding, block and call-result shape, errors."""

from __future__ import annotations

from ordo.core.call import CallRequest
from ordo.execution.call_overrides import AccountOverride, BlockOverrides
from tests.rpc.conftest import RpcClient
from tests.rpc.rpc_chain import REVERT_DATA, TOKEN, TRANSFER

SENDER = "0xc100000000000000000000000000000000000000"


async def test_request_is_decoded(rpc: RpcClient) -> None:
    await rpc.call("eth_simulateV1", {
        "blockStateCalls": [{
            "blockOverrides": {"baseFeePerGas": "0xa", "number": "0x9"},
            "stateOverrides": {SENDER: {"balance": "0x1dcd6500"}},
            "calls": [{"from": SENDER, "to": SENDER, "maxFeePerGas": "0xa",
                       "maxPriorityFeePerGas": "0xa"}],
        }, {}],
        "validation": True, "traceTransfers": True,
    }, "latest")
    request = rpc.backend.last_simulation
    assert request is not None and request.validation and request.trace_transfers
    first, second = request.blocks
    sender = bytes.fromhex(SENDER[2:])
    assert first.block == BlockOverrides(number=9, base_fee_per_gas=10)
    assert first.state == {sender: AccountOverride(balance=500_000_000)}
    assert first.calls == (CallRequest(sender=sender, to=sender, max_fee_per_gas=10,
                                       max_priority_fee_per_gas=10),)
    assert second.calls == () and second.state == {}


async def test_blocks_carry_their_call_results(rpc: RpcClient) -> None:
    [block] = await rpc.call("eth_simulateV1", {"blockStateCalls": [{"calls": [{}]}],
                                                "returnFullTransactions": True})
    simulated = rpc.backend.blocks[1]
    assert block["hash"] == "0x" + simulated.hash.hex() and block["number"] == "0x1"
    assert block["transactions"][0]["hash"] == "0x" + bytes(simulated.transactions[0].hash).hex()
    ok, reverted, failed = block["calls"]
    assert ok["status"] == "0x1" and ok["returnData"] == "0x01" and ok["gasUsed"] == "0x5208"
    assert "error" not in ok
    assert ok["logs"] == [{
        "address": "0x" + TOKEN.hex(), "topics": ["0x" + TRANSFER.hex()],
        "data": "0x" + "00" * 31 + "07", "blockNumber": "0x1",
        "blockTimestamp": hex(simulated.header.timestamp),
        "transactionHash": "0x" + bytes(simulated.transactions[0].hash).hex(),
        "transactionIndex": "0x0", "blockHash": "0x" + simulated.hash.hex(), "logIndex": "0x4",
        "removed": False}]
    assert reverted["status"] == "0x0" and reverted["error"] == {
        "message": "execution reverted: nope", "code": 3, "data": "0x" + REVERT_DATA.hex()}
    assert failed["error"] == {"message": "out of gas", "code": -32015}
    [hashes_only] = await rpc.call("eth_simulateV1", {"blockStateCalls": [{}]})
    assert isinstance(hashes_only["transactions"][0], str)


async def test_refusals(rpc: RpcClient) -> None:
    assert await rpc.error("eth_simulateV1", {"blockStateCalls": []}) == {
        "code": -32602, "message": "empty input"}
    error = await rpc.error("eth_simulateV1", {"blockStateCalls": [{"calls": {}}]})
    assert error == {"code": -32602, "message": 'invalid argument 0: blockStateCalls 0: field '
                     '"calls": expected an array, got object'}
    error = await rpc.error("eth_simulateV1", {"blockStateCalls": [], "validate": True})
    assert error["message"] == "invalid argument 0: unknown field 'validate'"
    error = await rpc.error("eth_simulateV1", {"blockStateCalls": [{"calls": [{"gas": "0x"}]}]})
    assert error["message"].startswith("invalid argument 0: blockStateCalls 0: call 0: ")
    error = await rpc.error("eth_simulateV1", {"blockStateCalls": [{}]}, "0x99")
    assert error == {"code": -32000, "message": "header not found"}
