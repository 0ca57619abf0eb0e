# pragma version 0.4.3
"""Test-only: exposes the verifier's modules so their hashing is compared with the Python side."""

import cells
import IStepVerifier
import machine
import state


@external
@view
def cell_root(index: uint256, leaf: bytes32, proof: bytes32[32]) -> bytes32:
    # proof is static: it lies inline in the calldata after the selector, index and leaf
    return cells.root_at(index, leaf, 4 + 64)


@external
@pure
def push(below: bytes32, item: uint256) -> bytes32:
    return cells.push(below, item)


@external
@pure
def frame_hash(f: machine.Frame) -> bytes32:
    return machine.frame_hash(f)


@external
@pure
def context_hash(c: machine.Context) -> bytes32:
    return machine.context_hash(c)


@external
@pure
def block_hash(b: machine.Block) -> bytes32:
    return machine.block_hash(b)


@external
@pure
def tx_hash(t: machine.Tx) -> bytes32:
    return machine.tx_hash(t)


@external
@pure
def decode_account(found: bool, data: Bytes[128]) -> state.Account:
    return state.decode_account(found, data)


@external
@pure
def encode_account(a: state.Account) -> Bytes[128]:
    return state.encode_account(a)


@external
@pure
def decode_word(found: bool, data: Bytes[128]) -> uint256:
    return state.decode_word(found, data)


@external
@pure
def encode_word(number: uint256) -> Bytes[128]:
    return state.encode_word(number)


@external
@view
def call_step(verifier: address, pre_state: bytes32, witness: Bytes[262144]) -> bytes32:
    """As the dispute game calls the verifier: through the interface, reverts passed on."""
    return staticcall IStepVerifier(verifier).step(pre_state, witness)
