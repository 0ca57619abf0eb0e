"""Test tiers: ``make check`` runs the tests not marked ``slow`` (the inner loop, a few minutes),
``make test`` runs every test, as CI does.

A test is slow when it waits on real processes: it uses a fixture that starts an L1 (anvil or the
dev L1 as a process), a devnet or a cluster of node processes (``PROCESS_FIXTURES``, found
wherever the fixture is used, also through other fixtures), or it is listed in ``SLOW_TESTS``
(its module or the test itself, with why; found with ``pytest --durations``), or it says so
itself (``pytest.mark.slow``).
"""

from __future__ import annotations

import pytest

PROCESS_FIXTURES = {
    # (module defining the fixture, fixture name)
    ("tests.l1_contracts.anvil_chain", "chain"),  # anvil per test module
    ("tests.l1.conftest", "anvil_process"),
    ("tests.l1_network.l1_cluster", "ticking_l1"),
    ("tests.devnet.devnet_on_l1", "ticking_anvil"),
    ("tests.devnet.devnet_on_l1", "run_devnet"),
    ("tests.devnet.conftest", "start_devnet"),
    ("tests.e2e.conftest", "endpoint"),  # a devnet or anvil for the session
    ("tests.fuzz.conftest", "node"),  # a node process for the package
    ("tests.multinode.conftest", "cluster"),
    ("tests.e2e.test_web3_module", "suite_endpoint"),  # a devnet for web3.py's own suite
    ("tests.fuzz.test_fuzz_peers", "live"),  # a cluster of node processes
    ("tests.l1.conftest", "endpoint"),  # dev L1 or anvil, chosen at run time
    ("tests.l1_deploy.conftest", "clocked_endpoint"),  # the same, mining on a timer
    ("tests.cli.test_status_cli", "devnet"),
    ("tests.metrics.test_node_process_metrics", "node"),
}

SLOW_TESTS: dict[str, str] = {
    # module path, or module path::test name -> why, with what it took in a run of the fast
    # tier on 2 cores under a load average of 8 (setup + call)
    "tests/bench/test_bridge_gas.py::test_small_run_measures_every_step_and_writes_the_file":
        "a 1-node devnet on anvil, every bridge step",
    "tests/bench/test_loadgen.py::test_short_run_against_anvil_includes_everything_it_sent":
        "the load generator against anvil",
    "tests/bench/test_loadgen.py::test_short_erc20_run_against_anvil_moves_tokens":
        "the load generator against anvil",
    "tests/devnet/test_forge_refusals.py::test_only_the_devnets_own_keys_sign":
        "a devnet on anvil (with the other test of the module: 142 s)",
    "tests/consensus/test_consensus_simulator.py::test_seed_sweep_keeps_agreement_validity_and_liveness":
        "1,380 simulator seeds on two processes: 349 s",
    "tests/mempool/test_mempool_benchmark.py": "10,000 transactions through the pool: 20 s",
    "tests/batch_poster/test_dev_l1_fallback.py": "a dev L1 refusing blobs, a full post: 13 s",
    "tests/l1/test_dev_chain_process.py": "dev L1 child processes started and stopped: 31 s",
    "tests/cluster/test_cluster_consensus.py": "in-process clusters through failover: 16 s",
    "tests/devnet/test_devnet_real_node.py": "a devnet of real node processes, stopped, resumed",
    "tests/multinode/test_bench_measures.py::test_one_producer_kill_is_measured_end_to_end":
        "a 4-node devnet whose producer is killed",
}


def _starts_processes(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name, definitions in info.name2fixturedefs.items():
        used = definitions[-1]  # the closest definition, the one the test gets
        if (getattr(used.func, "__module__", ""), name) in PROCESS_FIXTURES:
            return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module, _, rest = item.nodeid.partition("::")
        test = f"{module}::{rest.split('[', 1)[0]}"
        if module in SLOW_TESTS or test in SLOW_TESTS or _starts_processes(item):
            item.add_marker(pytest.mark.slow)
