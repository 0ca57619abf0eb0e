"""Sign an EIP-4844 (type-3) transaction in the network form a node's pool takes:
``0x03 || rlp([tx_body, blobs, commitments, proofs])``.

eth_account signs the body (which names only the versioned hashes); we add the sidecar
ourselves, so commitments and proofs come from :mod:`ordo.batcher.blob_packing`'s trusted
setup, loaded once per process, instead of one load per blob.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.batcher.blob_packing import BlobSidecar

BLOB_TRANSACTION_TYPE = 3


@dataclass(frozen=True)
class BlobTransactionFields:
    chain_id: int
    nonce: int
    to: bytes
    data: bytes
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_blob_gas: int
    value: int = 0

    def __post_init__(self) -> None:
        if len(self.to) != 20:
            raise ValueError(f"to: 0x{self.to.hex()} is not a 20-byte address (a blob "
                             f"transaction cannot create a contract)")
        for name in ("chain_id", "nonce", "gas", "max_fee_per_gas", "max_priority_fee_per_gas",
                     "max_fee_per_blob_gas", "value"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: {value!r} must be a non-negative integer")


@dataclass(frozen=True)
class SignedBlobTransaction:
    network_bytes: bytes
    """What eth_sendRawTransaction takes."""
    tx_hash: bytes
    """keccak256 of the signed body without the sidecar: the hash receipts are found by."""


def sign_blob_transaction(private_key: bytes, fields: BlobTransactionFields,
                          sidecar: BlobSidecar) -> SignedBlobTransaction:
    if not sidecar.blobs:
        raise ValueError("sidecar: a blob transaction carries at least one blob")
    signed = Account.sign_transaction({
        "type": BLOB_TRANSACTION_TYPE,
        "chainId": fields.chain_id,
        "nonce": fields.nonce,
        "to": to_checksum_address(fields.to),
        "value": fields.value,
        "data": "0x" + fields.data.hex(),
        "gas": fields.gas,
        "maxFeePerGas": fields.max_fee_per_gas,
        "maxPriorityFeePerGas": fields.max_priority_fee_per_gas,
        "maxFeePerBlobGas": fields.max_fee_per_blob_gas,
        "accessList": [],
        "blobVersionedHashes": ["0x" + value.hex() for value in sidecar.versioned_hashes],
    }, private_key)
    body_bytes = bytes(signed.raw_transaction)
    if body_bytes[0] != BLOB_TRANSACTION_TYPE:
        raise ValueError(f"eth_account signed a type {body_bytes[0]} transaction, not type 3")
    body = rlp.decode(body_bytes[1:])
    wrapped = rlp.encode([body, list(sidecar.blobs), list(sidecar.commitments),
                          list(sidecar.proofs)])
    return SignedBlobTransaction(bytes([BLOB_TRANSACTION_TYPE]) + wrapped, keccak(body_bytes))
