"""CPU per transaction decode: the native decoder against py-evm's path (issue 16).

``decode_transaction`` reads a raw transaction's fields, recovers its sender and hashes it once
per node. This signs transactions of each type and measures, in process CPU time per
transaction (fresh bytes each time, so nothing is cached):

- ``py_evm_path``: py-evm's builder and coincurve's recovery (a machine without the extension,
  and what every node did before the native decoder);
- ``native``: ``decode_raw_transaction`` in the extension and the Python object around it;
- ``native_call``: the extension's call alone;
- ``lazy_tx``: building py-evm's object from the decoded fields (what a block's transaction
  list costs now), against ``py_evm_parse``: py-evm's builder parsing the bytes again.

Writes bench/results/transaction_decoding-<UTC date>.json and prints it.

    .venv/bin/python bench/transaction_decoding.py [--count 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_account import Account
from latency import git_commit

from ordo.core import transaction
from ordo.core.genesis import DEVNET_CHAIN_ID, dev_private_keys
from ordo.core.native_loader import native_module

ROOT = Path(__file__).resolve().parent.parent
TARGET = "0x" + "11" * 20


def _kinds(key: bytes) -> dict[str, Callable[[int], dict[str, Any]]]:
    fees = {"maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}
    delegation = Account.sign_authorization(
        {"chainId": DEVNET_CHAIN_ID, "address": "0x" + "77" * 20, "nonce": 1}, key)
    return {
        "legacy (EIP-155) transfer": lambda n: {"gasPrice": 10**10, "nonce": n},
        "type 1 transfer": lambda n: {"gasPrice": 10**10, "accessList": [], "nonce": n},
        "type 2 transfer": lambda n: {**fees, "nonce": n},
        "type 2, 500 bytes of calldata": lambda n: {**fees, "nonce": n, "data": b"\x5a" * 500,
                                                    "gas": 100_000},
        "type 4, one authorization": lambda n: {**fees, "nonce": n, "gas": 100_000,
                                                "authorizationList": [delegation]},
    }


def _cpu_us(action: Callable[[Any], object], items: Sequence[Any], rounds: int) -> float:
    """Median over rounds of the process CPU per item, in µs."""
    per_round = []
    for _ in range(rounds):
        started = time.process_time()
        for item in items:
            action(item)
        per_round.append((time.process_time() - started) / len(items) * 1e6)
    return round(statistics.median(per_round), 2)


def measure(count: int, rounds: int) -> dict[str, Any]:
    key = dev_private_keys(1)[0]
    decoder = native_module().decode_raw_transaction
    results: dict[str, Any] = {}
    for name, fields in _kinds(key).items():
        raws = [bytes(Account.sign_transaction(
            {"chainId": DEVNET_CHAIN_ID, "gas": 21_000, "to": TARGET, "value": 1, **fields(n)},
            key).raw_transaction) for n in range(count)]
        decoded = [transaction._decode(raw) for raw in raws]
        assert all(decoder(raw) is not None for raw in raws), name  # the native path is taken

        def fresh_tx(item: transaction.DecodedTransaction) -> object:
            return transaction.DecodedTransaction.tx.func(item)  # not the cached value

        results[name] = {
            "py_evm_path_us": _cpu_us(lambda raw: transaction._decode(raw, use_native=False),
                                      raws, rounds),
            "native_us": _cpu_us(transaction._decode, raws, rounds),
            "native_call_us": _cpu_us(decoder, raws, rounds),
            "lazy_tx_us": _cpu_us(fresh_tx, decoded, rounds),
            "py_evm_parse_us": _cpu_us(PragueTransactionBuilder.decode, raws, rounds),
        }
        print(f"transaction_decoding: {name}: {results[name]}", file=sys.stderr, flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="transactions of each kind")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per measure (median)")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    arguments = parser.parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    load_start = os.getloadavg()
    kinds = measure(arguments.count, arguments.rounds)
    result = {
        "bench": "transaction_decoding",
        "date": started.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "load_average": {"start": [round(x, 2) for x in load_start],
                         "end": [round(x, 2) for x in os.getloadavg()]},
        "count": arguments.count,
        "rounds": arguments.rounds,
        "kinds": kinds,
    }
    arguments.results_dir.mkdir(parents=True, exist_ok=True)
    path = arguments.results_dir / f"transaction_decoding-{started.date().isoformat()}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
