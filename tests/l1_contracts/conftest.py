"""One real anvil per test module; every test deploys its own token and pool on it."""

from __future__ import annotations

import pytest

from .anvil_chain import AnvilChain, chain
from .pool_deployment import PoolDeployment, deploy_pool


@pytest.fixture
def deployment(chain: AnvilChain) -> PoolDeployment:
    return deploy_pool(chain)

__all__ = ["chain"]
