"""The page's pure JavaScript (rates, builder, amounts) run under Node, which CI always has."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from typing import Any

import pytest

NODE = shutil.which("node")
SCRIPT = resources.files("ordo.dashboard").joinpath("static").joinpath("dashboard.js")

if NODE is None and os.environ.get("CI") != "true":
    pytest.skip("node is not installed (CI always has it)", allow_module_level=True)


def run_js(expression: str) -> Any:
    """Evaluate an expression over the script's exported functions and return its JSON value."""
    if NODE is None:
        pytest.fail("node is required in CI but is not on PATH")
    program = (f"const page = require({json.dumps(str(SCRIPT))});\n"
               f"process.stdout.write(JSON.stringify({expression}));\n")
    done = subprocess.run([NODE, "-e", program], capture_output=True, text=True, timeout=30,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_rate_is_transactions_of_later_blocks_over_the_window_time() -> None:
    blocks = [{"number": n, "timestamp": 100 + 2 * n, "txCount": tx}
              for n, tx in [(1, 50), (2, 4), (3, 6), (4, 0)]]
    points = run_js(f"page.rateSeries({json.dumps(blocks)}, 2)")
    # The first block's own transactions happened before the window started: not counted.
    assert points == [{"number": 2, "rate": 2}, {"number": 3, "rate": 2.5},
                      {"number": 4, "rate": 1.5}]


def test_rate_skips_windows_without_elapsed_time() -> None:
    blocks = [{"number": 1, "timestamp": 10, "txCount": 3},
              {"number": 2, "timestamp": 10, "txCount": 3},
              {"number": 3, "timestamp": 12, "txCount": 4}]
    assert run_js(f"page.rateSeries({json.dumps(blocks)}, 1)") == [{"number": 3, "rate": 2}]
    assert run_js("page.rateSeries([], 10)") == []


def test_builder_is_the_first_twenty_bytes_of_extra_data() -> None:
    extra = "0x" + "AB" * 20 + "ff" * 12
    assert run_js(f"page.builderOf({json.dumps(extra)})") == "0x" + "ab" * 20
    assert run_js('[page.builderOf("0x"), page.builderOf(null)]') == [None, None]


def test_amounts_are_exact_and_bad_values_show_a_dash() -> None:
    assert run_js('page.formatStake("0x64")') == "100"
    assert run_js('page.formatStake("0x3635c9adc5dea00000")') == "1,000,000,000,000,000,000,000"
    assert run_js('page.formatEth("0x1bc16d674ec80000")') == "2 ETH"
    assert run_js('page.formatEth("0x2c68af0bb140000")') == "0.2 ETH"
    assert run_js('[page.formatStake("zz"), page.formatEth(null), page.hexToInt("0xg")]') == [
        "—", "—", None]
