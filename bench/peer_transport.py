"""Throughput of the peer transport over localhost: frames per second and payload bytes per second.

Two ``PeerNetwork``s on 127.0.0.1; one broadcasts a burst of distinct messages of one size and the
other counts them as its handler sees them. With ``--baseline REV`` the same measurement also runs
on the ``src/ordo`` of another git revision (exported to a temporary directory and put first on
PYTHONPATH), alternating runs of both, so a transport change is compared under the same machine
load. Medians and bests (the least disturbed run) of ``--repeats`` runs are both reported: on a
shared machine the spread between runs is large. The CPU cost of sealing and opening one frame is
measured alone as well. Prints one JSON object; ``--out`` also writes it to a file.

Since protocol 3 a broadcast TX travels inside a TX_BATCH frame (``network/tx_batch.py``): the TX
rows then count transactions, not frames, and ``cpu_us_per_message`` (the process's CPU, both
ends, per message delivered) is the steadier measure of what batching saves.

    .venv/bin/python bench/peer_transport.py --baseline 7132b63^ \
        --out bench/results/peer_transport-$(date -u +%F).json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from ordo.network import MessageKind, NetworkConfig, NodeKey, PeerNetwork
from ordo.network.node_key import PeerId
from ordo.network.rate_limit import RateLimit

REPO = Path(__file__).resolve().parent.parent
SHAPES = ((MessageKind.TX, 200, 20_000), (MessageKind.TX, 4096, 10_000),
          (MessageKind.PROPOSAL, 1024 * 1024, 100))
"""(kind, payload bytes, frames): small transactions, large transactions, whole blocks."""
CHAIN_ID = 901


def _config() -> NetworkConfig:
    unlimited = {kind: RateLimit(10**9, 10**9) for kind in MessageKind}
    return NetworkConfig(chain_id=CHAIN_ID, rate_limits=unlimited, relay_kinds=frozenset(),
                         outbound_queue_frames=10**6, outbound_queue_bytes=1 << 30,
                         seen_cache_size=10**6)


async def _measure(kind: MessageKind, size: int, count: int) -> dict[str, object]:
    received = 0
    done = asyncio.Event()

    def on_message(peer: PeerId, got: MessageKind, payload: bytes) -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set()

    sender = PeerNetwork(NodeKey.generate(), _config())
    receiver = PeerNetwork(NodeKey.generate(), _config(), on_message=on_message)
    await sender.start()
    _, port = await receiver.start()
    try:
        await sender.connect("127.0.0.1", port)
        payloads = [i.to_bytes(8, "big") + bytes(size - 8) for i in range(count)]
        started = time.perf_counter()
        cpu_started = time.process_time()
        for payload in payloads:
            sender.broadcast(kind, payload)
            if len(payloads) > 1000 and int.from_bytes(payload[:8], "big") % 1000 == 0:
                await asyncio.sleep(0)  # let the writer drain, as a node's loop would
        await asyncio.wait_for(done.wait(), 300)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        await sender.stop()
        await receiver.stop()
    return {"kind": kind.name, "payload_bytes": size, "frames": count,
            "seconds": round(elapsed, 3), "frames_per_second": round(count / elapsed),
            "payload_mib_per_second": round(count * size / elapsed / 2**20, 2),
            "cpu_us_per_message": round(cpu / count * 1e6, 2)}


def _seal_open_microseconds() -> dict[str, float]:
    """CPU cost of sealing and opening one frame with protocol 2's ciphers, by payload size: the
    part of the difference that does not depend on how busy the machine's other cores are."""
    from ordo.network.sealed_frames import CipherState, open_frame, seal_frame

    key = os.urandom(32)
    sender, receiver = CipherState(key), CipherState(key)
    costs: dict[str, float] = {}
    for size, count in ((200, 20_000), (4096, 20_000), (1024 * 1024, 200)):
        payload = os.urandom(size)
        started = time.perf_counter()
        for _ in range(count):
            open_frame(receiver, MessageKind.TX, seal_frame(sender, MessageKind.TX, payload)[5:])
        costs[str(size)] = round((time.perf_counter() - started) / count * 1e6, 2)
    return costs


def _git(*arguments: str) -> bytes:
    return subprocess.run(["git", *arguments], cwd=REPO, capture_output=True,
                          check=True).stdout


def _export(revision: str, into: Path) -> Path:
    """``src/ordo`` of ``revision`` under ``into``; returns the directory to put on PYTHONPATH."""
    with tarfile.open(fileobj=BytesIO(_git("archive", "--format=tar", revision, "src/ordo"))) \
            as archive:
        archive.extractall(into, filter="data")
    return into / "src"


def _child(pythonpath: Path | None) -> list[dict[str, object]]:
    environment = dict(os.environ)
    if pythonpath is not None:
        environment["PYTHONPATH"] = str(pythonpath)
    output = subprocess.run([sys.executable, __file__, "--child"], env=environment,
                            capture_output=True, text=True, check=True).stdout
    rows: list[dict[str, object]] = json.loads(output)
    return rows


def _protocol_of(pythonpath: Path | None) -> int:
    environment = dict(os.environ)
    if pythonpath is not None:
        environment["PYTHONPATH"] = str(pythonpath)
    code = "from ordo.network.handshake import PROTOCOL_VERSION as v; print(v)"
    return int(subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True,
                              text=True, check=True).stdout)


def _medians(runs: list[list[dict[str, object]]]) -> list[dict[str, object]]:
    rows = []
    for shape in zip(*runs, strict=True):
        first = dict(shape[0])
        for field in ("seconds", "frames_per_second", "payload_mib_per_second",
                      "cpu_us_per_message"):
            if not all(field in row for row in shape):
                continue  # a revision of this bench before the field existed
            values = [float(row[field]) for row in shape]  # type: ignore[arg-type]
            lowest_best = field in ("seconds", "cpu_us_per_message")
            first[field] = round(statistics.median(values), 3 if field == "seconds" else 2)
            first[f"{field}_best"] = round(min(values) if lowest_best else max(values), 2)
            first[f"{field}_runs"] = values
        rows.append(first)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", default=None,
                        help="also measure the transport of this git revision")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        rows = [asyncio.run(_measure(kind, size, count)) for kind, size, count in SHAPES]
        print(json.dumps(rows))
        return 0
    head = _git("rev-parse", "--short", "HEAD").decode().strip()
    with tempfile.TemporaryDirectory() as scratch:
        baseline_path = None if args.baseline is None else _export(args.baseline, Path(scratch))
        current: list[list[dict[str, object]]] = []
        before: list[list[dict[str, object]]] = []
        for _ in range(args.repeats):
            if baseline_path is not None:
                before.append(_child(baseline_path))
            current.append(_child(None))
        result: dict[str, object] = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": head,
            "machine": platform.platform(), "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "repeats": args.repeats,
            "current": {"protocol": _protocol_of(None), "results": _medians(current),
                        "seal_and_open_microseconds_by_payload_bytes":
                            _seal_open_microseconds()}}
        if baseline_path is not None:
            result["baseline"] = {"revision": args.baseline,
                                  "protocol": _protocol_of(baseline_path),
                                  "results": _medians(before)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
