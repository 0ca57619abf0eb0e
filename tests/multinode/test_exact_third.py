"""Exactly one third of the stake stopped is already too much: a quorum needs more than 2/3.

Stakes 100,100,100,150 (total 450): the node holding 150 is exactly a third, and the other three
hold 300, which is not more than 2/3 of 450 (3 * 300 = 2 * 450).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.multinode.cluster import DevnetCluster
from tests.multinode.test_multinode import (
    assert_identical_chains,
    final_receipt,
    send_transfer,
    wait_final_everywhere,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def weighted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevnetCluster]:
    devnet = DevnetCluster(tmp_path_factory.mktemp("third"), nodes=4,
                           extra=("--stakes", "100,100,100,150"))
    try:
        devnet.start()
        for index in range(devnet.node_count):
            devnet.wait_serving(index)
        yield devnet
    finally:
        devnet.stop()


def test_stopping_exactly_a_third_of_the_stake_halts_finality(weighted: DevnetCluster) -> None:
    assert [node["stake"] for node in weighted.manifest()["nodes"]] == [100, 100, 100, 150]
    weighted.wait_progress()
    weighted.pause(3)
    running = weighted.live()
    time.sleep(3.0)  # a block already precommitted by a quorum may still land
    frozen = weighted.max_final(running)
    tx_hash = send_transfer(weighted, running[0], account=7)
    time.sleep(8.0)
    assert weighted.max_final(running) == frozen, "a block became final with only 2/3 of stake"
    assert final_receipt(weighted, running[0], tx_hash) is None
    weighted.resume(3)
    wait_final_everywhere(weighted, tx_hash, list(range(4)), timeout=90)
    assert_identical_chains(weighted, list(range(4)))
