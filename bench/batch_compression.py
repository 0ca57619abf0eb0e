"""zstd vs brotli on Ordo's compact block encoding of a realistic traffic mix.

For batches of several sizes (blocks x transactions per block) it reports the bytes per
transaction of the raw transactions, of the compact encoding, and of each compressor setting,
with compression and decompression time. Prints one JSON object.

    .venv/bin/python bench/batch_compression.py [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import brotli
import zstandard
from rollup_traffic import TrafficMix

from ordo.core.batch_blocks import encode_blocks

SHAPES = ((10, 20), (30, 50), (60, 100))
"""(blocks, transactions per block): a quiet, a busy and a full calldata batch."""


def _compressors() -> dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]]:
    found: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {}
    for level in (3, 9, 19, 22):
        compressor = zstandard.ZstdCompressor(level=level)
        found[f"zstd-{level}"] = (compressor.compress, zstandard.ZstdDecompressor().decompress)
    for quality in (5, 9, 11):
        found[f"brotli-{quality}"] = (
            lambda data, q=quality: brotli.compress(data, quality=q, lgwin=24),
            brotli.decompress)
    return found


def _timed(function: Callable[[bytes], bytes], data: bytes,
           repeats: int = 3) -> tuple[bytes, float]:
    best = float("inf")
    result = b""
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(data)
        best = min(best, time.perf_counter() - start)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    mix = TrafficMix(arguments.seed)
    shapes = []
    totals: dict[str, int] = {}
    total_transactions = 0
    for blocks_count, per_block in SHAPES:
        print(f"signing {blocks_count} x {per_block}", file=sys.stderr)
        first = 1 + sum(shape["blocks"] for shape in shapes)
        blocks = mix.blocks(blocks_count, per_block, first)
        transactions = blocks_count * per_block
        raw_bytes = sum(len(raw) for block in blocks for raw in block.transactions)
        encoded = encode_blocks(blocks)
        results = {}
        for name, (compress, decompress) in _compressors().items():
            compressed, compress_seconds = _timed(compress, encoded)
            restored, decompress_seconds = _timed(decompress, compressed)
            assert restored == encoded
            results[name] = {
                "bytes": len(compressed),
                "bytes_per_tx": round(len(compressed) / transactions, 2),
                "ratio_vs_encoded": round(len(encoded) / len(compressed), 3),
                "compress_ms": round(compress_seconds * 1000, 2),
                "decompress_ms": round(decompress_seconds * 1000, 3),
            }
            totals[name] = totals.get(name, 0) + len(compressed)
        total_transactions += transactions
        shapes.append({"blocks": blocks_count, "txs_per_block": per_block,
                       "raw_tx_bytes_per_tx": round(raw_bytes / transactions, 2),
                       "encoded_bytes_per_tx": round(len(encoded) / transactions, 2),
                       "encoded_bytes": len(encoded), "compressors": results})
    print(json.dumps({
        "mix": mix.counts,
        "shapes": shapes,
        "bytes_per_tx_over_all_shapes": {name: round(size / total_transactions, 2)
                                         for name, size in totals.items()},
    }, indent=2))


if __name__ == "__main__":
    main()
