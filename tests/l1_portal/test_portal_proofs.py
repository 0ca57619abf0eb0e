"""The portal's Merkle-Patricia storage proof verifier: real proofs of many trie shapes prove
(including anvil's own eth_getProof of a Vyper contract, and a leaf embedded inline), and every
forged or malformed proof is refused with its own reason.

A forged proof is judged against an output root that commits to it: the inbox double lands
whatever root the test names, which is exactly the attack the verifier must stop (a batch
whose output root commits to a storage "trie" built to fool it); a proof that merely fails to
hash to an honest root is the easy case.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import rlp
from eth_abi import encode
from eth_hash.auto import keccak
from web3.exceptions import ContractLogicError
from web3.types import RPCEndpoint

from tests.l1_contracts.anvil_chain import AnvilChain

from .conftest import (
    PortalSetup,
    call_reason,
    deploy_portal_setup,
    deploy_test_contract,
    send_with_gas,
)
from .storage_tries import (
    WITHDRAWAL_TYPES,
    StorageTrie,
    Withdrawal,
    branch_node,
    extension_node,
    hashmap_slot,
    hex_prefix,
    leaf_node,
    list_header,
    nibbles,
    storage_key,
    walk,
)

BLOCK_GAS_LIMIT = 30_000_000
# Two withdrawals (sender account 1, target account 4, 0.1 ETH, 100k gas, no data) whose
# storage keys share their first 4 bytes, found by a birthday search over nonces: below the
# branch where they part, each leaf has 55 nibbles left and encodes in 31 bytes, so the trie
# embeds both leaves inline in that branch instead of referencing them by hash.
INLINE_PAIR_NONCES = (94452, 128727)
_batch_counter = itertools.count(1)


def population(chain: AnvilChain, count: int, first_nonce: int = 1_000) -> list[Withdrawal]:
    sender, target = chain.accounts[2].address, chain.accounts[3].address
    return [Withdrawal(nonce, sender, target, 10**15, 50_000)
            for nonce in range(first_nonce, first_nonce + count)]


def subject(chain: AnvilChain, nonce: int = 7) -> Withdrawal:
    return Withdrawal(nonce, chain.accounts[1].address, chain.accounts[4].address, 10**17,
                      100_000)


def land_storage_root(setup: PortalSetup, storage_root: bytes) -> tuple[int, Any]:
    index = next(_batch_counter)
    return index, setup.land(index, storage_root)


def refusal(setup: PortalSetup, withdrawal: Withdrawal, nodes: list[bytes],
            storage_root: bytes | None = None) -> str:
    """Land an output root whose storage root is `storage_root` (by default the hash of the
    first node, so the forged trie is the committed one) and try to prove with `nodes`."""
    root = storage_root if storage_root is not None else keccak(nodes[0])
    index, output = land_storage_root(setup, root)
    return setup.prove_refusal(withdrawal, index, output, nodes)


def prove_gas(setup: PortalSetup, withdrawal: Withdrawal, trie_root: bytes,
              nodes: list[bytes], gas: int = 5_000_000) -> int:
    index, output = land_storage_root(setup, trie_root)
    reason = call_reason(setup.chain, setup.prove_call(withdrawal, index, output, nodes),
                         setup.relayer, gas)
    assert reason is None, f"a valid proof was refused: {reason}"
    receipt = send_with_gas(setup.chain, setup.prove_call(withdrawal, index, output, nodes),
                            setup.relayer, gas)
    assert receipt["status"] == 1, "a valid proof was refused"
    proven = setup.portal.functions.proven_withdrawals(withdrawal.hash).call()
    assert proven[0] == index
    return int(receipt["gasUsed"])


def test_vyper_hashmap_slot_and_anvil_storage_proof(setup: PortalSetup) -> None:
    """Vyper 0.4.3 stores HashMap key k of slot s at keccak256(s ‖ k), and the proof anvil's
    eth_getProof returns for it proves the withdrawal on the portal; the Python trie of the
    same keys has the same storage root, so the Python-built proofs below are faithful."""
    chain = setup.chain
    messages = deploy_test_contract(chain, "MessageMap")
    withdrawals = [*population(chain, 24), subject(chain)]
    for withdrawal in withdrawals:
        chain.send(messages.functions.record(withdrawal.hash), chain.accounts[0])
    target = withdrawals[-1]
    slot = hashmap_slot(0, target.hash)
    stored = chain.w3.eth.get_storage_at(messages.address, int.from_bytes(slot, "big"))
    assert int.from_bytes(stored, "big") == 1
    assert not int.from_bytes(chain.w3.eth.get_storage_at(
        messages.address, int.from_bytes(hashmap_slot(1, target.hash), "big")), "big")

    response: Any = chain.w3.provider.make_request(
        RPCEndpoint("eth_getProof"), [messages.address, ["0x" + slot.hex()], "latest"])
    account = response["result"]
    storage_root = bytes.fromhex(account["storageHash"][2:])
    assert storage_root == StorageTrie.of(withdrawals).root
    entry = account["storageProof"][0]
    assert int(entry["value"], 16) == 1
    nodes = [bytes.fromhex(node[2:]) for node in entry["proof"]]
    assert nodes == StorageTrie.of(withdrawals).proof(target)
    prove_gas(setup, target, storage_root, nodes)


def test_withdrawal_hash_is_the_abi_encoding_hash(setup: PortalSetup) -> None:
    chain = setup.chain
    cases = [
        subject(chain),
        Withdrawal(0, chain.accounts[2].address, chain.accounts[3].address, 0, 0),
        Withdrawal(2**256 - 1, chain.accounts[3].address, chain.accounts[2].address,
                   2**255, 2**64, bytes(range(256)) * 16),
        Withdrawal(5, chain.accounts[1].address, chain.accounts[1].address, 1, 21_000, b"\x01"),
    ]
    for withdrawal in cases:
        expected = keccak(encode(WITHDRAWAL_TYPES, list(withdrawal.as_tuple())))
        assert setup.portal.functions.withdrawal_hash(withdrawal.as_tuple()).call() == expected


def test_valid_proofs_of_tries_of_every_shape_prove(setup: PortalSetup) -> None:
    """Tries of 1 to 2,000 keys: a lone leaf, branches, extensions (keys sharing nibbles below
    a branch) and leaves at several depths all prove; the gas of each is reported."""
    chain = setup.chain
    kinds_seen: set[str] = set()
    gas_by_size: dict[int, int] = {}
    for round_, size in enumerate((0, 1, 2, 16, 300, 2_000)):
        # fresh withdrawals each round: a withdrawal proven against a live output cannot be
        # proven again
        target = subject(chain, nonce=round_)
        others = population(chain, size, first_nonce=10_000 * (round_ + 1))
        trie = StorageTrie.of([target, *others])
        walked = trie.walk(target)
        assert walked.found
        kinds_seen.update(walked.kinds)
        gas_by_size[size + 1] = prove_gas(setup, target, trie.root, walked.nodes)
        # other withdrawals of the same trie prove too, each against another batch
        for other in others[:: max(1, size // 3)]:
            kinds_seen.update(trie.walk(other).kinds)
            prove_gas(setup, other, trie.root, trie.proof(other))
    print(f"\nprove_withdrawal gas by trie size (keys: gas): {gas_by_size}")
    assert {"branch", "leaf"} <= kinds_seen
    assert gas_by_size[2_001] < 400_000


def test_extension_and_inline_leaves_prove(setup: PortalSetup) -> None:
    """Two keys sharing 8 nibbles sit under an extension node and a branch that embeds both
    leaves inline; each proves (the proof lists no node for an inline leaf)."""
    chain = setup.chain
    pair = [subject(chain, nonce) for nonce in INLINE_PAIR_NONCES]
    keys = [storage_key(withdrawal.hash) for withdrawal in pair]
    assert keys[0][:4] == keys[1][:4] and keys[0] != keys[1]
    for crowd in (0, 200):
        setup = deploy_portal_setup(chain)  # each withdrawal is proven once per portal
        trie = StorageTrie.of([*pair, *population(chain, crowd)])
        for withdrawal in pair:
            walked = trie.walk(withdrawal)
            assert walked.found and walked.kinds[-1] == "inline-leaf"
            assert "extension" in walked.kinds
            gas = prove_gas(setup, withdrawal, trie.root, walked.nodes)
            print(f"\nprove_withdrawal gas, inline leaf behind an extension "
                  f"({crowd + 2} keys, {len(walked.nodes)} nodes): {gas}")


def deep_branch_chain(key: bytes, bottom: list[Any], depth: int = 64) -> list[bytes]:
    """`depth` full branch nodes along `key` (15 filler hashes each, so each is ~500 bytes),
    the last one holding `bottom` inline at the key's last nibble."""
    path = nibbles(key)
    child: Any = bottom
    nodes: list[bytes] = []
    for level in reversed(range(depth)):
        children: dict[int, Any] = {index: keccak(bytes([level, index])) for index in range(16)}
        children[path[level]] = child
        encoded = branch_node(children)
        nodes.insert(0, encoded)
        child = keccak(encoded)
    return nodes


