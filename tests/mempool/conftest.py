from __future__ import annotations

import pytest
from mempool_transactions import RULES, Accounts

from ordo.mempool import Mempool


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


@pytest.fixture
def pool() -> Mempool:
    return Mempool(RULES)
