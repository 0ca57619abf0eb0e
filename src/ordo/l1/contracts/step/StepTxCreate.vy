# pragma version 0.4.3
"""
@title A started creation's frame (phase 2 with a Pending part, past its keys): the init code's
       depth-0 frame opened, or the address collision
@notice docs/fault_proofs.md 4.2 step 7's creation, as tx_start._open_creation decides it
        (py-evm's apply_create_message): the transaction again (txread.transaction), the new
        address keccak(rlp([sender, nonce]))[12:] read against the context's state root
        (`callee`, absent = empty account), the entry snapshot of that context; a nonce or code
        there is a collision: phase 4 with Outcome(false, 0, Z, 0, entry_snapshot), nothing
        changed. Else the account written with nonce 1 (its balance kept, same proof), the value
        moved when it is not 0 (`sender_value`, `recipient` = the new account), and the frame
        (0, 0, address, origin, value, false, cell_root(init), len(init),
        cell_root(jumpdest_bitmap(init)), Z, 0, 0, gas - intrinsic - 2 * words(init), 0, 0, Z,
        0, Z, 0, entry_snapshot) with the context's created_root the secure trie holding
        keccak(address) (EIP-6780). StepTxFrame forwards a started creation here; the router
        never calls this part itself. Not yet: init code over 24,576 bytes (StepCode's bound)
        reverts as not verifiable yet.
"""

import blockio
import state
import txio
import txopen
import txread
import witness as w

mpt: public(immutable(address))
code_roots: public(immutable(address))

PHASE_EVM: constant(uint256) = 3
PHASE_TX_END: constant(uint256) = 4
CONTEXT_AT: constant(uint256) = 16 * 32
F_CALLEE: constant(uint256) = 39
READ_CALLEE: constant(uint256) = 256
# docs/fault_proofs.md 1.1: cell_root(b""), the all-zero tree of depth 32
EMPTY_ROOT: constant(bytes32) = 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757


@deploy
def __init__(mpt_service: address, code_service: address):
    mpt = mpt_service
    code_roots = code_service


@internal
@view
def _open_creation() -> bytes32:
    block_h: bytes32 = empty(bytes32)
    started: bool = False
    block_h, started = txio.pre_state()
    assert started, "StepVerifier: a transaction not started: routed to the wrong part"
    base: uint256 = w.base()
    proofs: uint256 = w.uint(txio.PROOFS_PTR)
    origin: uint256 = w.uint(352)
    root: bytes32 = w.word(CONTEXT_AT)
    tx_h: bytes32 = keccak256(slice(msg.data, base + 352, 160))
    t: txread.TxItems = txread.transaction(proofs, w.uint(416))
    nonce_at: uint256 = 0
    gas_at: uint256 = 2  # legacy: nonce, gas price, gas, to, value, data
    if t.tx_type == 1:
        nonce_at = 1
        gas_at = 3
    elif t.tx_type == 2 or t.tx_type == 4:
        nonce_at = 1
        gas_at = 4
    assert t.sizes[gas_at + 1] == 0, "StepVerifier: not a creation: routed to the wrong part"
    moved: uint256 = blockio.rlp_uint(t.starts[gas_at + 2], t.sizes[gas_at + 2])
    init_at: uint256 = t.starts[gas_at + 3]
    init_size: uint256 = t.sizes[gas_at + 3]
    nonce: uint256 = blockio.rlp_uint(t.starts[nonce_at], t.sizes[nonce_at])
    payload: Bytes[54] = concat(b"\x94", slice(convert(origin, bytes32), 12, 20),
                                state.encode_int(nonce))
    new_address: uint256 = convert(keccak256(concat(slice(convert(192 + len(payload), bytes32), 31,
                                                      1), payload)), uint256) % 2**160

    field: uint256 = txio.field(proofs, F_CALLEE)
    existing: state.Account = blockio.account(mpt, field, root, new_address, False)
    snapshot: bytes32 = keccak256(abi_encode(root, w.word(CONTEXT_AT + 32), state.BLANK_ROOT,
                                             state.BLANK_ROOT, w.uint(CONTEXT_AT + 128),
                                             empty(bytes32), empty(uint256)))
    if existing.exists and (existing.nonce != 0 or existing.code_hash != state.EMPTY_CODE_HASH):
        # a collision: no frame, all gas used, nothing changed
        txio.unread_are_zero(proofs, txio.READ_BLOCK_INPUTS | txio.READ_RAW_TX |
                             txio.READ_TX_SIBLINGS | READ_CALLEE)
        return keccak256(abi_encode(PHASE_TX_END, block_h, tx_h,
                                    keccak256(slice(msg.data, base + CONTEXT_AT, 288)),
                                    keccak256(abi_encode(False, empty(uint256), EMPTY_ROOT,
                                                         empty(uint256), snapshot))))
    if not existing.exists:
        existing = state.Account(exists=True, nonce=0, balance=0,
                                 storage_root=state.BLANK_ROOT, code_hash=state.EMPTY_CODE_HASH)
    existing.nonce = 1
    key: bytes32 = state.address_key(new_address)
    new_root: bytes32 = blockio.trie_write(mpt, field, root, key, state.encode_account(existing))
    read: uint256 = txio.READ_BLOCK_INPUTS | txio.READ_RAW_TX | txio.READ_TX_SIBLINGS | \
        READ_CALLEE
    if moved > 0:
        new_root = txopen.transfer(mpt, proofs, new_root, origin, new_address, moved)
        read = read | txopen.READ_SENDER_VALUE | txopen.READ_RECIPIENT
    txio.unread_are_zero(proofs, read)

    if init_size > txopen.MAX_CODE:
        raise "StepVerifier: init code over 24,576 bytes: not verifiable yet"
    code_root: bytes32 = empty(bytes32)
    jumpdests_root: bytes32 = empty(bytes32)
    code_root, jumpdests_root = txopen.roots(code_roots, init_at, init_size,
                                             method_id("roots(bytes)"))
    gas: uint256 = blockio.rlp_uint(t.starts[gas_at], t.sizes[gas_at]) - \
        txopen.intrinsic(t, init_at, init_size) - 32000 - 2 * ((init_size + 31) // 32)
    # the secure trie of one leaf keccak(address) -> 0x01: rlp([0x20 ‖ key, 0x01])
    created_root: bytes32 = keccak256(concat(b"\xe3\xa1\x20", key, b"\x01"))
    frame_h: bytes32 = keccak256(abi_encode(
        empty(bytes32), empty(uint256), convert(new_address, address), convert(origin, address),
        moved, False, code_root, init_size, jumpdests_root, EMPTY_ROOT, empty(uint256),
        empty(uint256), gas, empty(bytes32), empty(uint256), EMPTY_ROOT, empty(uint256),
        EMPTY_ROOT, empty(uint256), snapshot))
    context_h: bytes32 = keccak256(concat(new_root, w.word(CONTEXT_AT + 32), created_root,
                                          slice(msg.data, base + CONTEXT_AT + 96, 192)))
    return keccak256(abi_encode(PHASE_EVM, block_h, tx_h, context_h, frame_h))


@external
@view
def __default__() -> bytes32:
    """@notice step(bytes32 pre_state, bytes witness) -> bytes32 for a started creation whose
            frame opens."""
    assert slice(msg.data, 0, 4) == method_id("step(bytes32,bytes)"), \
        "StepVerifier: the one function is step(bytes32,bytes)"
    w.check_calldata()
    assert w.uint(0) == txio.PHASE_TX_START, "StepVerifier: phase routed to the wrong part"
    return self._open_creation()
