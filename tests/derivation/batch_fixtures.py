"""AcceptedBatch records as the inbox would log them for given blocks and payloads, without L1."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from eth.constants import BLANK_ROOT_HASH
from eth_hash.auto import keccak

from ordo.batcher.batch_codec import compress_blocks, decompress_blocks
from ordo.batcher.batch_header import DataKind, blob_data_hash, calldata_data_hash
from ordo.core.batch_blocks import BatchBlock
from ordo.core.block import Block
from ordo.core.genesis import Genesis
from ordo.core.output_root import compute_output_root
from ordo.derivation.batch_data import DecodedBatch
from ordo.derivation.derived_chain import DerivedChain
from ordo.derivation.forced_rules import forced_through_of
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.faultproof.batch_inputs import inputs_root as batch_inputs_root
from ordo.storage.chain_store import ChainStore


def accepted(index: int, first_block: int, last_block: int, *,
             payload: bytes = b"\x01payload", last_block_hash: bytes = b"\x11" * 32,
             output_root: bytes = b"\x22" * 32, blob_hashes: Sequence[bytes] = (),
             forced_through: int = 0, inputs_root: bytes | None = None) -> AcceptedBatch:
    """An accepted batch whose inputs root, unless given, is the one its payload's blocks give
    (a payload that does not decode gets a placeholder: the check that reads it refuses first)."""
    if inputs_root is None:
        try:
            inputs_root = batch_inputs_root(decompress_blocks(payload))
        except ValueError:
            inputs_root = b"\x33" * 32
    kind = DataKind.BLOBS if blob_hashes else DataKind.CALLDATA
    data_hash = blob_data_hash(blob_hashes) if blob_hashes else calldata_data_hash(payload)
    return AcceptedBatch(
        index=index, header_hash=keccak(b"header %d" % index), submitter=b"\x07" * 20,
        first_block=first_block, last_block=last_block, last_block_hash=last_block_hash,
        output_root=output_root, inputs_root=inputs_root, data_kind=kind, data_hash=data_hash,
        epoch=1,
        forced_through=forced_through,
        blob_hashes=tuple(blob_hashes), l1_block_number=100 + index,
        l1_block_hash=keccak(b"l1 %d" % index), l1_transaction=keccak(b"tx %d" % index),
        l1_log_index=0)


def output_root_without_withdrawals(block: Block) -> bytes:
    """The output root of a block of a chain that never withdrew: the message passer's storage
    is still the empty trie. (A chain that did withdraw fails its replay's root check loudly.)"""
    return compute_output_root(bytes(block.header.state_root), BLANK_ROOT_HASH, block.hash)


def decoded_batch(index: int, blocks: Sequence[Block], posted: Sequence[BatchBlock],
                  *, output_root: bytes | None = None, forced_through: int | None = None
                  ) -> DecodedBatch:
    """A batch of ``posted`` whose header commits to the real last block of ``blocks`` (and,
    unless given, to the forced-queue count its last posted block claims)."""
    last = blocks[-1]
    record = accepted(index, posted[0].number, posted[-1].number,
                      payload=compress_blocks(posted), last_block_hash=last.hash,
                      output_root=output_root_without_withdrawals(last)
                      if output_root is None else output_root,
                      forced_through=forced_through_of(posted[-1].extra_data)
                      if forced_through is None else forced_through)
    return DecodedBatch(record, tuple(posted))


@contextmanager
def derived_chain(data_dir: Path, genesis: Genesis) -> Iterator[DerivedChain]:
    """An empty derived chain on a fresh store at ``data_dir``, closed on exit."""
    with ChainStore(data_dir) as store:
        yield DerivedChain(store, genesis)
