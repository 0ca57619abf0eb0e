"""One real anvil per test module, shared with the other L1 test folders."""

from __future__ import annotations

from tests.l1_contracts.anvil_chain import chain

__all__ = ["chain"]
