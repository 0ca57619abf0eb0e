"""Account reads walked by the extension (ordo.execution.native_reads) answer exactly what
py-evm's reads answer, at every root of a chain where accounts are created, funded, emptied and
given storage and code; a root the store lacks is refused as unavailable state."""

from __future__ import annotations

import pytest
from eth_account import Account

from ordo.core.errors import UnknownBlock
from ordo.core.genesis import dev_private_keys, devnet_genesis
from ordo.execution.native_reads import read_account
from tests.native.corpus import STORE_PAIRS, Wallet
from tests.native.twin_chain import TwinChain, require_native


def test_native_account_reads_match_py_evm() -> None:
    require_native()
    genesis = devnet_genesis()
    chain = TwinChain(genesis)
    wallets = [Wallet(key, genesis.chain_id) for key in dev_private_keys(4)]
    stranger = Wallet(Account.create().key, genesis.chain_id)
    deploy, store = wallets[0].deploy(STORE_PAIRS)
    chain.block([deploy, wallets[1].sign(to=stranger.address, value=10**17)])
    slot_pairs = (7).to_bytes(32, "big") + (2**255 + 3).to_bytes(32, "big")
    chain.block([wallets[2].sign(to=store, data=slot_pairs, gas=100_000),
                 stranger.sign(to=wallets[3].address, value=10**16)])
    addresses = [w.address for w in wallets] + [stranger.address, store, bytes(20),
                                                 bytes.fromhex("ab" * 20)]
    checked = 0
    for header in chain.headers:
        for address in addresses:
            proof = chain.reference.get_proof(header, address, ())
            found = read_account(chain.store, bytes(header.state_root), address)
            if found is None:  # py-evm reads an absent account as the empty one
                assert (proof.nonce, proof.balance, chain.reference.get_code(header, address)) \
                    == (0, 0, b"")
                continue
            assert (found.nonce, found.balance, found.code_hash, found.storage_root) == (
                proof.nonce, proof.balance, bytes(proof.code_hash), bytes(proof.storage_hash))
            checked += 1
    assert checked >= 3 * len(wallets)
    final = read_account(chain.store, bytes(chain.head.state_root), store)
    assert final is not None and final.code_hash != bytes(chain.reference.get_proof(
        chain.head, wallets[0].address, ()).code_hash)


def test_native_account_read_refuses_unknown_state_and_bad_input() -> None:
    require_native()
    chain = TwinChain(devnet_genesis())
    with pytest.raises(UnknownBlock, match="is not available"):
        read_account(chain.store, b"\x11" * 32, bytes(20))
    with pytest.raises(ValueError, match="address must be 20 bytes"):
        read_account(chain.store, bytes(chain.head.state_root), bytes(19))
    with pytest.raises(ValueError, match="state root must be 32 bytes"):
        read_account(chain.store, b"\x11" * 31, bytes(20))


def test_native_engine_answers_nonce_and_balance_as_py_evm() -> None:
    require_native()
    genesis = devnet_genesis()
    chain = TwinChain(genesis)
    wallets = [Wallet(key, genesis.chain_id) for key in dev_private_keys(3)]
    stranger = Wallet(Account.create().key, genesis.chain_id)
    chain.block([wallets[1].sign(to=stranger.address, value=10**15),
                 wallets[2].sign(to=wallets[0].address, value=3)])
    for header in chain.headers:
        for address in [w.address for w in wallets] + [stranger.address, bytes(20)]:
            assert chain.native.get_nonce(header, address) == \
                chain.reference.get_nonce(header, address)
            assert chain.native.get_balance(header, address) == \
                chain.reference.get_balance(header, address)
    unknown = chain.head.copy(state_root=b"\x22" * 32)
    for engine in (chain.native, chain.reference):
        with pytest.raises(UnknownBlock, match=r"state of block 1 \(root 0x2222"):
            engine.get_balance(unknown, bytes(20))
    with pytest.raises(ValueError, match="address must be 20 bytes"):
        chain.native.get_nonce(chain.head, bytes(21))
