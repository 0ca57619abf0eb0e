"""Hostile JSON-RPC bodies against a live node: every answer is a JSON-RPC error with the code
the mistake deserves (never -32603), and the node keeps answering honest requests in between."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ordo.rpc.limits import RpcLimits
from ordo.rpc.server import ALL_METHODS
from tests.fuzz.fuzz_settings import fuzz
from tests.fuzz.live_node import RpcClient

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
LIMITS = RpcLimits()


SCALARS = (st.none() | st.booleans() | st.integers(-(2**300), 2**300)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                           max_leaves=12)
HEX_JUNK = st.sampled_from(["0x", "0X1", "0xg", "1", "0x-1", "0x" + "f" * 65, "0x 1", "0x1 ",
                            "0x" + "0" * 5000, "0x" + "1" * 20_000, "latest\x00", "0xabc",
                            "0x" + "a" * 39, "0x" + "a" * 41, "0x" + "a" * 63, "0x٣"])
HEX_TAKING_METHODS = ["eth_getBalance", "eth_getCode", "eth_getTransactionCount",
                      "eth_getStorageAt", "eth_getBlockByNumber", "eth_getBlockByHash",
                      "eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_call",
                      "eth_estimateGas", "eth_getLogs", "eth_feeHistory", "eth_getProof",
                      "eth_sendRawTransaction", "eth_getBlockReceipts",
                      "eth_getRawTransactionByHash", "eth_newFilter"]


def errors_of(answer: Any) -> list[dict[str, Any]]:
    items = answer if isinstance(answer, list) else [answer]
    return [item["error"] for item in items if "error" in item]


def assert_no_internal_error(answer: Any) -> None:
    for error in errors_of(answer):
        assert error["code"] != INTERNAL_ERROR, answer
        assert isinstance(error["message"], str) and error["message"], answer


def single_error(node: RpcClient, body: bytes) -> dict[str, Any]:
    http = node.post(body)
    assert http.status == 200, (http.status, http.body[:200])
    answer = http.json()
    assert isinstance(answer, dict) and "error" in answer, answer
    error: dict[str, Any] = answer["error"]
    return error


@fuzz(400)
@given(body=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_random_bodies_are_answered_without_internal_errors(node: RpcClient,
                                                            body: bytes) -> None:
    http = node.post(body)
    assert http.status == 200
    try:
        json.loads(body)
    except ValueError:
        answer = http.json()
        assert answer["error"]["code"] == PARSE_ERROR, answer
        assert answer["id"] is None
        return
    if http.body:  # valid JSON: some envelope mistake, never a crash
        assert_no_internal_error(http.json())


@fuzz(150)
@given(cut=st.integers(1, 200))
def test_truncated_requests_are_parse_errors(node: RpcClient, cut: int) -> None:
    whole = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "eth_getBalance",
                        "params": ["0x" + "11" * 20, "latest"]}).encode()
    body = whole[:min(cut, len(whole) - 1)]
    assert single_error(node, body)["code"] == PARSE_ERROR


@fuzz(400)
@given(envelope=st.dictionaries(st.sampled_from(["jsonrpc", "id", "method", "params"]),
                                JSON_VALUES, max_size=4))
def test_wrong_envelope_types_are_invalid_requests(node: RpcClient,
                                                   envelope: dict[str, Any]) -> None:
    http = node.post(json.dumps(envelope).encode())
    assert http.status == 200
    valid_id = "id" in envelope and (envelope["id"] is None or (
        isinstance(envelope["id"], str | int | float) and not isinstance(envelope["id"], bool)))
    if "id" in envelope and not valid_id:
        assert single_error(node, json.dumps(envelope).encode())["code"] == INVALID_REQUEST
        return
    if envelope.get("jsonrpc") != "2.0" or not isinstance(envelope.get("method"), str) \
            or not envelope.get("method"):
        answer = http.json()
        assert answer["error"]["code"] == INVALID_REQUEST, answer
        return
    if not http.body:  # a notification: nothing to answer
        assert "id" not in envelope
        return
    assert_no_internal_error(http.json())


@fuzz(150)
@given(method=st.text(min_size=1, max_size=40).filter(lambda name: name not in ALL_METHODS),
       params=st.lists(JSON_VALUES, max_size=3))
def test_unknown_methods_are_method_not_found(node: RpcClient, method: str,
                                              params: list[Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": "x", "method": method, "params": params})
    error = single_error(node, body.encode())
    assert error["code"] == METHOD_NOT_FOUND, error


@fuzz(400)
@given(method=st.sampled_from(HEX_TAKING_METHODS), junk=HEX_JUNK,
       position=st.integers(0, 2), shape=st.sampled_from(["bare", "to", "address", "blockHash"]))
def test_invalid_hex_is_invalid_params_never_internal(node: RpcClient, method: str, junk: str,
                                                      position: int, shape: str) -> None:
    value: Any = junk if shape == "bare" else {shape: junk}
    params: list[Any] = ["0x" + "11" * 20, "latest", True]
    params[position] = value
    answer = node.request(method, *params)
    assert_no_internal_error(answer)
    if "error" in answer:
        assert answer["error"]["code"] in (INVALID_PARAMS, SERVER_ERROR), answer


@fuzz(300)
@given(method=st.sampled_from(sorted(ALL_METHODS)), params=st.lists(JSON_VALUES, max_size=4))
def test_every_method_with_random_params_on_a_real_node(node: RpcClient, method: str,
                                                        params: list[Any]) -> None:
    if method in ("eth_subscribe", "eth_unsubscribe"):
        params = params[:1]
    assert_no_internal_error(node.request(method, *params))


HUGE_NUMBERS = ["1" * 5000, "1e400", "-1e400", "9" * 400, "1" + "0" * 80, "-0",
                "115792089237316195423570985008687907853269984665640564039457584007913129639936",
                "NaN", "Infinity", "-Infinity", "1.5e308", "0.0000000000000000000001"]


@fuzz(80)
@given(number=st.sampled_from(HUGE_NUMBERS), where=st.sampled_from(["id", "param", "nested"]),
       method=st.sampled_from(["eth_getBlockByNumber", "eth_getBalance", "eth_feeHistory",
                               "eth_call", "eth_chainId"]))
def test_huge_and_special_numbers(node: RpcClient, number: str, where: str, method: str) -> None:
    id_text = number if where == "id" else "1"
    param = number if where == "param" else '{"gas":' + number + ',"to":"0x' + "11" * 20 + '"}'
    body = (f'{{"jsonrpc":"2.0","id":{id_text},"method":"{method}",'
            f'"params":[{param},"latest"]}}').encode()
    http = node.post(body)
    assert http.status == 200
    answer = http.json()
    try:
        json.loads(body, parse_constant=_refuse)
        parses = True
    except ValueError:
        parses = False
    if not parses or number in ("1e400", "-1e400"):
        assert answer["error"]["code"] == PARSE_ERROR, (body[:80], answer)
    else:
        assert_no_internal_error(answer)


def _refuse(name: str) -> Any:
    raise ValueError(name)


@fuzz(30)
@given(depth=st.integers(LIMITS.max_json_depth + 1, 200_000),
       opener=st.sampled_from(["[", '{"a":']), where=st.sampled_from(["params", "top"]))
def test_deep_nesting_is_refused_before_parsing(node: RpcClient, depth: int, opener: str,
                                                where: str) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + closer * depth
    if where == "top":
        body = nested
    else:
        body = f'{{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[{nested}]}}'
    error = single_error(node, body.encode())
    assert error["code"] == INVALID_REQUEST and "nested" in error["message"], error


def test_nesting_inside_strings_is_not_counted(node: RpcClient) -> None:
    text = "[" * 10_000
    answer = node.request("web3_sha3", text)
    assert answer["error"]["code"] == INVALID_PARAMS, answer


@fuzz(100)
@given(items=st.lists(st.one_of(
    st.just({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}),
    st.just({"jsonrpc": "2.0", "method": "eth_chainId"}),  # notification
    st.just({"jsonrpc": "2.0", "id": 2, "method": "no_suchMethod"}),
    st.just({"jsonrpc": "1.0", "id": 3, "method": "eth_chainId"}),
    st.just({"jsonrpc": "2.0", "id": 4, "method": "eth_getBalance", "params": ["0xzz"]}),
    JSON_VALUES), min_size=1, max_size=50))
def test_mixed_batches_answer_every_request_in_order(node: RpcClient, items: list[Any]) -> None:
    http = node.post(json.dumps(items).encode())
    assert http.status == 200
    expected = [item for item in items if not (isinstance(item, dict) and "id" not in item
                                               and item.get("jsonrpc") == "2.0"
                                               and isinstance(item.get("method"), str)
                                               and item.get("method"))]
    if not expected:
        assert http.body == b""
        return
    answers = http.json()
    assert isinstance(answers, list) and len(answers) == len(expected), (items, answers)
    assert_no_internal_error(answers)
    for item, answer in zip(expected, answers, strict=True):
        if item == {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}:
            assert answer == {"jsonrpc": "2.0", "id": 1, "result": node.call("eth_chainId")}
        elif item == {"jsonrpc": "2.0", "id": 2, "method": "no_suchMethod"}:
            assert answer["error"]["code"] == METHOD_NOT_FOUND
        elif item == {"jsonrpc": "2.0", "id": 4, "method": "eth_getBalance",
                      "params": ["0xzz"]}:
            assert answer["error"]["code"] == INVALID_PARAMS
        elif not isinstance(item, dict) or item.get("jsonrpc") != "2.0":
            assert answer["error"]["code"] == INVALID_REQUEST


def test_empty_batch_is_an_invalid_request(node: RpcClient) -> None:
    assert single_error(node, b"[]")["code"] == INVALID_REQUEST
    assert single_error(node, b"  [ ]  ")["code"] == INVALID_REQUEST


def test_giant_batch_is_refused_in_one_error(node: RpcClient) -> None:
    request = {"jsonrpc": "2.0", "id": 9, "method": "eth_blockNumber"}
    http = node.post(json.dumps([request] * (LIMITS.max_batch_length + 1)).encode())
    answers = http.json()
    assert len(answers) == 1 and answers[0]["error"]["code"] == INVALID_REQUEST
    assert "batch too large" in answers[0]["error"]["message"]
    full = node.post(json.dumps([request] * LIMITS.max_batch_length).encode()).json()
    assert len(full) == LIMITS.max_batch_length and all("result" in item for item in full)


def test_oversized_bodies_are_refused_and_the_node_keeps_serving(node: RpcClient) -> None:
    head = node.head()
    padding = " " * LIMITS.max_body_bytes
    body = (f'{{"jsonrpc":"2.0","id":1,"method":"eth_chainId",{padding}"params":[]}}').encode()
    assert len(body) > LIMITS.max_body_bytes
    http = node.post(body)
    assert http.status == 413
    assert http.json()["error"]["code"] == INVALID_REQUEST
    blob = "0x" + "ab" * (LIMITS.max_data_bytes + 1)
    error = node.request("eth_sendRawTransaction", blob)["error"]
    assert error["code"] == INVALID_PARAMS, error
    for _ in range(100):
        if node.head() > head:
            break
    assert node.head() >= head
