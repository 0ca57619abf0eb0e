"""The batch header digest, its signatures, and the signature set the inbox takes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from ordo.batcher.batch_header import (
    BATCH_DOMAIN,
    BatchHeader,
    BatchHeaderError,
    DataKind,
    Producer,
    batch_digest,
    blob_data_hash,
    calldata_data_hash,
    ordered_signatures,
    sign_batch_header,
)
from ordo.consensus.signing import LocalSigner, recover_signer

INBOX = b"\x1b" * 20
CHAIN_ID = 77077
KEYS = [LocalSigner((0xC0FFEE + index).to_bytes(32, "big")) for index in range(4)]


def header(**changes: object) -> BatchHeader:
    base = BatchHeader(
        index=3, first_block=11, last_block=15, last_block_hash=b"\x01" * 32,
        output_root=b"\x02" * 32, inputs_root=b"\x03" * 32, data_kind=DataKind.CALLDATA,
        data_hash=calldata_data_hash(b"payload"), epoch=2,
        producers=(Producer(KEYS[0].address, 3), Producer(KEYS[1].address, 2)),
        forced_through=4)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_digest_is_the_domain_separated_abi_encoding() -> None:
    value = header()
    expected = keccak(encode(
        ["bytes32", "uint256", "address", "uint256", "uint64", "uint64", "bytes32", "bytes32",
         "bytes32", "uint8", "bytes32", "uint256", "(address,uint256)[]", "uint256"],
        [keccak(b"ordo.batch.v2"), CHAIN_ID, INBOX, 3, 11, 15, b"\x01" * 32, b"\x02" * 32,
         b"\x03" * 32, 0, calldata_data_hash(b"payload"), 2,
         [(KEYS[0].address, 3), (KEYS[1].address, 2)], 4]))
    assert keccak(b"ordo.batch.v2") == BATCH_DOMAIN
    assert batch_digest(value, CHAIN_ID, INBOX) == expected


def test_every_field_chain_and_inbox_change_the_digest() -> None:
    digest = batch_digest(header(), CHAIN_ID, INBOX)
    variants = [header(index=4), header(first_block=12, producers=(Producer(KEYS[0].address, 4),)),
                header(last_block_hash=b"\x09" * 32), header(output_root=b"\x09" * 32),
                header(inputs_root=b"\x09" * 32),
                header(data_kind=DataKind.BLOBS), header(data_hash=b"\x09" * 32),
                header(epoch=3), header(forced_through=5),
                header(producers=(Producer(KEYS[1].address, 3), Producer(KEYS[0].address, 2)))]
    digests = {batch_digest(value, CHAIN_ID, INBOX) for value in variants}
    digests |= {batch_digest(header(), CHAIN_ID + 1, INBOX),
                batch_digest(header(), CHAIN_ID, b"\x1c" * 20)}
    assert digest not in digests
    assert len(digests) == len(variants) + 2


def test_signature_recovers_to_the_signer() -> None:
    value = header()
    signature = sign_batch_header(KEYS[2], value, CHAIN_ID, INBOX)
    assert len(signature) == 65 and signature[64] in (0, 1)
    assert recover_signer(batch_digest(value, CHAIN_ID, INBOX), signature) == KEYS[2].address


def test_ordered_signatures_sorts_dedupes_and_drops_strangers() -> None:
    value = header()
    digest = batch_digest(value, CHAIN_ID, INBOX)
    members = [key.address for key in KEYS[:3]]
    own = [sign_batch_header(key, value, CHAIN_ID, INBOX) for key in KEYS]
    other_header = sign_batch_header(KEYS[0], header(epoch=9), CHAIN_ID, INBOX)
    chosen = ordered_signatures(digest, [own[2], other_header, own[1], own[2], own[3], own[0],
                                         b"\x00" * 65], members)
    assert [recover_signer(digest, signature) for signature in chosen] == sorted(members)


def test_blob_data_hash_is_keccak_of_the_concatenated_hashes() -> None:
    hashes = [b"\x01" + bytes([index]) * 31 for index in range(3)]
    assert blob_data_hash(hashes) == keccak(b"".join(hashes))
    with pytest.raises(BatchHeaderError, match="at least one blob"):
        blob_data_hash([])
    with pytest.raises(BatchHeaderError, match="versioned hash 1"):
        blob_data_hash([hashes[0], b"\x01"])


@pytest.mark.parametrize(("changes", "message"), [
    ({"first_block": 0}, "genesis"),
    ({"last_block": 10}, "before first_block"),
    ({"producers": (Producer(KEYS[0].address, 4),)}, "4 blocks credited, the batch has 5"),
    ({"producers": tuple(Producer(bytes([n]) * 20, 1) for n in range(1, 66))},
     "65 entries, at most 64"),
    ({"output_root": b"\x02" * 31}, "output_root"),
    ({"inputs_root": b"\x03" * 33}, "inputs_root"),
    ({"index": -1}, "index"),
    ({"last_block": 2**64, "producers": ()}, "last_block"),
    ({"data_kind": 1}, "not a DataKind"),
])
def test_refuses_malformed_headers(changes: dict[str, object], message: str) -> None:
    with pytest.raises(BatchHeaderError, match=message):
        header(**changes)


def test_a_header_without_producers_is_a_fallback_batch() -> None:
    assert header(producers=()).is_fallback
    assert not header().is_fallback


def test_refuses_a_producer_without_blocks() -> None:
    with pytest.raises(BatchHeaderError, match="must be positive"):
        Producer(KEYS[0].address, 0)
