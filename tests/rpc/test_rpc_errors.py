"""Error codes, bad input and limits: every failure gets a precise answer and serving goes on."""

from __future__ import annotations

import json
import logging

import pytest

from ordo.rpc import RpcLimits
from tests.rpc.conftest import RpcClient, RpcFactory
from tests.rpc.rpc_chain import FAILER, REVERT_DATA, REVERTER, SENDERS


def hx(data: bytes) -> str:
    return "0x" + data.hex()


async def still_serving(rpc: RpcClient) -> None:
    assert await rpc.call("eth_blockNumber") == "0x4"


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"jsonrpc": "2.0", "id": 1,', b"\xff\xfe",
                                  b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","x":NaN}'])
async def test_parse_error(rpc: RpcClient, body: bytes) -> None:
    status, answer = await rpc.post_raw(body)
    assert status == 200
    assert answer["id"] is None and answer["error"]["code"] == -32700
    await still_serving(rpc)


@pytest.mark.parametrize("request_body", [
    [1], ["x"], {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"},
    {"id": 1, "method": "eth_chainId"}, {"jsonrpc": "2.0", "id": 1, "method": 5},
    {"jsonrpc": "2.0", "id": 1}, {"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"},
])
async def test_invalid_request(rpc: RpcClient, request_body: object) -> None:
    status, answer = await rpc.post_raw(json.dumps(request_body))
    assert status == 200
    error = answer[0]["error"] if isinstance(answer, list) else answer["error"]
    assert error["code"] == -32600
    await still_serving(rpc)


async def test_method_not_found(rpc: RpcClient) -> None:
    assert await rpc.error("eth_mine") == {
        "code": -32601, "message": "the method eth_mine does not exist/is not available"}
    subscribe = await rpc.error("eth_subscribe", "newHeads")
    assert subscribe == {"code": -32601, "message": "notifications not supported"}


@pytest.mark.parametrize(("method", "params", "message"), [
    ("eth_getBalance", ["0x1234"], "invalid argument 0: hex string has length 4, want 40 for "
                                   "common.Address"),
    ("eth_getBalance", ["f39fd6e51aad88f6f4ce6ab8827279cfffb92266"],
     "invalid argument 0: hex string without 0x prefix"),
    ("eth_getBalance", [12], "invalid argument 0: expected a hex string, got number"),
    ("eth_getBalance", [], "missing value for required argument 0"),
    ("eth_getBalance", ["0x" + "11" * 20, "0x01"],
     "invalid argument 1: hex number with leading zero digits"),
    ("eth_getBalance", ["0x" + "11" * 20, "0x1ffffffffffffffff"],
     "invalid argument 1: hex number > 64 bits"),
    ("eth_getBalance", ["0x" + "11" * 20, "newest"],
     "invalid argument 1: invalid block tag 'newest': want one of latest, pending, safe, "
     "finalized, earliest or a hex number"),
    ("eth_getBalance", ["0x" + "11" * 20, {"blockHash": "0x12"}],
     'invalid argument 1: field "blockHash": hex string has length 2, want 64 for common.Hash'),
    ("eth_getBalance", ["0x" + "11" * 20, "latest", 3], "too many arguments, want at most 2"),
    ("eth_getBlockByNumber", ["0x1", "yes"], "invalid argument 1: expected a boolean, got string"),
    ("eth_getBlockByNumber", ["0x1"], "missing value for required argument 1"),
    ("eth_getBlockByHash", ["0xzz" + "00" * 31, False], "invalid argument 0: invalid hex string"),
    ("eth_call", [{"to": "0x" + "11" * 20, "value": "0x" + "f" * 65}],
     'invalid argument 0: field "value": hex number > 256 bits'),
    ("eth_call", [{"to": "0x" + "11" * 20, "gas": "0x"}],
     'invalid argument 0: field "gas": hex string "0x"'),
    ("eth_call", [{"data": "0x1", "to": "0x" + "11" * 20}],
     'invalid argument 0: field "data": hex string of odd length'),
    ("eth_call", [{"input": "0x01", "data": "0x02"}],
     'invalid argument 0: both "data" and "input" are set and not equal. Please use "input" to '
     "pass transaction call data"),
    ("eth_call", [{"gasPrice": "0x1", "maxFeePerGas": "0x1"}],
     "invalid argument 0: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified"),
    ("eth_call", ["0x01"], "invalid argument 0: transaction must be an object, got string"),
    ("eth_call", [{"to": "0x" + "11" * 20}, "latest", {"0x" + "11" * 20: {"balanc": "0x1"}}],
     "invalid argument 2: account 0x" + "11" * 20 + ": unknown field 'balanc' in account "
     "override"),
    ("eth_call", [{"to": "0x" + "11" * 20}, "latest", {"0x11": {}}],
     "invalid argument 2: account 0x11: hex string has length 2, want 40 for common.Address"),
    ("eth_estimateGas", [{"to": "0x" + "11" * 20}, "latest", {"0x" + "11" * 20: {
        "state": {"0x00": "0x" + "00" * 32}}}],
     "invalid argument 2: account 0x" + "11" * 20 + ': field "state": slot \'0x00\': hex '
     "string has length 2, want 64 for common.Hash"),
    ("eth_call", [{"to": "0x" + "11" * 20}, "latest", None, {"beaconRoot": "0x" + "00" * 32}],
     'invalid argument 3: block override "beaconRoot" is not supported for this RPC method'),
    ("eth_getStorageAt", ["0x" + "11" * 20, "0x" + "0" * 65],
     "invalid argument 1: hex string too long, want at most 32 bytes"),
    ("eth_sendRawTransaction", ["0xzz"], "invalid argument 0: invalid hex string"),
    ("eth_feeHistory", ["0x2", "latest", [50, 10]],
     "invalid argument 2: invalid reward percentile: #0:50.0 > #1:10.0"),
    ("eth_feeHistory", ["0x2", "latest", [101]],
     "invalid argument 2: invalid reward percentile: 101.0 < 0 or > 100"),
    ("eth_getLogs", [{"topics": "0x1"}],
     'invalid argument 0: field "topics": expected an array of topics, got string'),
    ("eth_getLogs", [{"topics": [None, None, None, None, None]}],
     'invalid argument 0: field "topics": exceed max topics: 5 > 4'),
    ("eth_getLogs", [{"blockHash": "0x" + "11" * 32, "fromBlock": "0x1"}],
     "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or "
     "the other"),
    ("eth_getLogs", [{"fromBlock": "0x3", "toBlock": "0x1"}],
     "invalid block range params: fromBlock is after toBlock"),
])
async def test_invalid_params(rpc: RpcClient, method: str, params: list[object],
                              message: str) -> None:
    assert await rpc.error(method, *params) == {"code": -32602, "message": message}
    await still_serving(rpc)


async def test_params_must_be_an_array(rpc: RpcClient) -> None:
    _status, answer = await rpc.post_raw(json.dumps(
        {"jsonrpc": "2.0", "id": 7, "method": "eth_getBalance", "params": {"address": "0x1"}}))
    assert answer == {"jsonrpc": "2.0", "id": 7,
                      "error": {"code": -32602, "message": "non-array args"}}


async def test_huge_numbers_and_ids_are_harmless(rpc: RpcClient) -> None:
    for huge in ("9" * 5000, "1e400", "-1e400"):
        status, answer = await rpc.post_raw(
            '{"jsonrpc":"2.0","id":' + huge + ',"method":"eth_chainId"}')
        assert status == 200 and answer["error"]["code"] == -32700
    status, answer = await rpc.post_raw(
        '{"jsonrpc":"2.0","id":"abc","method":"eth_getBlockByNumber","params":["0x'
        + "f" * 5000 + '", false]}')
    assert answer["id"] == "abc" and answer["error"]["code"] == -32602
    await still_serving(rpc)


async def test_execution_reverted_and_call_failed(rpc: RpcClient) -> None:
    for method in ("eth_call", "eth_estimateGas"):
        reverted = await rpc.error(method, {"to": hx(REVERTER)})
        assert reverted == {"code": 3, "message": "execution reverted: nope",
                            "data": hx(REVERT_DATA)}
        failed = await rpc.error(method, {"to": hx(FAILER)})
        assert failed == {"code": -32000, "message": "out of gas"}


async def test_rejected_transaction_keeps_its_code(rpc: RpcClient) -> None:
    assert (await rpc.error("eth_sendRawTransaction", "0x"))["code"] == -32602
    answer = await rpc.error("eth_sendRawTransaction", "0x03c0")
    assert answer["code"] == -32000 and "blob transactions" in answer["message"]


async def test_internal_error_hides_details(rpc: RpcClient,
                                            caplog: pytest.LogCaptureFixture) -> None:
    rpc.backend.fail_with = KeyError("secret detail")
    with caplog.at_level(logging.ERROR):
        answer = await rpc.error("eth_getBalance", hx(SENDERS[0]))
    assert answer == {"code": -32603, "message": "internal error"}
    assert "secret detail" in caplog.text
    rpc.backend.fail_with = None
    await still_serving(rpc)


async def test_batches(rpc: RpcClient) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": "two", "method": "eth_nope"},
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # a notification: no answer
        5,
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x1"]},
    ]
    status, answer = await rpc.post_raw(json.dumps(batch))
    assert status == 200 and len(answer) == 4
    assert answer[0] == {"jsonrpc": "2.0", "id": 1, "result": "0x12d15"}
    assert answer[1]["id"] == "two" and answer[1]["error"]["code"] == -32601
    assert answer[2]["id"] is None and answer[2]["error"]["code"] == -32600
    assert answer[3]["id"] == 3 and answer[3]["error"]["code"] == -32602
    status, answer = await rpc.post_raw("[]")
    assert answer["error"] == {"code": -32600, "message": "empty batch"}
    status, answer = await rpc.post_raw(json.dumps([{"jsonrpc": "2.0", "method": "eth_chainId"}]))
    assert answer is None


