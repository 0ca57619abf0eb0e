"""The block-level pieces on their own: the index tries' insertion proofs against py-trie and
their refusals, the BLOCKHASH list past 256 blocks, blooms and receipts against py-evm, and the
version-1 bounds of a transaction start (docs/fault_proofs.md 4)."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth.rlp.logs import Log
from eth.rlp.receipts import Receipt
from eth_bloom import BloomFilter
from eth_hash.auto import keccak
from trie import HexaryTrie

from ordo.faultproof import block_parts as bp
from ordo.faultproof import index_trie
from ordo.faultproof.block_steps import MAX_ANCESTORS, _block_hashes
from ordo.faultproof.machine_state import PHASE_EVM, PHASE_TX_START
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.faultproof.step import InvalidWitness, UnsupportedStep
from ordo.faultproof.verify import verify_step
from tests.faultproof.block_chain import DevChain, rules_of


def _values(count: int) -> list[bytes]:
    return [keccak(bytes([i % 256, i // 256])) * (1 + i % 5) for i in range(count)]


@pytest.mark.parametrize("count", [1, 2, 17, 130, 300])
def test_insertions_in_order_give_py_tries_root(count: int) -> None:
    """Every key ``rlp(0) .. rlp(count - 1)`` inserted through its proof, as a block's receipts
    are, gives the root of the trie py-trie builds at once."""
    db: dict[bytes, bytes] = {}
    root = BLANK_ROOT
    values = _values(count)
    for index, value in enumerate(values):
        proof = index_trie.build_proof(db, root, index)
        new_root = index_trie.insert(root, index, value, proof)
        assert index_trie.insert_into(db, root, index, value) == new_root
        root = new_root
    whole = HexaryTrie({})
    for index, value in enumerate(values):
        whole.set(rlp.encode(index), value)
    assert root == whole.root_hash


def _trie_of(count: int) -> tuple[dict[bytes, bytes], bytes]:
    db: dict[bytes, bytes] = {}
    root = BLANK_ROOT
    for index, value in enumerate(_values(count)):
        root = index_trie.insert_into(db, root, index, value)
    return db, root


def test_insertion_refusals() -> None:
    db, root = _trie_of(20)
    proof = index_trie.build_proof(db, root, 20)
    assert len(proof) >= 2
    with pytest.raises(index_trie.IndexTrieError, match="lacks a node"):
        index_trie.insert(root, 20, b"\x01" * 40, proof[:-1])
    unrelated = next(node for node in db.values() if node not in proof)
    with pytest.raises(index_trie.IndexTrieError, match="exactly the key's path"):
        index_trie.insert(root, 20, b"\x01" * 40, (*proof, unrelated))
    with pytest.raises(index_trie.IndexTrieError, match="exactly the key's path"):
        index_trie.insert(root, 20, b"\x01" * 40, proof[::-1])
    with pytest.raises(index_trie.IndexTrieError, match="twice"):
        index_trie.insert(root, 20, b"\x01" * 40, (*proof, proof[0]))
    other = index_trie.build_proof(db, root, 5)
    with pytest.raises(index_trie.IndexTrieError, match="already"):
        index_trie.insert(root, 5, b"\x01" * 40, other)
    with pytest.raises(index_trie.IndexTrieError, match="empty value"):
        index_trie.insert(root, 20, b"", proof)
    with pytest.raises(index_trie.IndexTrieError):
        index_trie.insert(keccak(b"another root"), 20, b"\x01" * 40, proof)


class _Headers:
    """A BlockIO that hands out only ``ancestors``."""

    def __init__(self, ancestors: list[bytes]) -> None:
        self.ancestors = ancestors

    def item(self, name: str) -> Any:
        assert name == "ancestors"
        return self.ancestors


def _header(parent_hash: bytes, number: int) -> bytes:
    fields: list[Any] = [parent_hash, bytes(32), bytes(20), bytes(32), bytes(32), bytes(32),
                         bytes(256), 0, number, 30_000_000, 0, number, b"", bytes(32),
                         bytes(8), 7, bytes(32), 0, 0, bytes(32), bytes(32)]
    return rlp.encode(fields)


@pytest.mark.parametrize("number", [1, 2, 3, 256, 257, 300])
def test_the_blockhash_list_is_the_header_chain(number: int) -> None:
    """Block ``number``'s list holds ``min(number, 256)`` hashes, each proved by the header
    before it; one header too many, too few or out of the chain is refused."""
    headers = [_header(bytes(32), 0)]
    for n in range(1, number):
        headers.append(_header(keccak(headers[-1]), n))
    parent = headers[-1]
    count = min(number, MAX_ANCESTORS)
    ancestors = [headers[n] for n in range(number - 2, number - count, -1)]
    hashes = _block_hashes(_Headers(ancestors), keccak(parent), bp.decode_header(parent),
                           number)  # type: ignore[arg-type]
    assert hashes == [keccak(headers[n]) for n in range(number - 1, number - 1 - count, -1)]
    if number > 2:
        with pytest.raises(InvalidWitness, match="ancestor headers given"):
            _block_hashes(_Headers(ancestors[:-1]), keccak(parent), bp.decode_header(parent),
                          number)  # type: ignore[arg-type]
        swapped = [ancestors[-1], *ancestors[:-1]] if len(ancestors) > 1 else [headers[0]]
        with pytest.raises(InvalidWitness, match="not the listed block"):
            _block_hashes(_Headers(swapped), keccak(parent), bp.decode_header(parent),
                          number)  # type: ignore[arg-type]


def test_bloom_and_receipt_encoding_are_py_evms() -> None:
    logs = [(bytes([i]) * 20, tuple(keccak(bytes([i, t])) for t in range(i % 5)),
             bytes(i * 3)) for i in range(1, 7)]
    bloom = BloomFilter()
    for address, topics, _ in logs:
        bloom.add(address)
        for topic in topics:
            bloom.add(topic)
    assert bp.bloom_of(logs) == int(bloom).to_bytes(256, "big")
    receipt = Receipt(b"\x01", 123_456,
                      [Log(a, [int.from_bytes(t, "big") for t in ts], d) for a, ts, d in logs])
    assert receipt.bloom == int(bloom)
    assert bp.receipt_encoding(None, True, 123_456, logs) == rlp.encode(receipt)


def test_the_version_1_bound_of_a_transaction() -> None:
    """A transaction over 49,152 bytes is refused as unprovable (the engine includes it)."""
    chain = DevChain()
    big = chain.sign(0, chain.address(1), data=b"\x01" * 70_000, gas=3_000_000)
    chain.build([big])
    with pytest.raises(UnsupportedStep, match="49152"):
        chain.trace(1)


def long_access_list_chain() -> DevChain:
    """Block 1: a transfer with an access list of 33 addresses with two keys each (99 keys;
    also the on-chain verifier's corpus, tests/l1_step/test_step_tx_start.py)."""
    chain = DevChain()
    entries = [{"address": "0x" + bytes([i + 1]).rjust(20, b"\xaa").hex(),
                "storageKeys": ["0x" + bytes([i]).rjust(32, b"\x00").hex(),
                                "0x" + bytes([i, 1]).rjust(32, b"\x00").hex()]}
               for i in range(33)]
    chain.build([chain.sign(2, chain.address(3), gas=21_000 + 33 * 2_400 + 66 * 1_900,
                            accessList=entries)])
    return chain


def test_a_long_access_list_is_warmed_in_sub_steps() -> None:
    """33 addresses with two keys each (99 keys): 32 in the start step, then 32, 32 and 3, then
    the frame opens; the trace ends in the engine's output root."""
    chain = long_access_list_chain()
    trace = chain.trace(1)
    assert trace.output_root == chain.output_root(1)
    assert sum(s.phase == PHASE_TX_START for s in trace.steps) == 5
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1)


