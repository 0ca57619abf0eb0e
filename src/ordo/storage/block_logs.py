"""Flattening a block's receipts into the log records that eth_getLogs serves.

Receipts number their logs per transaction; clients expect ``logIndex`` to count across the whole
block, so the flattening has to walk every receipt in transaction order.
"""

from __future__ import annotations

from eth.abc import ReceiptAPI

from ordo.core.block import Block, LogRecord

TOPIC_WIDTH = 32


def block_logs(block: Block, receipts: tuple[ReceiptAPI, ...]) -> tuple[LogRecord, ...]:
    """All logs of ``block`` with block-wide ``log_index``; receipts must match the transactions."""
    if len(receipts) != len(block.transactions):
        raise ValueError(
            f"block {block.number} has {len(block.transactions)} transactions "
            f"but {len(receipts)} receipts"
        )
    block_hash = block.hash
    records: list[LogRecord] = []
    for transaction_index, (tx, receipt) in enumerate(
        zip(block.transactions, receipts, strict=True)
    ):
        tx_hash = bytes(tx.hash)
        for log in receipt.logs:
            records.append(
                LogRecord(
                    address=bytes(log.address),
                    topics=tuple(topic.to_bytes(TOPIC_WIDTH, "big") for topic in log.topics),
                    data=bytes(log.data),
                    block_number=block.number,
                    block_hash=block_hash,
                    transaction_hash=tx_hash,
                    transaction_index=transaction_index,
                    log_index=len(records),
                )
            )
    return tuple(records)
