from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from devnet_harness import DevnetProcess, start_devnet_process


@pytest.fixture
def start_devnet(tmp_path: Path) -> Iterator[Callable[..., DevnetProcess]]:
    started: list[DevnetProcess] = []

    def start(**arguments: object) -> DevnetProcess:
        devnet = start_devnet_process(tmp_path, len(started), **arguments)  # type: ignore[arg-type]
        started.append(devnet)
        return devnet

    yield start
    for devnet in started:
        if devnet.process.poll() is None:
            devnet.process.kill()
            devnet.process.wait()


from tests.devnet.devnet_on_l1 import run_devnet, ticking_anvil  # noqa: E402

__all__ = ["run_devnet", "start_devnet", "ticking_anvil"]
