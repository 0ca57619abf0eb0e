"""L1 endpoints for the tests: the dev chain in-process and a real anvil on a free port."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import vyper

from ordo.core.genesis import dev_private_keys
from ordo.devchain import DevChain, DevChainConfig, start_dev_server
from tests.l1.l1_process import l1_process

STORE_SOURCE = """
# pragma version ~=0.4.3

event Stored:
    sender: indexed(address)
    value: uint256
    note: String[32]

stored: public(uint256)
owner: public(address)

@deploy
def __init__(initial: uint256):
    self.stored = initial
    self.owner = msg.sender

@external
def store(amount: uint256, note: String[32]):
    assert amount != 13, "unlucky number"
    self.stored = amount
    log Stored(sender=msg.sender, value=amount, note=note)

@external
@view
def now() -> uint256:
    return block.timestamp
"""


@dataclass(frozen=True)
class CompiledContract:
    abi: list[dict[str, Any]]
    bytecode: bytes


@cache
def store_contract() -> CompiledContract:
    output = vyper.compile_code(STORE_SOURCE, output_formats=["abi", "bytecode"])
    return CompiledContract(output["abi"], bytes.fromhex(output["bytecode"][2:]))


@cache
def keys() -> list[bytes]:
    return dev_private_keys(4)


@dataclass
class Endpoint:
    kind: str
    url: str
    dev: DevChain | None = None


@pytest.fixture
async def dev_endpoint(tmp_path: Path) -> AsyncIterator[Endpoint]:
    """Anvil's default behaviour: a block for each transaction, none otherwise."""
    dev = DevChain.open(DevChainConfig(tmp_path / "dev-l1", block_time=None, automine=True))
    await dev.start()
    server = await start_dev_server(dev)
    try:
        yield Endpoint("dev", server.url, dev)
    finally:
        await server.stop()
        await dev.close()


async def wait_until_serving(url: str, deadline: float) -> None:
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.post(url, json={"jsonrpc": "2.0", "id": 1,
                                                   "method": "eth_chainId", "params": []}) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer")
            await asyncio.sleep(0.05)


@pytest.fixture
def anvil_process() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with l1_process("anvil") as l1:
        yield l1.process, l1.url


@pytest.fixture
async def anvil_endpoint(anvil_process: tuple[subprocess.Popen[bytes], str]
                         ) -> AsyncIterator[Endpoint]:
    _, url = anvil_process
    await wait_until_serving(url, time.monotonic() + 15)
    yield Endpoint("anvil", url)


@pytest.fixture(params=["dev", "anvil"])
def endpoint(request: pytest.FixtureRequest) -> Endpoint:
    """The same test against both chains: what Ordo relies on must hold on a real node."""
    found: Endpoint = request.getfixturevalue(f"{request.param}_endpoint")
    return found
