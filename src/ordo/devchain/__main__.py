"""``python -m ordo.devchain --port P --data-dir D [--block-time S]``: run the dev L1."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

import lmdb

from ordo.chain.chain import GenesisMismatchError
from ordo.core.genesis import DEV_L1_CHAIN_ID
from ordo.devchain.dev_chain import DevChain, DevChainConfig
from ordo.devchain.ready_marker import (
    READY_PREFIX,
    ready_document,
    remove_ready_file,
    write_ready_file,
)
from ordo.devchain.server import start_dev_server
from ordo.rpc.cors import CorsConfigError, parse_origins


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ordo.devchain",
                                     description="Ordo's embedded Ethereum dev chain (L1).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8545, help="0 picks a free port")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--block-time", type=float, default=1.0,
                        help="seconds between blocks (default 1)")
    parser.add_argument("--automine", action="store_true",
                        help="also mine a block as soon as a transaction arrives")
    parser.add_argument("--no-interval-mining", action="store_true",
                        help="with --automine: no timer blocks at all")
    parser.add_argument("--finality-depth", type=int, default=2,
                        help="blocks by which safe/finalized lag the head (default 2)")
    parser.add_argument("--chain-id", type=int, default=DEV_L1_CHAIN_ID)
    parser.add_argument("--cors-origins", default="",
                        help="comma-separated browser origins allowed to call it, or '*' "
                             "(default: none; its accounts sign for any caller)")
    arguments = parser.parse_args(argv)
    try:
        arguments.cors = parse_origins(arguments.cors_origins)
    except CorsConfigError as error:
        parser.error(f"--cors-origins: {error}")
    if not 0 <= arguments.port <= 65535:
        parser.error(f"--port {arguments.port}: use 0 to 65535")
    if arguments.no_interval_mining and not arguments.automine:
        parser.error("--no-interval-mining needs --automine")
    return arguments


async def run(arguments: argparse.Namespace) -> None:
    config = DevChainConfig(
        data_dir=arguments.data_dir,
        chain_id=arguments.chain_id,
        block_time=None if arguments.no_interval_mining else arguments.block_time,
        automine=arguments.automine,
        finality_depth=arguments.finality_depth,
    )
    remove_ready_file(config.data_dir)
    dev = DevChain.open(config)
    try:
        await dev.start()
        server = await start_dev_server(dev, arguments.host, arguments.port, arguments.cors)
        try:
            document = ready_document(server.url, config.chain_id, dev.node.head_number())
            write_ready_file(config.data_dir, document)
            print(READY_PREFIX + json.dumps(document), flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            remove_ready_file(config.data_dir)
            await server.stop()
    finally:
        await dev.close()


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        asyncio.run(run(arguments))
    except (ValueError, OSError, GenesisMismatchError, lmdb.Error) as error:
        print(f"dev L1: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            remove_ready_file(arguments.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
