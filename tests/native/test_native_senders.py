"""Sender recovery in the extension (re-executed blocks, 2.7) against py-evm's path: it
confirms every signed type's sender and leaves every doubtful case to py-evm."""

from __future__ import annotations

import pytest
import rlp
from eth_account import Account

from ordo.core.genesis import dev_private_keys, devnet_genesis
from ordo.core.native_loader import native_module
from ordo.core.transaction import decode_transaction, known_transaction, recover_sender
from ordo.execution.errors import InvalidBlock
from tests.native.corpus import Wallet
from tests.native.twin_chain import TwinChain, require_native


def test_every_type_recovers_to_py_evms_sender() -> None:
    require_native()
    genesis = devnet_genesis()
    wallet = Wallet(dev_private_keys(1)[0], genesis.chain_id)
    target = bytes(range(20))
    unprotected = Account.sign_transaction(
        {"nonce": 0, "gasPrice": 10**9, "gas": 21_000, "to": "0x" + target.hex(), "value": 1},
        wallet.key,
    ).raw_transaction
    txs = [
        decode_transaction(bytes(unprotected)),  # legacy, v = 27/28
        wallet.sign(to=target, gasPrice=10**9),  # legacy, EIP-155
        wallet.sign(to=target, type=1, gasPrice=10**9, accessList=[]),
        wallet.sign(to=target, data=b"\x00\x01" * 40),
        wallet.sign(data=b"\x60\x00", gas=60_000),  # creation
        wallet.sign(to=target, gas=60_000,
                    authorizationList=[wallet.authorize(target, wallet.nonce + 1)]),
    ]
    found = native_module().recover_senders([d.tx.encode() for d in txs])
    assert found == [recover_sender(d.tx) for d in txs]
    assert found[0] == wallet.address


def test_doubtful_signatures_are_left_to_py_evm() -> None:
    require_native()
    wallet = Wallet(dev_private_keys(1)[0], devnet_genesis().chain_id)
    legacy = rlp.decode(wallet.sign(to=bytes(20), gasPrice=10**9).raw)
    odd_v = rlp.encode([*legacy[:6], 30, *legacy[7:]])
    high_s = rlp.encode([*legacy[:8], (2**256 - 1).to_bytes(32, "big")])
    zero_r = rlp.encode([*legacy[:7], b"", legacy[8]])
    assert native_module().recover_senders([odd_v, high_s, zero_r, b"", b"\x02\xc0"]) == [
        None, None, None, None, None]


def test_a_block_of_transactions_decoded_here_is_not_recovered_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every transaction of the block was decoded (and its sender recovered) by this process,
    as a node admits it before the proposal: re-execution recovers none of them again; a block
    naming another sender for the same bytes is refused by both engines all the same."""
    require_native()
    chain = TwinChain(devnet_genesis())
    wallets = [Wallet(key, chain.genesis.chain_id) for key in dev_private_keys(3)]
    built = chain.block([w.sign(to=wallets[0].address, value=5) for w in wallets[1:]])
    parent, block = chain.headers[-2], built.executed.block
    assert all(known_transaction(tx.encode()) is not None for tx in block.transactions)
    recoveries: list[int] = []
    native = native_module()
    monkeypatch.setattr(native, "recover_senders",
                        lambda encodings: recoveries.append(len(encodings)) or [])
    chain.native.execute_block(parent, block)
    assert recoveries == [0]
    monkeypatch.undo()
    forged = type(block)(header=block.header, transactions=block.transactions,
                         senders=(block.senders[1], block.senders[0]))
    for engine in (chain.reference, chain.native):
        with pytest.raises(InvalidBlock, match="does not match signature"):
            engine.execute_block(parent, forged)
