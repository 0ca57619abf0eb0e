"""The witness's ABI layout (docs/fault_proofs.md 3.1): it round-trips, its first half is the
pre-state whose commitment the verifier checks, and the type string is the documented one."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from ordo.faultproof.cells import EMPTY_ROOT
from ordo.faultproof.machine_state import (
    ZERO32,
    Block,
    Context,
    Frame,
    MachineState,
    Outcome,
    Tx,
)
from ordo.faultproof.witness import (
    PROOFS_TYPE,
    CellProof,
    Proofs,
    Snapshot,
    StackProof,
    TrieProof,
    decode_witness_abi,
    encode_witness_abi,
)
from ordo.faultproof.witness_codec import CodecError, decode_witness, encode_witness


def _state() -> MachineState:
    block = Block(7, 1_700_000_000, b"\x0c" * 20, 30_000_000, 7, b"\x01" * 32, 901,
                  b"\x02" * 32, b"\x03" * 32, b"\x04" * 32)
    tx = Tx(b"\xaa" * 20, 10, 2, b"\x05" * 32, EMPTY_ROOT)
    context = Context(b"\x06" * 32, b"\x07" * 32, EMPTY_ROOT, EMPTY_ROOT, 4800, ZERO32, 0,
                      21000, b"\x08" * 32)
    frame = Frame(ZERO32, 0, b"\xbb" * 20, b"\xaa" * 20, 5, False, b"\x09" * 32, 100,
                  b"\x0a" * 32, EMPTY_ROOT, 0, 17, 99_000, b"\x0b" * 32, 3, EMPTY_ROOT, 64,
                  EMPTY_ROOT, 0, context.snapshot())
    return MachineState(3, block, tx, context, frame)


def test_commitment_is_keccak_of_part_hashes() -> None:
    state = _state()
    parts = [state.block, state.tx, state.context, state.frame]
    expected = keccak(b"".join([(3).to_bytes(32, "big")] + [keccak(p.encoded()) for p in parts]))
    assert state.commitment() == expected
    assert len(state.frame.encoded()) == 20 * 32
    assert len(state.context.encoded()) == 9 * 32


def test_witness_round_trips() -> None:
    state = _state()
    proofs = Proofs(
        code=CellProof(0, b"\x60" + bytes(31), tuple(bytes([i]) * 32 for i in range(32))),
        stack=StackProof((1, 2, 3), b"\x11" * 32),
        memory=(CellProof(2, b"\x22" * 32, (ZERO32,) * 32),),
        storage=TrieProof(b"\xc1\x80", b""),
        ext_code=b"\x60\x00",
        snapshot=Snapshot(b"\x01" * 32, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32, 5,
                          b"\x06" * 32, 7),
    )
    data = encode_witness(state, proofs)
    assert data == encode_witness_abi(state, proofs)
    assert decode_witness_abi(data) == (state, proofs)
    decoded_state, decoded_proofs = decode_witness(data)
    assert decoded_state == state
    assert decoded_proofs == proofs


def test_codec_equals_eth_abi_on_every_shape() -> None:
    state = _state()
    sibling = tuple(bytes([i]) * 32 for i in range(32))
    shapes = [
        Proofs(),
        Proofs(memory=tuple(CellProof(i, bytes([i]) * 32, sibling) for i in range(3)),
               source=(CellProof(9, b"\x09" * 32, sibling),)),
        Proofs(account=TrieProof(b"\x01" * 33 + b"\x02" * 532, b"\x03" * 70),
               transient=TrieProof(b"", b"\x04"), ext_code=bytes(range(256)) * 3,
               stack=StackProof(tuple(range(17)), b"\x05" * 32),
               parent=state.frame),
    ]
    for proofs in shapes:
        data = encode_witness(state, proofs)
        assert data == encode_witness_abi(state, proofs)
        assert decode_witness(data) == (state, proofs)


def test_codec_refuses_non_canonical_bytes() -> None:
    data = encode_witness(_state(), Proofs(ext_code=b"\x01"))
    for mutated in (
        data + bytes(32),                                   # trailing words
        data[:-32],                                         # cut short
        data[:32 * 3 + 11] + b"\x01" + data[32 * 3 + 12:],   # coinbase with a high byte set
        data[:32 * 45] + (32 * 47).to_bytes(32, "big") + data[32 * 46:],  # moved tail
    ):
        with pytest.raises(CodecError):
            decode_witness(mutated)


def test_layout_is_the_documented_tuple() -> None:
    cell = "(uint256,bytes32,bytes32[32])"
    trie = "(bytes,bytes)"
    assert (
        f"({cell},{cell},(uint256[],bytes32),{cell}[],{cell}[],{cell},"
        f"{trie},{trie},{trie},{trie},{trie},{trie},bytes,"
        "(bytes32,bytes32,bytes32,bytes32,uint256,bytes32,uint256),"
        "(bytes32,uint256,address,address,uint256,bool,bytes32,uint256,bytes32,bytes32,uint256,"
        f"uint256,uint256,bytes32,uint256,bytes32,uint256,bytes32,uint256,bytes32),{cell}[],"
        f"{trie}[])"
    ) == PROOFS_TYPE


def test_outcome_part() -> None:
    outcome = Outcome(True, 5, EMPTY_ROOT, 0, b"\x01" * 32)
    assert outcome.hash() == keccak(encode(
        ["bool", "uint256", "bytes32", "uint256", "bytes32"],
        [True, 5, EMPTY_ROOT, 0, b"\x01" * 32]))


def test_part_words_are_abi_encode() -> None:
    state = _state()
    for part in (state.block, state.tx, state.context, state.frame):
        assert part.encoded() == encode(part.abi_types(), list(part.as_tuple()))
