"""Whole blocks through the step machine (docs/fault_proofs.md 4), against the project's engine:
blocks built by ``PyEvmEngine.build_block`` on the devnet genesis are traced from their first
state to their final state; the trace must end in exactly the engine's output root (same state
root, transactions and receipts roots, bloom, gas used, block hash), and every step must
re-verify from its witness alone. Then the refusals: tampered and padded witnesses, creations,
and a block that breaks a rule ending in the invalid output."""

from __future__ import annotations

from dataclasses import replace

import pytest
import rlp
from eth_hash.auto import keccak

from ordo.core.genesis import GenesisAccount, devnet_genesis
from ordo.execution.state_source import OverlayDatabase
from ordo.execution.transaction_rules import floor_data_gas
from ordo.faultproof.block_parts import INVALID_OUTPUT, final_state, first_state
from ordo.faultproof.block_tracer import BlockTrace, trace_block
from ordo.faultproof.block_witness import (
    decode_block_step,
    encode_block_step,
)
from ordo.faultproof.machine_state import (
    PHASE_BLOCK_END,
    PHASE_BLOCK_START,
    PHASE_EVM,
    PHASE_TX_END,
    PHASE_TX_START,
)
from ordo.faultproof.step import InvalidWitness
from ordo.faultproof.verify import verify_step
from ordo.faultproof.witness import TrieProof
from tests.faultproof.block_chain import (
    DevChain,
    flipped_bytes_refused,
    ledger_init_code,
    rules_of,
)
from tests.faultproof.test_vyper_contracts import calldata

FRESH_COINBASE = bytes.fromhex("ce" * 20)
PROBE = bytes.fromhex("0b" * 20)
PROBE_CODE = bytes.fromhex("4360029003404355" "436001900340611000430155" "00")
"""sstore(number, blockhash(number - 2)); sstore(0x1000 + number, blockhash(number - 1))"""


@pytest.fixture(scope="module")
def chain() -> DevChain:
    """Block 1 deploys the Vyper ledger (a creation, not traced); 2 holds calls and transfers of
    every kind; 3 is empty; 4 pays a fresh coinbase nothing (EIP-161 keeps it absent, block end
    creates it empty); 5 pays it nothing again (now it is cleared and re-created) and sends 0
    wei to it from another block's view (a touched empty recipient is deleted)."""
    genesis = devnet_genesis()
    c = DevChain(genesis=replace(genesis, alloc={**genesis.alloc,
                                                 PROBE: GenesisAccount(code=PROBE_CODE)}))
    c.build([c.sign(0, None, data=ledger_init_code(), gas=2_000_000)])
    ledger = c.contract_address(0, 0)
    deposit = calldata("deposit(uint256)", ["uint256"], [5])
    c.build([
        c.sign(1, ledger, data=deposit, gas=200_000),
        c.sign(2, ledger, data=calldata("deposit(uint256)", ["uint256"], [0]), gas=200_000),
        c.sign(3, ledger, data=deposit, gas=21_600),
        c.sign(4, ledger, data=calldata("withdraw(uint256)", ["uint256"], [9]), gas=200_000,
               tx_type=0),
        c.sign(5, c.address(6), value=7, tx_type=1, gas=25_300, accessList=[
            {"address": "0x" + ledger.hex(), "storageKeys": ["0x" + "00" * 31 + "01"]}]),
        c.sign(1, ledger, data=deposit, gas=200_000),
        c.sign(6, c.address(7), data=b"\x01" * 1000, gas=61_000),
        c.sign(7, c.address(8), value=10**18, gas=30_000),
    ])
    c.build([])
    c.build([c.sign(8, c.address(9), value=1, tip=0)], coinbase=FRESH_COINBASE)
    c.build([c.sign(9, c.address(1), value=1, tip=0),
             c.sign(8, FRESH_COINBASE, value=0, tip=0)], coinbase=FRESH_COINBASE)
    c.build([c.sign(9, FRESH_COINBASE, value=0)])
    c.build([c.sign(2, PROBE, gas=100_000)])
    junk = b"\x01" * 1000
    c.build([c.sign(1, ledger, data=calldata("withdraw(uint256)", ["uint256"], [10]) + junk,
                    gas=100_000)])
    return c


