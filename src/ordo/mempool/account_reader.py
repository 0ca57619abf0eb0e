"""The pool's read-only view of account state, so the pool itself never touches a database."""

from __future__ import annotations

from typing import Protocol


class AccountReader(Protocol):
    def nonce(self, address: bytes) -> int: ...

    def balance(self, address: bytes) -> int: ...