LOGGER = bytes.fromhex("10" * 20)


def _logger_code(count: int) -> bytes:
    """``count`` times: LOG4 of the 1,024 zero bytes at memory 0 with four equal topics."""
    one = bytes([0x7F]) + keccak(b"topic") + bytes([0x80, 0x80, 0x80, 0x61, 0x04, 0x00,
                                                   0x60, 0x00, 0xA4])
    return one * count + b"\x00"


def test_the_largest_transaction_end_fits_one_witness() -> None:
    """Three transactions of 49,000 bytes that each log 48 times 1,024 bytes: the third one's
    end inserts its receipt and itself next to the second's leaves (the insertions split them),
    the worst case of the proposed bounds; its witness stays under the verifier's 262,144
    bytes and the block still ends in the engine's output root."""
    from dataclasses import replace as dc_replace

    from ordo.core.genesis import GenesisAccount, devnet_genesis
    from ordo.faultproof.machine_state import PHASE_TX_END
    from ordo.faultproof.witness import MAX_WITNESS_BYTES

    genesis = devnet_genesis()
    chain = DevChain(genesis=dc_replace(genesis, alloc={
        **genesis.alloc, LOGGER: GenesisAccount(code=_logger_code(48))}))
    data = b"\x07" * 49_000
    chain.build([chain.sign(i, LOGGER, data=data, gas=2_000_000) for i in range(3)])
    assert all(len(r.logs) == 48 for r in chain.blocks[1].receipts)
    trace = chain.trace(1)
    assert trace.output_root == chain.output_root(1)
    ends = [len(s.witness) for s in trace.steps if s.phase == PHASE_TX_END]
    assert max(ends) == ends[2] > 200_000
    assert max(ends) < MAX_WITNESS_BYTES
    rules = rules_of(chain.genesis)
    for step in trace.steps:
        if step.phase != PHASE_EVM:
            assert verify_step(step.pre, step.witness, rules) == step.post


def test_block_start_past_256_blocks() -> None:
    """Block 258 proves its 256 block hashes through the parent header and 254 ancestor
    headers: the largest block-start witness, under the verifier's bound."""
    from ordo.faultproof.witness import MAX_WITNESS_BYTES

    chain = DevChain()
    for _ in range(258):
        chain.build([])
    trace = chain.trace(258)
    assert trace.output_root == chain.output_root(258)
    assert 150_000 < len(trace.witness(0)) < MAX_WITNESS_BYTES
    assert verify_step(trace.commitment(0), trace.witness(0), rules_of(chain.genesis)) == \
        trace.commitment(1)


def test_a_trace_that_keeps_one_witness() -> None:
    """A challenger keeps the commitments of a long block and one witness: the same
    commitments as the full trace, the one witness equal, the others refused."""
    from ordo.faultproof.block_tracer import WitnessNotKept

    chain = DevChain()
    chain.build([chain.sign(0, chain.address(1), value=1), chain.sign(1, chain.address(2))])
    full = chain.trace(1)
    batch = [chain.batch_block(1)]
    from ordo.execution.state_source import OverlayDatabase
    from ordo.faultproof.block_tracer import trace_block

    lean = trace_block(OverlayDatabase(chain.store), rules_of(chain.genesis),
                       chain.header_rlp(0), [], batch, 0, keep=lambda index: index == 4)
    assert [lean.commitment(i) for i in range(len(full) + 2)] == \
        [full.commitment(i) for i in range(len(full) + 2)]
    assert lean.witness(4) == full.witness(4)
    assert lean.witness(len(full)) == full.witness(len(full))
    with pytest.raises(WitnessNotKept):
        lean.witness(3)
