"""Raw transaction bytes of every shape into eth_sendRawTransaction on a live node: each is
refused with a clear error (never -32603, never a trace) or admitted, and afterwards the mempool
still works: a valid transfer sent after all of them is included in a block."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from hypothesis import given

from ordo.core.genesis import dev_private_keys
from tests.fuzz.fuzz_settings import fuzz
from tests.fuzz.live_node import RpcClient, TransferSigner
from tests.fuzz.transaction_bytes import RAW_TRANSACTIONS, signed_odd_transaction

INVALID_PARAMS = -32602
SERVER_ERROR = -32000
ODD_SENDER_KEY = dev_private_keys()[5]


def assert_clear_refusal(answer: dict[str, Any], raw: bytes) -> str:
    error = answer["error"]
    assert error["code"] in (INVALID_PARAMS, SERVER_ERROR), (raw.hex(), error)
    message = error["message"]
    assert isinstance(message, str) and 0 < len(message) < 600, (raw.hex(), error)
    assert "Traceback" not in message and "internal error" not in message, (raw.hex(), error)
    assert "Unknown transaction type" not in message, (raw.hex(), error)  # py-evm's tuple repr
    return str(message)


def wait_included(node: RpcClient, tx_hash: str) -> dict[str, Any]:
    receipt = node.wait_for_receipt(tx_hash)
    assert receipt["status"] == "0x1", receipt
    return receipt


def test_random_and_near_valid_bytes_are_refused_clearly(node: RpcClient) -> None:
    reasons: Counter[str] = Counter()

    @fuzz(600)
    @given(raw=RAW_TRANSACTIONS)
    def send(raw: bytes) -> None:
        answer = node.request("eth_sendRawTransaction", "0x" + raw.hex())
        assert "error" in answer, (raw.hex(), answer)  # nothing here is signed by a funded key
        reasons[assert_clear_refusal(answer, raw).split(":")[0]] += 1

    send()
    assert len(reasons) >= 5, reasons  # the strategies reach many different checks
    signer = TransferSigner(dev_private_keys()[6])
    wait_included(node, node.call("eth_sendRawTransaction", signer.next_transfer()))


def test_signed_boundary_values_are_refused_or_admitted_and_never_jam_the_pool(
        node: RpcClient) -> None:
    admitted: list[str] = []

    @fuzz(400)
    @given(raw=signed_odd_transaction(ODD_SENDER_KEY))
    def send(raw: bytes) -> None:
        answer = node.request("eth_sendRawTransaction", "0x" + raw.hex())
        if "error" in answer:
            assert_clear_refusal(answer, raw)
        else:
            admitted.append(answer["result"])

    send()
    assert admitted, "no boundary-value transaction got past admission: the strategy is too odd"
    signer = TransferSigner(dev_private_keys()[7])
    transfers = [node.call("eth_sendRawTransaction", signer.next_transfer()) for _ in range(3)]
    for tx_hash in transfers:
        wait_included(node, tx_hash)
    head = node.head()
    deadline = time.monotonic() + 10
    while node.head() < head + 3:
        assert time.monotonic() < deadline, "the chain stopped after odd transactions"
        time.sleep(0.05)
    statuses = Counter(node.call("ordo_getTransactionStatus", tx_hash)["status"]
                       for tx_hash in admitted)
    assert set(statuses) <= {"included", "pending", "dropped"}, statuses
