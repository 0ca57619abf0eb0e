"""The L1 endpoints of tests/l1 (dev chain in-process, real anvil), reused as they are, plus a
dev chain that also makes blocks on a timer, so its clock moves without transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ordo.devchain import DevChain, DevChainConfig, start_dev_server
from tests.l1.conftest import (  # noqa: F401  (fixtures pytest finds by name)
    Endpoint,
    anvil_endpoint,
    anvil_process,
    dev_endpoint,
    endpoint,
)


@pytest.fixture
async def timed_dev_endpoint(tmp_path: Path) -> AsyncIterator[Endpoint]:
    dev = DevChain.open(DevChainConfig(tmp_path / "dev-l1", block_time=0.5, automine=True))
    await dev.start()
    server = await start_dev_server(dev)
    try:
        yield Endpoint("timed_dev", server.url, dev)
    finally:
        await server.stop()
        await dev.close()


@pytest.fixture(params=["timed_dev", "anvil"])
def clocked_endpoint(request: pytest.FixtureRequest) -> Endpoint:
    """An L1 that makes blocks on a timer (anvil is switched to interval mining by the test
    once its deployment is done, so the deployment itself stays fast)."""
    found: Endpoint = request.getfixturevalue(f"{request.param}_endpoint")
    return found