def test_worst_case_proof_stays_far_below_the_block_gas(setup: PortalSetup) -> None:
    """The longest walk the verifier allows: 64 hashed branch nodes of ~500 bytes and an inline
    leaf at the 64th nibble (a trie an attacker could commit to; real tries are ~8 deep)."""
    target = subject(setup.chain)
    nodes = deep_branch_chain(storage_key(target.hash), [hex_prefix([], leaf=True), b"\x01"])
    assert len(nodes) == 64 and max(map(len, nodes)) <= 600
    gas = prove_gas(setup, target, keccak(nodes[0]), nodes, gas=BLOCK_GAS_LIMIT - 1)
    print(f"\nprove_withdrawal gas, worst case (64 branch nodes, {sum(map(len, nodes))} bytes):"
          f" {gas}")
    assert gas < BLOCK_GAS_LIMIT // 5


# ------------------------------------------------------------------------------------------
# forged and malformed proofs


def test_wrong_root_slot_and_absent_keys_are_refused(setup: PortalSetup) -> None:
    chain = setup.chain
    target = subject(chain)
    others = population(chain, 300)
    honest = StorageTrie.of([target, *others])
    proof = honest.proof(target)

    other_trie = StorageTrie.of([*others[:50], target])
    assert refusal(setup, target, proof, other_trie.root) == \
        "WithdrawalPortal: first proof node does not hash to the storage root"

    # the withdrawal recorded in another slot (a different map of the same contract)
    wrong_slot = StorageTrie.of([target], slot=1, extra_keys=[storage_key(w.hash)
                                                                for w in others])
    wrong_walk = walk(wrong_slot.trie.db, wrong_slot.root, storage_key(target.hash, slot=1))
    assert wrong_walk.found
    # its proof leaves the path of the slot-0 key at the first branch where the keys differ
    assert refusal(setup, target, wrong_walk.nodes) == \
        "WithdrawalPortal: proof node does not hash to its parent's reference"
    # and the slot-0 key's own path through that trie ends without a leaf
    assert refusal(setup, target, wrong_slot.walk(target).nodes).startswith(
        "WithdrawalPortal: key is absent")

    # exclusion proofs: the trie without the withdrawal, walked along its key
    absent = StorageTrie.of(others)
    excluded = absent.walk(target)
    assert not excluded.found
    assert refusal(setup, target, excluded.nodes).startswith("WithdrawalPortal: key is absent")
    lone = StorageTrie.of(others[:1])
    assert refusal(setup, target, lone.walk(target).nodes) == \
        "WithdrawalPortal: key is absent (leaf path differs from the key)"
    key = nibbles(storage_key(target.hash))
    gap = branch_node({(key[0] + 1) % 16: keccak(b"elsewhere")})
    assert refusal(setup, target, [gap]) == \
        "WithdrawalPortal: key is absent (empty child reference)"
    detour = extension_node([(key[0] + 1) % 16], keccak(b"a branch"))
    assert refusal(setup, target, [detour]) == \
        "WithdrawalPortal: key is absent (extension path differs from the key)"

    # a key proved present in the trie of another withdrawal is not this one's proof
    for neighbour in others[:8]:
        assert refusal(setup, target, honest.proof(neighbour), honest.root) in {
            "WithdrawalPortal: proof node does not hash to its parent's reference",
            "WithdrawalPortal: key is absent (leaf path differs from the key)",
        }


