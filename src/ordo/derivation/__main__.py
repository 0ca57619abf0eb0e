"""``python -m ordo.derivation``: rebuild the L2 chain from L1 alone and print a JSON summary.

Exit status: 0 when every batch derived (and, with --compare-rpc, every block matched the
node's), 1 when a batch is invalid or a block differs, 2 when L1 could not be read or the
arguments are wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from ordo.core.genesis import Genesis
from ordo.derivation.derivation_run import DerivationOptions, run_derivation
from ordo.derivation.summary import DerivationSummary

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_ERROR = 2


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ordo.derivation",
        description="Rebuild every L2 block from the RollupInbox's batches on L1.")
    parser.add_argument("--l1-rpc", required=True, help="L1 JSON-RPC URL (http:// or https://)")
    parser.add_argument("--inbox", required=True, help="RollupInbox address (0x...)")
    parser.add_argument("--genesis", required=True, type=Path, help="the L2 genesis.json")
    parser.add_argument("--data-dir", required=True, type=Path,
                        help="where the derived chain is stored (resumed if it exists)")
    parser.add_argument("--from-block", type=int, default=0,
                        help="first L1 block to read events from (the inbox's deploy block; "
                             "forced-queue items are read from there too)")
    parser.add_argument("--forced-queue", help="ForcedInclusionQueue address (0x...) blocks "
                                               "take forced items from; default: the genesis's "
                                               "l1.forcedQueue")
    parser.add_argument("--follow", action="store_true",
                        help="keep polling L1 for new batches until SIGINT/SIGTERM")
    parser.add_argument("--compare-rpc", help="an L2 node's JSON-RPC URL to check every "
                                              "derived block against")
    parser.add_argument("--beacon-url", help="beacon node for blob batches when the L1 node "
                                             "does not return blobs with transactions")
    parser.add_argument("--confirmations", type=int, default=1,
                        help="L1 blocks on top of a batch before it is derived (1 = head)")
    parser.add_argument("--poll-interval", type=float, default=2.0,
                        help="seconds between L1 polls with --follow")
    return parser.parse_args(argv)


def _hex_argument(name: str, value: str) -> bytes:
    try:
        return bytes.fromhex(value.removeprefix("0x").removeprefix("0X"))
    except ValueError as error:
        raise ValueError(f"{name} {value!r} is not hex") from error


def options_from(arguments: argparse.Namespace) -> DerivationOptions:
    inbox = _hex_argument("--inbox", str(arguments.inbox))
    forced_queue = None if arguments.forced_queue is None else \
        _hex_argument("--forced-queue", str(arguments.forced_queue))
    try:
        genesis = Genesis.load(arguments.genesis)
    except OSError as error:
        raise ValueError(f"--genesis {arguments.genesis}: {error.strerror}") from error
    return DerivationOptions(
        l1_rpc=arguments.l1_rpc, inbox=inbox, genesis=genesis, data_dir=arguments.data_dir,
        from_block=arguments.from_block, follow=arguments.follow,
        compare_rpc=arguments.compare_rpc, beacon_url=arguments.beacon_url,
        confirmations=arguments.confirmations, poll_interval=arguments.poll_interval,
        forced_queue=forced_queue)


async def _run_until_signalled(options: DerivationOptions) -> DerivationSummary:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await run_derivation(options, stop)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    arguments = parse_arguments(argv)
    try:
        options = options_from(arguments)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    summary = asyncio.run(_run_until_signalled(options))
    print(json.dumps(summary.to_json(), indent=2))
    if summary.error is not None:
        return EXIT_ERROR
    return EXIT_OK if summary.ok else EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
