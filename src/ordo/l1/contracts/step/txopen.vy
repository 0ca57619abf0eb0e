# pragma version 0.4.3
"""
@title What the parts opening a started transaction's frame share (docs/fault_proofs.md 4.2
       steps 7-8): the code and calldata roots by StepCode, py-evm's intrinsic gas from the
       transaction's bytes, the value transfer through StepMpt
"""

import blockio
import state
import txio
import txread
import witness as w

MAX_CODE: constant(uint256) = 24576
MAX_ENTRIES: constant(uint256) = 4096
F_SENDER_VALUE: constant(uint256) = 37
F_RECIPIENT: constant(uint256) = 38
READ_SENDER_VALUE: constant(uint256) = 64
READ_RECIPIENT: constant(uint256) = 128


@internal
@view
def roots(code_roots: address, at: uint256, size: uint256, method: Bytes[4]) -> (bytes32, bytes32):
    """@notice StepCode's answer for the `size` witness bytes at `at`: `roots(bytes)` for code,
            (cell_root, cell_root of the jump-destination bitmap); `cells_root(bytes)` for
            data, (cell_root, zero): data needs no bitmap, whose scan is most of StepCode's
            gas."""
    data: Bytes[blockio.MAX_BYTES] = blockio.copy(at, size)
    answer: Bytes[64] = raw_call(code_roots, concat(method, convert(32, bytes32),
                                                    convert(size, bytes32), data,
                                                    empty(bytes32)),
                                 max_outsize=64, is_static_call=True)
    return extract32(answer, 0), extract32(answer, 32)


@internal
@view
def intrinsic(t: txread.TxItems, data_at: uint256, data_size: uint256) -> uint256:
    """@notice py-evm's intrinsic gas of a call (transaction_rules.intrinsic_gas without
            EIP-3860's words): 21,000, 4 per zero and 16 per other calldata byte, 2,400 per
            access-list address and 1,900 per key, 25,000 per authorization."""
    gas: uint256 = unsafe_add(21000, unsafe_mul(4, data_size))  # + 12 per non-zero byte
    ones: uint256 = max_value(uint256) // 255  # 0x0101...01 (not three 33-byte pushes)
    low7: uint256 = unsafe_mul(ones, 127)
    for k: uint256 in range(MAX_CODE // 32):  # a word read per 32 calldata bytes
        at: uint256 = unsafe_mul(k, 32)
        if at >= data_size:
            break
        word: uint256 = blockio.word_padded(data_at + at)
        if unsafe_add(at, 32) > data_size:  # the last word: its bytes past the data zeroed
            past: uint256 = unsafe_mul(8, unsafe_sub(unsafe_add(at, 32), data_size))
            word = (word >> past) << past
        # the word's non-zero bytes counted at once: bit 7 of a byte is set when the byte is
        # not zero (its low seven bits plus 0x7f carry into bit 7 only within the byte), then
        # those bits moved to bit 0 and summed into the top byte by the multiplication
        nz: uint256 = ((unsafe_add(word & low7, low7) | word) >> 7) & ones
        gas = unsafe_add(gas, unsafe_mul(12, unsafe_mul(nz, ones) >> 248))
    list_index: uint256 = 0
    if t.tx_type == 1:
        list_index = 7
    elif t.tx_type == 2 or t.tx_type == 4:
        list_index = 8
    if list_index != 0:
        end: uint256 = t.starts[list_index] + t.sizes[list_index]
        q: uint256 = t.starts[list_index]
        for e: uint256 in range(MAX_ENTRIES):
            if q >= end:
                break
            entry_at: uint256 = 0
            entry_size: uint256 = 0
            entry_list: bool = False
            entry_at, entry_size, entry_list = blockio.rlp_item(q, end)
            q = entry_at + entry_size
            address_at: uint256 = 0
            address_size: uint256 = 0
            address_list: bool = False
            address_at, address_size, address_list = blockio.rlp_item(entry_at, q)
            slots_at: uint256 = 0
            slots_size: uint256 = 0
            slots_list: bool = False
            slots_at, slots_size, slots_list = blockio.rlp_item(address_at + address_size, q)
            gas += 2400 + 1900 * (slots_size // 33)  # each key 32 bytes behind its 0xa0 head
    if t.tx_type == 4:
        end: uint256 = t.starts[9] + t.sizes[9]
        q: uint256 = t.starts[9]
        for e: uint256 in range(MAX_ENTRIES):
            if q >= end:
                break
            entry_at: uint256 = 0
            entry_size: uint256 = 0
            entry_list: bool = False
            entry_at, entry_size, entry_list = blockio.rlp_item(q, end)
            q = entry_at + entry_size
            gas += 25000
    return gas


@internal
@view
def transfer(mpt: address, proofs: uint256, root: bytes32, sender: uint256, to: uint256,
              amount: uint256) -> bytes32:
    """@notice tx_start._transfer: the sender debited (`sender_value`), then `to` credited
            (`recipient`, absent = the empty account)."""
    field: uint256 = txio.field(proofs, F_SENDER_VALUE)
    payer: state.Account = blockio.account(mpt, field, root, sender, False)
    assert payer.exists, "StepVerifier: the sender is absent after buying gas"
    payer.balance -= amount
    new_root: bytes32 = blockio.trie_write(mpt, field, root, state.address_key(sender),
                                           state.encode_account(payer))
    field = txio.field(proofs, F_RECIPIENT)
    payee: state.Account = blockio.account(mpt, field, new_root, to, False)
    if not payee.exists:
        payee = state.Account(exists=True, nonce=0, balance=0, storage_root=state.BLANK_ROOT,
                              code_hash=state.EMPTY_CODE_HASH)
    payee.balance += amount
    return blockio.trie_write(mpt, field, new_root, state.address_key(to),
                              state.encode_account(payee))