def test_values_other_than_one_are_refused(setup: PortalSetup) -> None:
    target = subject(setup.chain)
    key = nibbles(storage_key(target.hash))
    for value in (b"\x02", b"\x00", rlp.encode(256), b"\x01\x00"):
        trie = StorageTrie.of([target, *population(setup.chain, 20)], value=value)
        assert refusal(setup, target, trie.proof(target)) == \
            "WithdrawalPortal: stored value is not 1"
    # an empty value is a deletion (absent); make the leaf by hand since tries drop it
    assert refusal(setup, target, [leaf_node(key, b"")]) == \
        "WithdrawalPortal: stored value is not 1"
    assert refusal(setup, target, [rlp.encode([hex_prefix(key, leaf=True), [b"\x01"]])]) == \
        "WithdrawalPortal: leaf value is not an RLP string"
    non_canonical = rlp.encode([hex_prefix(key, leaf=True)])[1:] + b"\x81\x01"
    node = list_header(len(non_canonical)) + non_canonical
    assert refusal(setup, target, [node]) == \
        "WithdrawalPortal: non-canonical RLP: a byte below 0x80 with a string prefix"


def test_truncated_padded_and_reordered_proofs_are_refused(setup: PortalSetup) -> None:
    chain = setup.chain
    target = subject(chain)
    key = nibbles(storage_key(target.hash))
    trie = StorageTrie.of([target, *population(chain, 2_000)])
    proof = trie.proof(target)
    assert len(proof) >= 4

    leaf = leaf_node(key)
    assert refusal(setup, target, [leaf[:-1]]) == \
        "WithdrawalPortal: RLP item runs past the end of its list"
    assert refusal(setup, target, [leaf + b"\x00"]) == \
        "WithdrawalPortal: proof node has bytes after its RLP list"
    assert refusal(setup, target, [proof[0][:-1], *proof[1:]], trie.root) == \
        "WithdrawalPortal: first proof node does not hash to the storage root"
    assert refusal(setup, target, [proof[0], proof[1][:-1], *proof[2:]], trie.root) == \
        "WithdrawalPortal: proof node does not hash to its parent's reference"
    assert refusal(setup, target, [proof[0], proof[1] + b"\x80", *proof[2:]], trie.root) == \
        "WithdrawalPortal: proof node does not hash to its parent's reference"
    swapped = [proof[0], proof[2], proof[1], *proof[3:]]
    assert refusal(setup, target, swapped, trie.root) == \
        "WithdrawalPortal: proof node does not hash to its parent's reference"
    assert refusal(setup, target, list(reversed(proof)), trie.root) == \
        "WithdrawalPortal: first proof node does not hash to the storage root"
    assert refusal(setup, target, proof[:-1], trie.root) == \
        "WithdrawalPortal: storage proof ends before the leaf"
    assert refusal(setup, target, [*proof, proof[-1]], trie.root) == \
        "WithdrawalPortal: storage proof has nodes after the leaf"
    assert refusal(setup, target, [*proof, leaf], trie.root) == \
        "WithdrawalPortal: storage proof has nodes after the leaf"
    assert refusal(setup, target, [], trie.root) == "WithdrawalPortal: empty storage proof"
    assert refusal(setup, target, [b""], keccak(b"")) == "WithdrawalPortal: empty proof node"


