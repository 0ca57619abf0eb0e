"""The targets table of ``make bench`` (bench/targets.py) from measured documents."""

from __future__ import annotations

import targets


def _run(tps: float, cpu: float) -> dict[str, object]:
    return {"tx_per_s": tps, "cpu_s_per_tx": cpu}


TRANSFERS = {
    "ordo": _run(1500.0, 0.00025),
    "ordo_4_nodes": {**_run(600.0, 0.0005), "failover": {
        "failover_s": {"median": 0.9, "min": 0.8, "max": 1.3},
        "samples": [{}] * 10}},
    "anvil": _run(1400.0, 0.00018),
    "ratio_ordo_to_anvil": {"tx_per_s": 1.071},
    "ratio_ordo_4_nodes_to_anvil": {"tx_per_s": 0.429},
}
ERC20 = {"ordo": _run(700.0, 0.0006), "anvil": _run(800.0, 0.0002),
         "ratio_ordo_to_anvil": {"tx_per_s": 0.875}}
LATENCY = {"1_nodes": {"idle": {"p50_ms": 42.0}}, "4_nodes": {"idle": {"p50_ms": 130.0}}}


def test_every_row_with_its_value_and_verdict() -> None:
    measured = {row.measure: row for row in targets.rows(TRANSFERS, ERC20, LATENCY, "latency.py")}
    expected = {
        "one node, included transfers/s, ratio to anvil": (1.071, True),
        "four nodes on the same cores, ratio to anvil": (0.429, False),
        "node CPU per transfer, one node": (0.25, False),
        "idle submit-to-receipt p50, 1 node": (42.0, True),
        "idle submit-to-receipt p50, 4 nodes": (130.0, False),
        "failover, median of 10 kills": (0.9, True),
        "ERC-20 transfers/s, one node, ratio to anvil": (0.875, False),
    }
    assert {name: (row.value, row.met()) for name, row in measured.items()} == expected
    text = targets.table(list(measured.values()))
    assert "| node CPU per transfer, one node | 0.25 ms | <= 0.2 ms | no | anvil 0.18 ms |" in text


def test_missing_measurements_are_unmeasured_not_met() -> None:
    measured = targets.rows(TRANSFERS, {}, None, "bench/latency.py does not exist")
    latency_rows = [row for row in measured if "idle" in row.measure]
    assert [row.value for row in latency_rows] == [None, None]
    assert [row.met() for row in latency_rows] == [None, None]
    erc20_row = measured[-1]
    assert erc20_row.value is None and erc20_row.met() is None
    assert "| unmeasured |" in targets.table(measured)