def _check(chain: DevChain, trace: BlockTrace, number: int) -> None:
    """The trace ends in the engine's output root and header, and every step verifies."""
    header = chain.blocks[number].block.header
    assert trace.output_root == chain.output_root(number)
    assert keccak(trace.header) == bytes(header.hash)
    assert trace.header == rlp.encode(header)
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1), index


def test_a_block_of_calls_transfers_reverts_and_out_of_gas(chain: DevChain) -> None:
    statuses = [bytes(r.state_root) for r in chain.blocks[2].receipts]
    assert statuses == [b"\x01", b"", b"", b"", b"\x01", b"\x01", b"\x01", b"\x01"]
    trace = chain.trace(2)
    _check(chain, trace, 2)
    phases = [step.phase for step in trace.steps]
    assert phases[0] == PHASE_BLOCK_START and phases[-1] == PHASE_BLOCK_END
    assert phases.count(PHASE_TX_START) == phases.count(PHASE_TX_END) == 8
    assert phases.count(PHASE_EVM) > 300  # the ledger's instructions, one step each


@pytest.mark.parametrize("number", [3, 4, 5, 6])
def test_empty_blocks_and_the_coinbase_touch(chain: DevChain, number: int) -> None:
    _check(chain, chain.trace(number), number)


def test_blockhash_reads_the_proved_header_chain(chain: DevChain) -> None:
    """Block 7 stores BLOCKHASH(5) and BLOCKHASH(6): the list is proved through the parent
    header and five ancestor headers."""
    header = chain.blocks[7].block.header
    assert chain.engine.get_storage_at(header, PROBE, 7) == int.from_bytes(
        bytes(chain.blocks[5].block.header.hash), "big")
    assert chain.engine.get_storage_at(header, PROBE, 0x1007) == int.from_bytes(
        bytes(chain.blocks[6].block.header.hash), "big")
    _check(chain, chain.trace(7), 7)


def test_the_floor_with_a_capped_refund(chain: DevChain) -> None:
    """Block 8 clears the ledger's balance slot with 1,000 bytes of calldata: the EIP-7623 floor
    applies and the refund is capped, the case where the engine's block gas (6.3) is below the
    gas charged (state_transition.md 11.1); the trace counts what the engine counts."""
    receipt = chain.blocks[8].receipts[0]
    tx = chain.blocks[8].block.transactions[0]
    assert int(receipt.gas_used) < floor_data_gas(bytes(tx.data))
    _check(chain, chain.trace(8), 8)


def test_a_block_inside_a_batch(chain: DevChain) -> None:
    trace = chain.trace(3, batch_from=2)
    _check(chain, trace, 3)
    alone = chain.trace(3)
    assert trace.first != alone.first  # another inputs_root and position
    assert trace.output_root == alone.output_root


def test_the_padded_trace(chain: DevChain) -> None:
    trace = chain.trace(3)
    rules = rules_of(chain.genesis)
    end = len(trace)
    assert trace.commitment(end) == trace.commitment(end + 1000) == final_state(
        trace.output_root)
    assert verify_step(trace.commitment(end + 5), trace.witness(end + 5), rules) == \
        trace.commitment(end + 6)
    other = final_state(b"\x01" * 32)
    with pytest.raises(InvalidWitness, match="final state"):
        verify_step(other, trace.witness(end), rules)
    parent = chain.output_root(2)
    assert trace.first == first_state(parent, _inputs_root(chain, 3), 0)


def _inputs_root(chain: DevChain, number: int) -> bytes:
    from ordo.faultproof.batch_inputs import inputs_root

    return inputs_root([chain.batch_block(number)])


def test_every_flipped_byte_of_a_block_level_witness_is_refused(chain: DevChain) -> None:
    assert flipped_bytes_refused(chain.trace(5), rules_of(chain.genesis), 41) > 200


