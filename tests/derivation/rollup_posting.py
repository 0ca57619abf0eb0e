"""Posting real batches of L2 blocks to the RollupInbox on anvil: headers committing to the
blocks' hash and output root, signed by the pool's validator keys, data as calldata or blobs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3.types import TxReceipt

from ordo.batcher.batch_codec import compress_blocks
from ordo.batcher.batch_header import (
    BatchHeader,
    DataKind,
    Producer,
    blob_data_hash,
    calldata_data_hash,
)
from ordo.batcher.blob_packing import blob_sidecar, pack_blobs
from ordo.batcher.blob_transaction import BlobTransactionFields, sign_blob_transaction
from ordo.core.batch_blocks import BatchBlock
from ordo.derivation.forced_rules import forced_through_of
from ordo.faultproof.batch_inputs import inputs_root
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, TX_GAS
from tests.l1_inbox.rollup_setup import RollupSetup


@dataclass(frozen=True)
class BatchEnd:
    """What the header commits to about the batch's last block."""

    block_hash: bytes
    output_root: bytes


def producers_of(rollup: RollupSetup, posted: Sequence[BatchBlock]) -> tuple[Producer, ...]:
    """Each block credited to its builder (extra_data's first 20 bytes) when the pool knows it
    as a signer, else to the first validator key."""
    known = {key.address for key in rollup.keys}
    counts = Counter(block.extra_data[:20] if block.extra_data[:20] in known
                     else rollup.keys[0].address for block in posted)
    return tuple(Producer(signer, blocks) for signer, blocks in counts.items())


def batch_header(rollup: RollupSetup, index: int, posted: Sequence[BatchBlock], end: BatchEnd,
                 kind: DataKind, data_hash: bytes) -> BatchHeader:
    return BatchHeader(index=index, first_block=posted[0].number, last_block=posted[-1].number,
                       last_block_hash=end.block_hash, output_root=end.output_root,
                       inputs_root=inputs_root(posted),
                       data_kind=kind, data_hash=data_hash, epoch=rollup.epoch,
                       producers=producers_of(rollup, posted),
                       forced_through=forced_through_of(posted[-1].extra_data))


def post_calldata_batch(rollup: RollupSetup, index: int, posted: Sequence[BatchBlock],
                        end: BatchEnd) -> TxReceipt:
    payload = compress_blocks(posted)
    header = batch_header(rollup, index, posted, end, DataKind.CALLDATA,
                          calldata_data_hash(payload))
    return rollup.submit(header, payload)


def post_blob_batch(rollup: RollupSetup, index: int, posted: Sequence[BatchBlock],
                    end: BatchEnd) -> TxReceipt:
    sidecar = blob_sidecar(pack_blobs(compress_blocks(posted)))
    header = batch_header(rollup, index, posted, end, DataKind.BLOBS,
                          blob_data_hash(sidecar.versioned_hashes))
    w3 = rollup.chain.w3
    calldata = bytes.fromhex(rollup.submit_call(header, rollup.signatures(header), b"")
                             ._encode_transaction_data()[2:])
    fields = BlobTransactionFields(
        chain_id=ANVIL_CHAIN_ID, nonce=w3.eth.get_transaction_count(rollup.poster.address),
        to=rollup.inbox_address, data=calldata, gas=TX_GAS,
        max_fee_per_gas=w3.eth.gas_price * 2 + 10**9, max_priority_fee_per_gas=10**9,
        max_fee_per_blob_gas=10**10)
    signed = sign_blob_transaction(bytes(rollup.poster.key), fields, sidecar)
    receipt: Any = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.network_bytes), timeout=30)
    assert receipt["status"] == 1
    result: TxReceipt = receipt
    return result
