from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.multinode.cluster import DevnetCluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevnetCluster]:
    """One 4-validator devnet per test module (starting one costs tens of seconds on 2 cores).

    Every test leaves all four nodes running, and starts by checking that they make progress.
    """
    devnet = DevnetCluster(tmp_path_factory.mktemp("multinode"), nodes=4)
    try:
        devnet.start()
        for index in range(devnet.node_count):
            devnet.wait_serving(index)
        yield devnet
    except BaseException:
        print(devnet.output())
        for index in range(devnet.node_count):
            print(f"--- node {index} log ---\n{devnet.log_tail(index)}")
        raise
    finally:
        devnet.stop()