async def test_batch_length_limit(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_batch_length=3))
    call = {"jsonrpc": "2.0", "id": 9, "method": "eth_chainId"}
    status, answer = await rpc.post_raw(json.dumps([call] * 3))
    assert status == 200 and len(answer) == 3
    _status, answer = await rpc.post_raw(json.dumps([call] * 4))
    assert answer == [{"jsonrpc": "2.0", "id": 9, "error": {
        "code": -32600, "message": "batch too large: 4 requests, at most 3"}}]
    await still_serving(rpc)


async def test_body_size_limit(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_body_bytes=1000))
    small = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert (await rpc.post_raw(small))[0] == 200
    big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "web3_sha3",
                      "params": ["0x" + "00" * 600]})
    status, answer = await rpc.post_raw(big)
    assert status == 413
    assert answer["error"] == {"code": -32600,
                               "message": "request body too large: more than 1000 bytes"}

    async def chunked() -> object:  # no Content-Length: the cap holds while streaming
        for _ in range(20):
            yield b" " * 100

    response = await rpc.http.post("/", data=chunked())
    assert response.status == 413
    await still_serving(rpc)


async def test_default_body_limit_is_five_mebibytes(rpc: RpcClient) -> None:
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    status, answer = await rpc.post_raw(payload + " " * (5 * 1024 * 1024 - len(payload)))
    assert status == 200 and answer["result"] == "0x12d15"
    status, _ = await rpc.post_raw(payload + " " * (5 * 1024 * 1024))
    assert status == 413


async def test_json_depth_limit(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_json_depth=8))
    nested = "[" * 9 + "]" * 9
    status, answer = await rpc.post_raw(
        '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":' + nested + "}")
    assert status == 200
    assert answer["error"] == {"code": -32600,
                               "message": "invalid request: JSON nested deeper than 8 levels"}
    _status, answer = await rpc.post_raw("[" * 100_000 + "]" * 100_000)
    assert answer["error"]["code"] == -32600
    await still_serving(rpc)


async def test_data_size_limit(make_rpc: RpcFactory) -> None:
    rpc = await make_rpc(RpcLimits(max_data_bytes=4))
    assert await rpc.call("web3_sha3", "0x01020304")
    answer = await rpc.error("web3_sha3", "0x0102030405")
    assert answer == {"code": -32602,
                      "message": "invalid argument 0: hex data longer than 4 bytes"}


async def test_health_and_plain_get(rpc: RpcClient) -> None:
    response = await rpc.http.get("/health")
    assert response.status == 200 and await response.text() == "ok"
    response = await rpc.http.get("/")
    assert response.status == 405
    response = await rpc.http.options("/")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
