"""The anvil of tests/l1_contracts (one per module, started only by tests that ask for it)."""

from __future__ import annotations

from tests.l1_contracts.conftest import chain, deployment  # noqa: F401  (fixtures by name)
