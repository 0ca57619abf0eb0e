from __future__ import annotations

from typing import Any

import pytest

from ordo.core.genesis import Genesis, dev_private_keys, devnet_genesis
from tests.execution.execution_chain import LocalChain, compile_recorder


@pytest.fixture(scope="session")
def keys() -> list[bytes]:
    return dev_private_keys(10)


@pytest.fixture
def genesis() -> Genesis:
    return devnet_genesis()


@pytest.fixture
def chain(genesis: Genesis) -> LocalChain:
    return LocalChain(genesis)


@pytest.fixture(scope="session")
def recorder() -> tuple[bytes, list[dict[str, Any]]]:
    return compile_recorder()
