"""``python -m ordo.chaos --seed N --duration S``: one chaos run; exit code 0 when every invariant
held, 1 when one broke (the seed and the command that repeats the run are printed), 2 on bad
options or a network that never came up, 130 when interrupted (SIGINT or SIGTERM; the node
processes are stopped first)."""

from __future__ import annotations

import argparse
import sys

from ordo.chaos.command_line import EXIT_USAGE, add_network_arguments, run_and_report
from ordo.chaos.harness import ChaosOptions, run_chaos
from ordo.chaos.transfer_load import REBROADCAST_AFTER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ordo.chaos",
                                     description="Seeded faults on a live network under load.")
    add_network_arguments(parser)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load+faults")
    parser.add_argument("--recovery-bound", type=float, default=30.0,
                        help="seconds allowed until a block is final after the last heal")
    parser.add_argument("--rebroadcast-after", type=float, default=REBROADCAST_AFTER,
                        help="seconds before the load resends a stuck transaction; 0: never")
    parser.add_argument("--l1", choices=("anvil", "dev"), default=None,
                        help="stand the network on this L1 (staked there, posting batches) and "
                             "add the L1 faults: L1 endpoint down, L1 reorg (anvil), the batch "
                             "poster killed, a full disk (root only)")
    parser.add_argument("--faults", default="",
                        help="comma-separated fault kinds to cycle through (e.g. "
                             "poster_kill,l1_down) instead of drawing them by weight")
    parser.add_argument("--hosts", action="store_true",
                        help="run each node as its own host: a network namespace with its own "
                             "address (root only), WAN links through the link proxies")
    parser.add_argument("--wan-rtt", default="50,150", metavar="LOW,HIGH",
                        help="with --hosts: each node pair's round trip in ms, drawn from "
                             "this range [default: 50,150]")
    parser.add_argument("--wan-loss", type=float, default=0.01,
                        help="with --hosts: every link's own loss probability per chunk")
    args = parser.parse_args(argv)
    try:
        low, _, high = args.wan_rtt.partition(",")
        wan_rtt = (float(low) / 1000, float(high or low) / 1000)
        options = ChaosOptions(seed=args.seed, duration=args.duration, nodes=args.nodes,
                               rate=args.rate, recovery_bound=args.recovery_bound,
                               workdir=args.workdir,
                               rebroadcast_after=args.rebroadcast_after or None,
                               l1=args.l1, only=tuple(kind for kind in
                                                      args.faults.split(",") if kind),
                               hosts=args.hosts, wan_rtt=wan_rtt, wan_loss=args.wan_loss)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return run_and_report(options, run_chaos, "CHAOS RUN")


if __name__ == "__main__":
    sys.exit(main())
