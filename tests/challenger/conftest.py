"""One real anvil per test module; every test deploys its own pool, inbox and game on it."""

from __future__ import annotations

from tests.l1_contracts.anvil_chain import chain

__all__ = ["chain"]