def test_non_canonical_rlp_and_bad_node_shapes_are_refused(setup: PortalSetup) -> None:
    target = subject(setup.chain)
    key = nibbles(storage_key(target.hash))
    leaf = leaf_node(key)
    payload = leaf[2:] if leaf[0] == 0xf8 else leaf[1:]
    assert len(payload) < 56

    cases: list[tuple[bytes, str]] = [
        (b"\xf8" + bytes([len(payload)]) + payload,
         "WithdrawalPortal: non-canonical RLP: long form for a short payload"),
        (b"\xf9\x00" + bytes([len(payload)]) + payload,
         "WithdrawalPortal: non-canonical RLP: length with a leading zero"),
        (b"\xfa\x00\x00" + bytes([len(payload)]) + payload,
         "WithdrawalPortal: RLP length is longer than a node can be"),
        (list_header(len(payload) + 1) + payload,
         "WithdrawalPortal: RLP item runs past the end of its list"),
        (rlp.encode(b"\x01" * 40), "WithdrawalPortal: proof node is not an RLP list"),
        (rlp.encode([hex_prefix(key, leaf=True), b"\x01", b""]),
         "WithdrawalPortal: proof node is neither a branch nor a leaf or extension"),
        (rlp.encode([b""] * 18), "WithdrawalPortal: proof node has more than 17 items"),
        (rlp.encode([]),
         "WithdrawalPortal: proof node is neither a branch nor a leaf or extension"),
        (rlp.encode([[b"\x20"], b"\x01"]), "WithdrawalPortal: node path is not an RLP string"),
        (rlp.encode([b"", b"\x01"]), "WithdrawalPortal: node path is empty"),
        (rlp.encode([bytes([0x40 + key[0]]) + hex_prefix(key[1:], leaf=True)[1:], b"\x01"]),
         "WithdrawalPortal: invalid hex-prefix flag"),
        (rlp.encode([b"\x25" + hex_prefix(key, leaf=True)[1:], b"\x01"]),
         "WithdrawalPortal: hex-prefix padding nibble is not zero"),
        (leaf_node(key[:-1]), "WithdrawalPortal: leaf path is shorter than the rest of the key"),
        (leaf_node([*key, 0]), "WithdrawalPortal: node path is longer than the rest of the key"),
        (extension_node([], keccak(b"child")),
         "WithdrawalPortal: extension node with an empty path"),
        # a proof ending at a branch that carries a value where the key's child should be
        (branch_node({}, b"\x01"),
         "WithdrawalPortal: branch node holds a value (storage keys end at leaves)"),
        (branch_node({key[0]: keccak(b"x")}, b"\x01"),
         "WithdrawalPortal: branch node holds a value (storage keys end at leaves)"),
    ]
    for node, reason in cases:
        assert refusal(setup, target, [node]) == reason, node.hex()


