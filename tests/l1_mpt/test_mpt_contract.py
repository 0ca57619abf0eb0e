"""Mpt.vy on anvil against mpt_proof and py-trie's HexaryTrie: the same values and roots for
reads and writes on tries of every shape, the same reason for every refused proof."""

from __future__ import annotations

import random

import pytest
from web3.contract import Contract

from ordo.faultproof import mpt_proof
from ordo.faultproof.mpt_proof import MptProofError
from tests.faultproof.mpt_cases import (
    KEY,
    Op,
    Refusal,
    all_refusals,
    comb_trie,
    corrupt,
    nibbles_of,
    random_ops,
    witness_op,
)
from tests.l1_contracts.anvil_chain import AnvilChain


def _shaped_ops() -> list[Op]:
    """Operations the random ones may miss: the first key of an empty trie and the last one
    deleted, the 64-branch path with embedded and hashed nodes, every way a branch folds."""
    ops: list[Op] = []
    for value_size in (1, 33):
        trie = comb_trie(KEY, {depth: 1 for depth in range(64)}, value_size)
        ops.append(witness_op(trie, KEY, b"\x07" * value_size))
        ops.append(witness_op(trie, KEY, None))
    for shape in ({0: 1, 10: 1}, {0: 1, 1: 2}, {3: 1, 10: 1}, {3: 1, 4: 3}, {62: 1}, {63: 1}):
        trie = comb_trie(KEY, shape, 40)
        other = nibbles_of(KEY)
        other[min(shape)] = (other[min(shape)] + 1) % 16
        neighbour = bytes(other[i] * 16 + other[i + 1] for i in range(0, 64, 2))
        ops.append(witness_op(trie, neighbour, None))
    small = comb_trie(KEY, {63: 1}, 1)
    ops.append(witness_op(small, KEY, None))
    ops.append(witness_op(small, bytes(32), b"\x01"))
    return ops


OPS = random_ops(11, 24) + _shaped_ops()


@pytest.mark.parametrize("op", OPS, ids=lambda op: f"{op.key.hex()[:8]}-{op.new_root.hex()[:8]}")
def test_reads_and_writes_give_the_python_and_hexary_trie_results(probe: Contract,
                                                                   op: Op) -> None:
    found, value = probe.functions.read(op.root, op.key, op.proof).call()
    assert (found, value) == (op.read is not None, op.read or b"")
    result = probe.functions.update(op.root, op.key, op.value or b"", op.proof, op.extra).call()
    assert result == [op.read is not None, op.read or b"", op.new_root]


@pytest.mark.parametrize("refusal", all_refusals(), ids=lambda refusal: refusal.name)
def test_every_corruption_is_refused_with_the_python_reason(chain: AnvilChain, probe: Contract,
                                                            refusal: Refusal) -> None:
    if refusal.value is None:
        call = probe.functions.read(refusal.root, refusal.key, refusal.proof)
    else:
        call = probe.functions.update(refusal.root, refusal.key, refusal.value, refusal.proof,
                                      refusal.extra)
    assert chain.revert_reason(call, chain.accounts[0]) == refusal.reason


def _python_reason(op: Op, proof: bytes, extra: bytes) -> str:
    try:
        mpt_proof.update(op.root, op.key, op.value, proof, extra)
    except MptProofError as error:
        return str(error)
    raise AssertionError("the corruption was accepted")


def test_random_byte_corruptions_are_refused_with_the_python_reason(chain: AnvilChain,
                                                                    probe: Contract) -> None:
    rng = random.Random(2)
    ops = random_ops(12, 40)
    checked = 0
    for op in ops:
        proof, extra = corrupt(rng, op)
        if (proof, extra) == (op.proof, op.extra):
            continue  # two equal nodes swapped: nothing changed
        call = probe.functions.update(op.root, op.key, op.value or b"", proof, extra)
        assert chain.revert_reason(call, chain.accounts[0]) == _python_reason(op, proof, extra)
        checked += 1
        if checked == 16:
            break
    assert checked == 16
