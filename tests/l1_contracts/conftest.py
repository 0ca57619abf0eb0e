"""One real anvil per test module; every test deploys its own token and pool on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .anvil_chain import AnvilChain, running_anvil
from .pool_deployment import PoolDeployment, deploy_pool


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilChain]:
    with running_anvil(tmp_path_factory.mktemp("anvil") / "anvil.log") as started:
        yield started


@pytest.fixture
def deployment(chain: AnvilChain) -> PoolDeployment:
    return deploy_pool(chain)
