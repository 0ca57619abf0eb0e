from __future__ import annotations

import pytest

from ordo.mempool import Mempool
from tests.mempool.mempool_transactions import RULES, Accounts


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


@pytest.fixture
def pool() -> Mempool:
    return Mempool(RULES)
