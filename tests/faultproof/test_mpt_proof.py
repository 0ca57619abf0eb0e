"""mpt_proof against py-trie's HexaryTrie: every read and every write through a proof gives
exactly the value and the root HexaryTrie gives, on tries of every shape (embedded nodes, the
deepest paths, deletions that collapse branches into leaves and extensions), and every
corrupted proof is refused with its reason (the same texts Mpt.vy reverts with)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import rlp
from eth.db.account import AccountDB
from eth.db.atomic import AtomicDB
from eth_hash.auto import keccak
from trie import HexaryTrie

from ordo.faultproof import mpt_proof
from ordo.faultproof.mpt_proof import MptProofError

from .mpt_cases import (
    KEY,
    Op,
    Refusal,
    all_refusals,
    comb_trie,
    corrupt,
    nibbles_of,
    random_ops,
    run_python,
    witness_op,
)


def check(op: Op) -> None:
    assert mpt_proof.read(op.root, op.key, op.proof) == op.read
    assert mpt_proof.update(op.root, op.key, op.value, op.proof, op.extra) == (op.read,
                                                                               op.new_root)


@pytest.mark.parametrize("seed", range(3))
def test_random_operations_give_hexary_trie_roots(seed: int) -> None:
    ops = random_ops(seed, 400)
    for op in ops:
        check(op)
    # the operations reach every case the walk and the writes distinguish
    assert any(op.extra for op in ops)
    assert any(op.value is None and op.read is not None and not op.extra for op in ops)
    assert any(op.new_root == mpt_proof.BLANK_ROOT for op in ops)


def test_the_list_and_the_packed_proof_are_the_same_witness() -> None:
    trie = HexaryTrie({})
    for index in range(40):
        trie[keccak(bytes([index]))] = bytes([index + 1]) * (index % 5 + 1)
    key = keccak(bytes([7]))
    nodes = mpt_proof.build_proof(trie.db, trie.root_hash, key)
    assert mpt_proof.read(trie.root_hash, key, nodes) == b"\x08" * 3
    assert mpt_proof.read(trie.root_hash, key, b"".join(nodes)) == b"\x08" * 3


def test_empty_trie_first_key_and_last_deletion() -> None:
    trie = HexaryTrie({})
    assert mpt_proof.read(mpt_proof.BLANK_ROOT, KEY, b"") is None
    assert mpt_proof.write(mpt_proof.BLANK_ROOT, KEY, None, b"") == mpt_proof.BLANK_ROOT
    check(witness_op(trie, KEY, b"\x2a"))
    assert trie.root_hash != mpt_proof.BLANK_ROOT
    check(witness_op(trie, KEY, b"\x2b" * 70))
    check(witness_op(trie, KEY, None))
    assert trie.root_hash == mpt_proof.BLANK_ROOT


@pytest.mark.parametrize("value_size", [1, 33])
def test_the_deepest_path_of_64_branches(value_size: int) -> None:
    """Keys one nibble away from KEY at each depth: KEY's path crosses 64 branches, the last
    ones embedded when the values are short."""
    trie = comb_trie(KEY, {depth: 1 for depth in range(64)}, value_size)
    proof = mpt_proof.build_proof(trie.db, trie.root_hash, KEY)
    walk = mpt_proof.walk(trie.root_hash, KEY, proof)
    assert len(walk.nodes) == 65
    for value in (b"\x03" * value_size, None):
        check(witness_op(trie, KEY, value))
    rng = random.Random(3)
    for _ in range(40):
        candidates = [*_keys_of(trie), KEY, keccak(bytes([rng.randrange(256)]))]
        value = None if rng.random() < 0.5 else b"\x04" * value_size
        check(witness_op(trie, rng.choice(candidates), value))


def _keys_of(trie: HexaryTrie) -> list[bytes]:
    base = nibbles_of(KEY)
    keys = []
    for depth in range(64):
        other = list(base)
        other[depth] = (base[depth] + 1) % 16
        key = bytes(other[i] * 16 + other[i + 1] for i in range(0, 64, 2))
        if trie.exists(key):
            keys.append(key)
    return keys


def _two_keys(common: int, value: bytes, sibling_value: bytes) -> tuple[HexaryTrie, bytes]:
    """KEY and a key sharing its first ``common`` nibbles."""
    other = nibbles_of(KEY)
    other[common] = (other[common] + 1) % 16
    sibling = bytes(other[i] * 16 + other[i + 1] for i in range(0, 64, 2))
    trie = HexaryTrie({})
    trie[KEY] = value
    trie[sibling] = sibling_value
    return trie, sibling


@pytest.mark.parametrize("common", [0, 5, 62, 63])
@pytest.mark.parametrize("sizes", [(1, 1), (1, 40), (40, 1), (40, 40)])
def test_deleting_one_of_two_keys_folds_the_branch_into_a_leaf(
        common: int, sizes: tuple[int, int]) -> None:
    """The remaining leaf is embedded or hashed (then it is the extra node), under an
    extension (merged) or at the root."""
    trie, sibling = _two_keys(common, b"\x05" * sizes[0], b"\x06" * sizes[1])
    op = witness_op(trie, KEY, None)
    check(op)
    expected_leaf = HexaryTrie({})
    expected_leaf[sibling] = b"\x06" * sizes[1]
    assert op.new_root == expected_leaf.root_hash


def test_deleting_folds_into_an_extension_and_into_a_branch() -> None:
    """The remaining child is an extension (paths joined) or a branch (a new extension of one
    nibble, merged with the extension above when there is one)."""
    for shape in ({0: 1, 10: 1}, {0: 1, 1: 2}, {3: 1, 10: 1}, {3: 1, 4: 3}):
        # KEY's one neighbour at the first depth of `shape` is deleted: the branch there keeps
        # KEY's subtree only, which starts with an extension or a branch (and at depth 3 an
        # extension above takes it in)
        trie = comb_trie(KEY, shape, 40)
        first = min(shape)
        other = nibbles_of(KEY)
        other[first] = (other[first] + 1) % 16
        neighbour = bytes(other[i] * 16 + other[i + 1] for i in range(0, 64, 2))
        op = witness_op(trie, neighbour, None)
        assert op.extra
        check(op)


def test_a_write_needs_no_extra_and_a_deletion_names_it() -> None:
    trie, _ = _two_keys(4, b"\x05" * 40, b"\x06" * 40)
    witness = mpt_proof.build_write_witness(trie.db, trie.root_hash, KEY, None)
    assert witness.extra and keccak(witness.extra) in trie.db
    assert mpt_proof.build_write_witness(trie.db, trie.root_hash, KEY, b"\x01").extra == b""


def test_values_longer_than_128_bytes_are_refused() -> None:
    trie, _ = _two_keys(4, b"\x05", b"\x06")
    proof = mpt_proof.build_proof(trie.db, trie.root_hash, KEY)
    with pytest.raises(MptProofError, match="value longer than 128 bytes"):
        mpt_proof.write(trie.root_hash, KEY, b"\x01" * 129, proof)
    assert mpt_proof.write(trie.root_hash, KEY, b"\x01" * 128, proof) != trie.root_hash


def test_py_evm_state_database_accounts_and_storage() -> None:
    """The tracer's case: proofs built from py-evm's node database, read as accounts and
    storage values, and a storage write giving the root py-evm computes."""
    db = AtomicDB()
    state = AccountDB(db)
    address = b"\x11" * 20
    state.set_balance(address, 10**18)
    state.set_nonce(address, 3)
    for slot in range(1, 30):
        state.set_storage(address, slot, slot * 1000)
    state.persist()
    root = state.state_root
    account = mpt_proof.read(root, keccak(address),
                             mpt_proof.build_proof(db, root, keccak(address)))
    assert account is not None
    nonce, balance, storage_root, _ = rlp.decode(account)
    assert (int.from_bytes(nonce, "big"), int.from_bytes(balance, "big")) == (3, 10**18)
    slot_key = keccak((7).to_bytes(32, "big"))
    proof = mpt_proof.build_proof(db, storage_root, slot_key)
    assert rlp.decode(mpt_proof.read(storage_root, slot_key, proof)) == (7000).to_bytes(2, "big")
    witness = mpt_proof.build_write_witness(db, storage_root, slot_key, None)
    new_root = mpt_proof.write(storage_root, slot_key, None, witness.proof, witness.extra)
    state.set_storage(address, 7, 0)
    state.persist()
    account = mpt_proof.read(state.state_root, keccak(address),
                             mpt_proof.build_proof(db, state.state_root, keccak(address)))
    assert account is not None and rlp.decode(account)[2] == new_root


@pytest.mark.parametrize("refusal", all_refusals(), ids=lambda refusal: refusal.name)
def test_every_corruption_is_refused_with_its_reason(refusal: Refusal) -> None:
    with pytest.raises(MptProofError) as raised:
        run_python(refusal)()
    assert str(raised.value) == refusal.reason


def test_both_sides_have_the_same_reasons_and_each_has_a_refusal_test() -> None:
    """Mpt.vy's reason table and mpt_proof's checks are the same list, and every reason is
    produced by one of the corruptions above: no refusal path goes untested. The exceptions:
    the walk's end (unreachable: every step consumes a nibble), and on the Python side the
    sizes of the key, the root and the value, which on L1 are the ABI's types."""
    root = Path(__file__).resolve().parents[2]
    vyper_reasons = set(re.findall(r'return "(Mpt: [^"]+)"',
                                   (root / "src/ordo/l1/contracts/step/Mpt.vy").read_text()))
    python_source = (root / "src/ordo/faultproof/mpt_proof.py").read_text()
    python_reasons = {f"Mpt: {reason}" for reason in re.findall(
        r'(?<!def )_require\([^"]*?"([^"]+)"', python_source)}
    python_only = {"Mpt: key path is not 32 bytes", "Mpt: root is not 32 bytes",
                   "Mpt: value longer than 128 bytes"}
    unreachable = {"Mpt: walk did not end"}
    assert vyper_reasons - unreachable == python_reasons - python_only
    tested = {refusal.reason for refusal in all_refusals()}
    assert vyper_reasons - unreachable <= tested


def test_random_byte_corruptions_are_all_refused() -> None:
    """A byte changed, inserted or removed, a cut, a node repeated or swapped, a corrupted or
    needless extra node: never accepted (a swap of two identical nodes leaves the proof
    intact, and then the result must be the true one)."""
    rng = random.Random(99)
    refused = 0
    for op in random_ops(5, 300):
        proof, extra = corrupt(rng, op)
        try:
            result = mpt_proof.update(op.root, op.key, op.value, proof, extra)
        except MptProofError:
            refused += 1
            continue
        assert (proof, extra) == (op.proof, op.extra)
        assert result == (op.read, op.new_root)
    assert refused >= 290
