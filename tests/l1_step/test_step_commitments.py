"""The verifier's cell proofs, stack chain and state-part hashes equal the Python side's
(docs/fault_proofs.md 1.1, 1.2, 2): both sides must hash the same words or no proof verifies."""

from __future__ import annotations

from eth_hash.auto import keccak

from ordo.faultproof.cells import cell_proof, cell_root, root_from_proof, split_cells
from ordo.faultproof.machine_state import Block, Context, Frame, Tx
from ordo.faultproof.mpt_proof import BLANK_ROOT
from ordo.faultproof.step import EMPTY_CODE_HASH, Account, decode_word, encode_word
from tests.l1_contracts.anvil_chain import AnvilChain

from .probe import deploy_probe

DATA = bytes((11 * i + 5) % 256 for i in range(1000))


def test_cell_proofs_read_and_write_as_in_python(chain: AnvilChain) -> None:
    probe = deploy_probe(chain)
    cells = split_cells(DATA)
    for index in (0, 7, len(cells) - 1, len(cells), 2**32 - 1):
        leaf = cells[index] if index < len(cells) else bytes(32)
        proof = list(cell_proof(DATA, index))
        assert probe.functions.cell_root(index, leaf, proof).call() == cell_root(DATA)
        written = b"\x42" * 32
        assert (probe.functions.cell_root(index, written, proof).call()
                == root_from_proof(index, written, proof))


def test_a_cell_index_past_the_tree_is_refused(chain: AnvilChain) -> None:
    probe = deploy_probe(chain)
    call = probe.functions.cell_root(2**32, bytes(32), [bytes(32)] * 32)
    assert chain.revert_reason(call, chain.accounts[0]) == "StepVerifier: cell index out of range"


def test_stack_chain_push(chain: AnvilChain) -> None:
    probe = deploy_probe(chain)
    below = keccak(b"below")
    assert probe.functions.push(below, 2**256 - 1).call() == keccak(below + b"\xff" * 32)
    assert probe.functions.push(bytes(32), 5).call() == keccak(bytes(32) + (5).to_bytes(32, "big"))


def test_state_parts_hash_as_in_python(chain: AnvilChain) -> None:
    probe = deploy_probe(chain)
    word = keccak(b"w")
    block = Block(9, 1700, b"\x11" * 20, 30_000_000, 7, word, 901, keccak(b"o"), keccak(b"i"),
                  keccak(b"h"))
    tx = Tx(b"\x22" * 20, 9, 3, keccak(b"s"), keccak(b"b"))
    context = Context(keccak(b"s"), keccak(b"a"), keccak(b"c"), keccak(b"t"), 4800, keccak(b"l"),
                      2, 21000, keccak(b"r"))
    frame = Frame(keccak(b"p"), 1, b"\x33" * 20, b"\x44" * 20, 10**18, True, keccak(b"code"),
                  77, keccak(b"j"), keccak(b"cd"), 68, 12, 99_000, keccak(b"st"), 3,
                  keccak(b"m"), 64, keccak(b"rd"), 0, context.snapshot())

    def words(part: Block | Tx | Context | Frame) -> tuple[object, ...]:
        # the verifier keeps every field as its word: an address or a bool as a uint256
        return tuple(int.from_bytes(v, "big") if isinstance(v, bytes) and len(v) == 20
                     else int(v) if isinstance(v, bool) else v for v in part.as_tuple())

    assert probe.functions.block_hash(words(block)).call() == block.hash()
    assert probe.functions.tx_hash(words(tx)).call() == tx.hash()
    assert probe.functions.context_hash(words(context)).call() == context.hash()
    assert probe.functions.frame_hash(words(frame)).call() == frame.hash()


ACCOUNTS = [
    Account(0, 0, BLANK_ROOT, EMPTY_CODE_HASH), Account(1, 10**18, keccak(b"s"), keccak(b"c")),
    Account(2**64 - 1, 2**256 - 1, BLANK_ROOT, EMPTY_CODE_HASH), Account(127, 128, keccak(b"x"),
                                                                        keccak(b"y")),
]


def test_accounts_and_stored_words_as_the_tracer_encodes_them(chain: AnvilChain) -> None:
    """state.vy's RLP of accounts and stored words equals step.py's, both ways, and refuses
    what is not one (never reads it as zero)."""
    probe = deploy_probe(chain)
    for account in ACCOUNTS:
        encoded = account.encoded()
        fields = (True, account.nonce, account.balance, account.storage_root, account.code_hash)
        assert tuple(probe.functions.decode_account(True, encoded).call()) == fields
        assert probe.functions.encode_account(fields).call() == encoded
    exists, *_ = probe.functions.decode_account(False, b"").call()
    assert exists is False
    for number in (1, 127, 128, 255, 256, 2**255, 2**256 - 1):
        stored = encode_word(number)
        assert stored is not None and probe.functions.encode_word(number).call() == stored
        assert probe.functions.decode_word(True, stored).call() == decode_word(stored) == number
    assert probe.functions.encode_word(0).call() == b""
    assert probe.functions.decode_word(False, b"").call() == 0
    refused: dict[str, list[tuple[str, object]]] = {
        "StepVerifier: an account that is not RLP of four items": [
            ("decode_account", ACCOUNTS[1].encoded()[:-1]), ("decode_account", b"\xc0"),
            ("decode_account", ACCOUNTS[1].encoded() + b"\x00"), ("decode_word", b"\x81\x05"),
        ],
        "StepVerifier: a stored value that is not RLP": [("decode_word", b"\x05\x05")],
        "StepVerifier: a nonce of 2^64 or more": [
            ("encode_account", (True, 2**64, 0, BLANK_ROOT, EMPTY_CODE_HASH))],
    }
    for reason, calls in refused.items():
        for name, argument in calls:
            function = getattr(probe.functions, name)
            call = function(argument) if name == "encode_account" else function(True, argument)
            assert chain.revert_reason(call, chain.accounts[0]) == reason, (name, argument)
