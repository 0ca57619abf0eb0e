"""One real anvil per test module; every test deploys its own pool, queue and inbox on it."""

from __future__ import annotations

import pytest

from tests.l1_contracts.anvil_chain import AnvilChain, chain
from tests.l1_inbox.rollup_setup import RollupSetup, deploy_rollup_setup


@pytest.fixture
def rollup(chain: AnvilChain) -> RollupSetup:
    return deploy_rollup_setup(chain)

__all__ = ["chain"]
