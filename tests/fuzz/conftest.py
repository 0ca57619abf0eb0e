from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.error_log_trap import trapped_errors
from tests.fuzz.live_node import RpcClient, live_node


@pytest.fixture(scope="package")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RpcClient]:
    """One live node shared by the RPC and transaction fuzzers: starting one per example would
    test start-up, not input handling, and a shared node also proves it survives all of them.
    Package scope: the error trap must close when the fuzz tests end, not catch the errors that
    later test folders log on purpose."""
    with trapped_errors() as trap, live_node(tmp_path_factory.mktemp("fuzzed-node")) as client:
        yield client
    assert trap.records == [], trap.summary()