def test_extension_and_inline_tricks_are_refused(setup: PortalSetup) -> None:
    chain = setup.chain
    target = subject(chain)
    key = nibbles(storage_key(target.hash))

    # an extension must lead to a branch: here it points straight at a (hashed) leaf
    tail_leaf = leaf_node(key[1:])
    assert len(tail_leaf) >= 32
    skip = extension_node(key[:1], keccak(tail_leaf))
    assert refusal(setup, target, [skip, tail_leaf]) == \
        "WithdrawalPortal: extension node does not lead to a branch"
    # ... or inline at a short leaf, which would let it skip the hashing of a real branch
    assert refusal(setup, target, [extension_node(key[:57], rlp.decode(leaf_node(key[57:])))]) \
        == "WithdrawalPortal: extension node does not lead to a branch"

    # an extension grafting another trie's subtree under the key's first nibble: the walk
    # continues in that subtree and finds no leaf for this key
    elsewhere = StorageTrie.of(population(chain, 100))
    graft = extension_node(key[:1], elsewhere.root)
    database = dict(elsewhere.trie.db)
    database[keccak(graft)] = graft
    grafted = walk(database, keccak(graft), storage_key(target.hash))
    assert not grafted.found and len(grafted.nodes) >= 2
    assert refusal(setup, target, grafted.nodes).startswith("WithdrawalPortal: key is absent")

    # an embedded (inline) child must be shorter than 32 bytes: a full-size leaf embedded
    # whole would dodge the hash link
    embedded = rlp.decode(leaf_node(key[1:]))
    assert refusal(setup, target, [branch_node({key[0]: embedded})]) == \
        "WithdrawalPortal: inline node of 32 bytes or more (must be referenced by hash)"
    for reference in (b"\x01" * 20, b"\x01" * 31, b"\x01" * 33):
        assert refusal(setup, target, [branch_node({key[0]: reference})]) == \
            "WithdrawalPortal: child reference is neither a 32-byte hash nor an inline node"
    # an inline node cannot be handed in as a proof element either: the hash link to it
    # does not exist, so the extra element is left over
    pair = [subject(chain, nonce) for nonce in INLINE_PAIR_NONCES]
    trie = StorageTrie.of(pair)
    walked = trie.walk(pair[0])
    branch = rlp.decode(walked.nodes[-1])
    inline_leaf = rlp.encode(branch[nibbles(storage_key(pair[0].hash))[8]])
    assert len(inline_leaf) < 32
    assert refusal(setup, pair[0], [*walked.nodes, inline_leaf], trie.root) == \
        "WithdrawalPortal: storage proof has nodes after the leaf"

    # a key cannot end at a branch: 64 branches consumed every nibble, the 65th is refused
    too_deep = deep_branch_chain(storage_key(target.hash), [b""] * 17)
    assert refusal(setup, target, too_deep) == "WithdrawalPortal: key ends at a branch node"


def test_oversized_inputs_are_refused_by_the_abi_bounds(setup: PortalSetup) -> None:
    """A node over MAX_NODE_BYTES or a proof over MAX_PROOF_NODES does not decode as the
    function's argument types, so the call reverts before the verifier runs."""
    target = subject(setup.chain)
    key = nibbles(storage_key(target.hash))
    big = leaf_node(key, b"\x01" * 600)
    assert len(big) > 600
    index, output = land_storage_root(setup, keccak(big))
    with pytest.raises(ContractLogicError):
        setup.prove_call(target, index, output, [big]).call({"from": setup.relayer.address})
    long_proof = deep_branch_chain(storage_key(target.hash), [hex_prefix([], leaf=True), b"\x01"])
    index, output = land_storage_root(setup, keccak(long_proof[0]))
    with pytest.raises(ContractLogicError):
        setup.prove_call(target, index, output, [*long_proof, long_proof[-1]]).call(
            {"from": setup.relayer.address})
