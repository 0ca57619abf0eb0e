"""Blob batches: a real EIP-4844 transaction built with ckzg is accepted, and the inbox refuses a
header whose data_hash does not match the versioned hashes the transaction carries."""

from __future__ import annotations

from typing import Any

from web3.types import RPCEndpoint

from ordo.batcher.batch_header import BatchHeader, DataKind, blob_data_hash
from ordo.batcher.blob_packing import blob_sidecar, pack_blobs
from ordo.batcher.blob_transaction import BlobTransactionFields, sign_blob_transaction
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, TX_GAS
from tests.l1_inbox.rollup_setup import RollupSetup

PAYLOAD = bytes(range(256)) * 600  # two blobs' worth


def blob_header(rollup: RollupSetup, versioned_hashes: list[bytes]) -> BatchHeader:
    return rollup.header(0, 1, 4, data_kind=DataKind.BLOBS,
                         data_hash=blob_data_hash(versioned_hashes))


def call_with_blob_hashes(rollup: RollupSetup, header: BatchHeader,
                          versioned_hashes: list[bytes], payload: bytes = b"") -> str:
    """eth_call of submit_batch as a type-3 call naming ``versioned_hashes``; the revert
    reason, or "" when it would succeed."""
    data = rollup.submit_call(header, rollup.signatures(header), payload)._encode_transaction_data()
    request: dict[str, Any] = {"from": rollup.poster.address, "to": rollup.inbox.address,
                               "data": data, "gas": hex(TX_GAS)}
    if versioned_hashes:
        request["blobVersionedHashes"] = ["0x" + value.hex() for value in versioned_hashes]
        request["maxFeePerBlobGas"] = hex(10**10)
    answer = rollup.chain.w3.provider.make_request(RPCEndpoint("eth_call"), [request, "latest"])
    if "error" not in answer:
        return ""
    return str(answer["error"]["message"]).removeprefix("execution reverted: ")


def test_accepts_a_blob_batch_sent_as_a_type_3_transaction(rollup: RollupSetup) -> None:
    sidecar = blob_sidecar(pack_blobs(PAYLOAD))
    assert len(sidecar.blobs) == 2
    header = blob_header(rollup, list(sidecar.versioned_hashes))
    w3 = rollup.chain.w3
    calldata = bytes.fromhex(rollup.submit_call(header, rollup.signatures(header), b"")
                             ._encode_transaction_data()[2:])
    fields = BlobTransactionFields(
        chain_id=ANVIL_CHAIN_ID, nonce=w3.eth.get_transaction_count(rollup.poster.address),
        to=rollup.inbox_address, data=calldata, gas=TX_GAS,
        max_fee_per_gas=w3.eth.gas_price * 2 + 10**9, max_priority_fee_per_gas=10**9,
        max_fee_per_blob_gas=10**10)
    signed = sign_blob_transaction(bytes(rollup.poster.key), fields, sidecar)
    tx_hash = w3.eth.send_raw_transaction(signed.network_bytes)
    assert bytes(tx_hash) == signed.tx_hash
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1
    fields_seen: dict[str, Any] = dict(receipt)
    assert int(fields_seen["blobGasUsed"]) == 2 * 131_072
    (event,) = rollup.accepted(receipt)
    assert event["data_kind"] == int(DataKind.BLOBS)
    assert event["blob_hashes"] == list(sidecar.versioned_hashes)
    assert event["data_hash"] == header.data_hash
    assert rollup.inbox.functions.next_index().call() == 1


def test_refuses_wrong_blob_hashes(rollup: RollupSetup) -> None:
    carried = list(blob_sidecar(pack_blobs(b"the blobs in the transaction")).versioned_hashes)
    other = list(blob_sidecar(pack_blobs(b"the blobs the header names")).versioned_hashes)
    assert call_with_blob_hashes(rollup, blob_header(rollup, carried), carried) == ""
    mismatch = "RollupInbox: blob versioned hashes do not match data_hash"
    assert call_with_blob_hashes(rollup, blob_header(rollup, other), carried) == mismatch
    # order matters, and so does a blob more or less
    two = carried + other
    assert call_with_blob_hashes(rollup, blob_header(rollup, two), list(reversed(two))) == \
        mismatch
    assert call_with_blob_hashes(rollup, blob_header(rollup, carried), two) == mismatch


def test_refuses_a_blob_batch_without_blobs_or_with_calldata(rollup: RollupSetup) -> None:
    carried = list(blob_sidecar(pack_blobs(b"x")).versioned_hashes)
    header = blob_header(rollup, carried)
    assert call_with_blob_hashes(rollup, header, []) == "RollupInbox: blob batch without blobs"
    assert call_with_blob_hashes(rollup, header, carried, b"data") == \
        "RollupInbox: blob batch with calldata payload"
