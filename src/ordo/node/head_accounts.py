"""The head state's nonces and balances, as mempool admission reads them (``AccountReader``)."""

from __future__ import annotations

from eth.abc import BlockHeaderAPI

from ordo.chain.chain import Chain
from ordo.execution.native_engine import NativeEngine
from ordo.execution.native_reads import read_account


class HeadAccounts:
    """Nonce and balance reads at one head state, for admission checks (AccountReader).

    One instance serves one admission (or one block's re-check of the pool), so each account is
    read once however many of its fields are asked. On the native engine the account is walked
    in Rust (``native_reads``); on py-evm through the engine's own reads, so a node run with
    ``--engine py-evm`` never calls the extension.
    """

    def __init__(self, chain: Chain, header: BlockHeaderAPI) -> None:
        self._chain = chain
        self._header = header
        self._native = isinstance(chain.engine, NativeEngine)
        self._read: dict[bytes, tuple[int, int]] = {}

    def nonce(self, address: bytes) -> int:
        return self._account(address)[0]

    def balance(self, address: bytes) -> int:
        return self._account(address)[1]

    def _account(self, address: bytes) -> tuple[int, int]:
        known = self._read.get(address)
        if known is not None:
            return known
        if self._native:
            found = read_account(self._chain.store.state_reader(),
                                 bytes(self._header.state_root), address)
            known = (0, 0) if found is None else (found.nonce, found.balance)
        else:
            engine = self._chain.engine
            known = (engine.get_nonce(self._header, address),
                     engine.get_balance(self._header, address))
        self._read[address] = known
        return known