def test_a_field_the_step_does_not_read_must_be_zero(chain: DevChain) -> None:
    trace = chain.trace(3)
    start = next(s for s in trace.steps if s.phase == PHASE_BLOCK_END)
    state, proofs = decode_block_step(start.witness)
    rules = rules_of(chain.genesis)
    padded = encode_block_step(state, replace(proofs, coinbase=replace(
        proofs.coinbase, extra=b"\xc0")))
    with pytest.raises(InvalidWitness, match="extra node"):
        verify_step(start.pre, padded, rules)
    transfer = chain.trace(4)
    begin = next(s for s in transfer.steps if s.phase == PHASE_TX_START)
    state, tx_proofs = decode_block_step(begin.witness)
    assert tx_proofs.recipient != TrieProof()  # a value transfer reads the recipient
    assert verify_step(begin.pre, begin.witness, rules) == begin.post
    zero_value = chain.trace(6)
    begin = next(s for s in zero_value.steps if s.phase == PHASE_TX_START)
    state, tx_proofs = decode_block_step(begin.witness)
    stuffed = encode_block_step(state, replace(tx_proofs, sender_value=TrieProof(b"\xc0")))
    with pytest.raises(InvalidWitness, match="does not read sender_value"):
        verify_step(begin.pre, stuffed, rules)


def test_the_ledgers_creation(chain: DevChain) -> None:
    """Block 1 deploys the Vyper ledger: the init code's frame, the code deposit."""
    _check(chain, chain.trace(1), 1)


def _trace_posted(chain: DevChain, number: int, transactions: tuple[bytes, ...]) -> BlockTrace:
    """The trace of block ``number`` as a batch would post it with other transactions."""
    posted = replace(chain.batch_block(number), transactions=transactions)
    ancestors = [chain.header_rlp(n) for n in range(number - 2, -1, -1)]
    return trace_block(OverlayDatabase(chain.store), rules_of(chain.genesis),
                       chain.header_rlp(number - 1), ancestors, [posted], 0)


@pytest.mark.parametrize("case", ["nonce too high", "not a transaction", "no funds",
                                  "wrong chain"])
def test_a_block_the_rules_refuse_ends_in_the_invalid_output(chain: DevChain,
                                                             case: str) -> None:
    """Derivation refuses a batch with a transaction the engine would skip (4.3): the trace of
    such a block ends in ``final_state(INVALID_OUTPUT)``, which no claimed root matches."""
    fresh = DevChain()
    raw = {
        "nonce too high": lambda: fresh.sign(1, fresh.address(2), value=1, nonce=5).raw,
        "not a transaction": lambda: b"\x02\xc0",
        "no funds": lambda: fresh.sign(1, fresh.address(2), value=10**30).raw,
        "wrong chain": lambda: fresh.sign(1, fresh.address(2), value=1, chainId=5).raw,
    }[case]()
    trace = _trace_posted(chain, 3, (raw,))
    assert trace.output_root == INVALID_OUTPUT
    rules = rules_of(chain.genesis)
    for index in range(len(trace)):
        assert verify_step(trace.commitment(index), trace.witness(index), rules) == \
            trace.commitment(index + 1)


def test_a_header_rule_broken_ends_in_the_invalid_output(chain: DevChain) -> None:
    posted = replace(chain.batch_block(3), timestamp=int(
        chain.blocks[2].block.header.timestamp) - 1)
    ancestors = [chain.header_rlp(n) for n in range(1, -1, -1)]
    trace = trace_block(OverlayDatabase(chain.store), rules_of(chain.genesis),
                        chain.header_rlp(2), ancestors, [posted], 0)
    assert len(trace) == 1 and trace.output_root == INVALID_OUTPUT
    assert verify_step(trace.first, trace.witness(0), rules_of(chain.genesis)) == trace.final


def test_block_start_needs_the_chain_rules(chain: DevChain) -> None:
    trace = chain.trace(3)
    with pytest.raises(InvalidWitness, match="rules"):
        verify_step(trace.first, trace.witness(0))
    other = replace(rules_of(chain.genesis), base_fee_floor=10**12)
    assert verify_step(trace.first, trace.witness(0), other) != trace.commitment(1)
