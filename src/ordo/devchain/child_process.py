"""Start the dev L1 as a child process and wait for its ready line (what ``ordo devnet`` does).

A child process keeps the L1's EVM work off the nodes' event loops and CPU accounting, and it
can be killed and restarted like a real L1 node.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

from ordo.devchain.ready_marker import parse_ready_line

STOP_GRACE_SECONDS = 10.0
STDERR_TAIL = 2_000


class DevChainStartError(RuntimeError):
    """The child exited or stayed silent instead of announcing it is ready."""


@dataclass
class DevChainProcess:
    process: asyncio.subprocess.Process
    url: str
    chain_id: int
    stderr_reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stop(self) -> int:
        """SIGTERM, then SIGKILL after a grace period; the exit code."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), STOP_GRACE_SECONDS)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self.stderr_reader is not None:
            await self.stderr_reader
        return int(self.process.returncode or 0)


async def start_dev_chain_process(data_dir: Path, port: int = 0, *, block_time: float = 1.0,
                                  automine: bool = False, finality_depth: int = 2,
                                  host: str = "127.0.0.1",
                                  timeout: float = 30.0) -> DevChainProcess:
    command = [sys.executable, "-m", "ordo.devchain", "--host", host, "--port", str(port),
               "--data-dir", str(data_dir), "--block-time", str(block_time),
               "--finality-depth", str(finality_depth)]
    if automine:
        command.append("--automine")
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise DevChainStartError(f"dev L1 not ready after {timeout}s") from None
    document = parse_ready_line(line.decode(errors="replace"))
    if document is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        stderr = (await process.stderr.read()).decode(errors="replace")
        await process.wait()
        raise DevChainStartError(f"dev L1 exited with {process.returncode}: "
                                 f"{stderr[-STDERR_TAIL:].strip()}")
    # Nothing more is read from stderr: logging goes there only at WARNING, and a full pipe
    # would block the child, so hand it to a reader that drains it.
    reader = asyncio.get_running_loop().create_task(_drain(process.stderr))
    return DevChainProcess(process, str(document["url"]), int(document["chainId"]), reader)


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass
