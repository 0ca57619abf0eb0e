"""Random parameters for every method: each answer is a result or a deliberate error, never an
internal error, and the server state stays usable."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordo.rpc.context import RpcContext
from ordo.rpc.dispatch import Dispatcher
from ordo.rpc.filters import FilterRegistry
from ordo.rpc.limits import RpcLimits
from ordo.rpc.server import ALL_METHODS
from tests.rpc.rpc_chain import build_chain

HEXISH = st.sampled_from(["0x", "0x0", "0x00", "0x1", "latest", "pending", "safe", "0xzz",
                          "0x" + "11" * 20, "0x" + "ab" * 32, "0x" + "f" * 80, "", "earliest"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False,
                                                                        allow_infinity=False)
    | st.text(max_size=8) | HEXISH,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["to", "from", "data", "input", "gas", "value", "address",
                                       "topics", "fromBlock", "toBlock", "blockHash",
                                       "blockNumber", "accessList", "storageKeys"]),
                      children, max_size=4),
    max_leaves=10,
)


def make_dispatcher() -> Dispatcher:
    limits = RpcLimits()
    context = RpcContext(build_chain(), limits,
                         FilterRegistry(time.monotonic, 100, 300, 100))
    return Dispatcher(context, ALL_METHODS)


DISPATCHER = make_dispatcher()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(sorted(ALL_METHODS)), params=st.lists(JSON_VALUES, max_size=4))
def test_random_params_never_cause_internal_errors(method: str, params: list[Any]) -> None:
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    text = asyncio.run(DISPATCHER.handle(request, None))
    assert text is not None
    answer = json.loads(text)
    assert answer["id"] == 1
    if "error" in answer:
        assert answer["error"]["code"] != -32603, (method, params, answer)
    else:
        assert "result" in answer
