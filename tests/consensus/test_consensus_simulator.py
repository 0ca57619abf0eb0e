"""The deterministic simulator: its invariant checks, its determinism, its CLI, and the CI sweep
of many seeds (agreement, validity and liveness on every one; agreement and validity only for
the attack with a Byzantine third)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import pytest
from eth_hash.auto import keccak

from ordo.consensus import VoteType, build_certificate
from ordo.consensus.evidence import make_equivocation
from ordo.consensus.simulator import Attack, RunResult, make_scenario, run_seed
from ordo.consensus.simulator.__main__ import main, parse_seeds
from ordo.consensus.simulator.fake_block import make_fake_value
from ordo.consensus.simulator.invariants import InvariantViolationError, SafetyMonitor
from tests.consensus.committee import CHAIN_ID, GENESIS_HASH, Committee

# (attack, nodes, byzantine, seeds): 1,200 seeds of random faults (every scenario kind, equal
# and unequal stakes) and 180 of scripted attacks on the lock rules and on exact thirds
SWEEP = (
    (Attack.NONE, 4, 1, range(0, 800)),
    (Attack.NONE, 7, 2, range(0, 250)),
    (Attack.NONE, 3, 0, range(0, 150)),
    (Attack.LOCK, 4, 1, range(0, 80)),
    (Attack.LOCK, 7, 2, range(0, 40)),
    (Attack.THIRD, 3, 1, range(0, 30)),
    (Attack.THIRD, 7, 2, range(0, 30)),
)


def _run(arguments: tuple[int, int, int, Attack]) -> RunResult:
    return run_seed(*arguments)


def test_seed_sweep_keeps_agreement_validity_and_liveness() -> None:
    work = [
        (seed, nodes, byzantine, attack)
        for attack, nodes, byzantine, seeds in SWEEP
        for seed in seeds
    ]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        results = list(pool.map(_run, work, chunksize=10))
    failures = [
        f"{result.failure}\n  reproduce: {result.reproduce_command()}"
        for result in results
        if not result.ok
    ]
    assert not failures, "\n".join(failures)
    assert len(results) == 1380
    assert {result.kind for result in results} == {
        "lossy",
        "partition",
        "crash",
        "byzantine",
        "mixed",
        "lock",
        "third",
    }
    live = [result for result in results if result.attack != Attack.THIRD]
    assert all(max(result.heights) > 0 for result in live)
    assert sum(result.evidence for result in results) > 0  # double-signers were caught
    # the attacks really happened: the scheduler split the honest nodes as planned
    lock = [result for result in results if result.attack == Attack.LOCK]
    assert all("tempted" in result.attack_stages for result in lock)
    assert sum("decided" in result.attack_stages for result in lock) >= 0.9 * len(lock)
    third = [result for result in results if result.attack == Attack.THIRD]
    assert all("split" in result.attack_stages for result in third)


def test_same_seed_replays_exactly() -> None:
    first, second = run_seed(12, 4, 1), run_seed(12, 4, 1)
    assert first == second and first.ok
    assert run_seed(13, 4, 1) != first


def test_scenarios_keep_byzantine_stake_below_a_third() -> None:
    for seed in range(200):
        scenario = make_scenario(seed, 7, 2)
        byzantine = sum(scenario.stakes[i] for i in scenario.byzantine_nodes)
        assert 3 * byzantine < sum(scenario.stakes)
    with pytest.raises(ValueError, match="fewer than a third"):
        make_scenario(0, 3, 1)


def monitor_for(committee: Committee, byzantine: frozenset[bytes] = frozenset()) -> SafetyMonitor:
    return SafetyMonitor(lambda _: committee.validators, 1000, CHAIN_ID, GENESIS_HASH, byzantine)


def decided(committee: Committee, builder: int, nonce: int, valid: bool = True) -> tuple:  # type: ignore[type-arg]
    value = make_fake_value(1, GENESIS_HASH, committee.signers[builder].address, 0, nonce, valid)
    certificate = build_certificate(
        [committee.vote(i, VoteType.PRECOMMIT, value.block_hash) for i in (0, 1, 2)]
    )
    return value, certificate


def test_monitor_reports_disagreement_between_honest_nodes() -> None:
    committee = Committee((1, 1, 1, 1))
    monitor = monitor_for(committee)
    monitor.on_commit(0, 10, [decided(committee, 0, 1)])
    monitor.on_commit(1, 11, [decided(committee, 0, 1)])
    with pytest.raises(InvariantViolationError, match="agreement"):
        monitor.on_commit(2, 12, [decided(committee, 0, 2)])


def test_monitor_reports_invalid_blocks_and_bad_certificates() -> None:
    committee = Committee((1, 1, 1, 1))
    monitor = monitor_for(committee)
    with pytest.raises(InvariantViolationError, match="invalid block"):
        monitor.on_commit(0, 10, [decided(committee, 0, 1, valid=False)])
    value, certificate = decided(committee, 0, 3)
    weak = certificate.__class__(1, 0, value.block_hash, certificate.signatures[:2])
    with pytest.raises(InvariantViolationError, match="not a quorum"):
        monitor.on_commit(0, 10, [(value, weak)])


def test_monitor_reports_evidence_against_honest_validators() -> None:
    committee = Committee((1, 1, 1, 1))
    evidence = make_equivocation(
        committee.vote(1, VoteType.PREVOTE, keccak(b"x")),
        committee.vote(1, VoteType.PREVOTE, keccak(b"y")),
    )
    monitor_for(committee, frozenset({committee.signers[1].address})).on_evidence(0, evidence)
    with pytest.raises(InvariantViolationError, match="accused honest"):
        monitor_for(committee).on_evidence(0, evidence)


def test_parse_seeds() -> None:
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("7") == [7]
    assert parse_seeds("1,5,9-10") == [1, 5, 9, 10]
    for junk in ("", "a", "5-2", "-1", "1,,2"):
        with pytest.raises(ValueError):
            parse_seeds(junk)


def test_cli_summarises_and_prints_a_reproduce_command_on_failure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["--seeds", "0-2", "--nodes", "4", "--byzantine", "1"]) == 0
    assert "3 seeds, 0 failed" in capsys.readouterr().out

    def failing(
        seeds: list[int], nodes: int, byzantine: int, jobs: int, attack: Attack
    ) -> list[RunResult]:
        return [
            RunResult(seed, nodes, byzantine, "mixed", False, "agreement: boom", (1,), 0, 0, attack)
            for seed in seeds
        ]

    monkeypatch.setattr("ordo.consensus.simulator.__main__.run_many", failing)
    assert main(["--seeds", "41-42", "--nodes", "7", "--byzantine", "2"]) == 1
    out = capsys.readouterr().out
    assert "seed 41 (mixed): agreement: boom" in out
    reproduce = "reproduce: python -m ordo.consensus.simulator --seeds 41 --nodes 7 --byzantine 2\n"
    assert reproduce in out
    assert main(["--seeds", "5", "--nodes", "4", "--byzantine", "1", "--attack", "lock"]) == 1
    out = capsys.readouterr().out
    assert "--seeds 5 --nodes 4 --byzantine 1 --attack lock" in out


def test_cli_runs_attacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "0-1", "--attack", "lock", "--verbose"]) == 0
    assert main(["--seeds", "0-1", "--nodes", "3", "--attack", "third", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "seed 0 lock: heights" in out and ">tempted ok" in out
    assert "seed 1 third: heights" in out and "split ok" in out


@pytest.mark.parametrize(
    "arguments",
    [
        ["--nodes", "3", "--byzantine", "1"],
        ["--nodes", "4", "--byzantine", "0", "--attack", "lock"],
        ["--nodes", "4", "--byzantine", "1", "--attack", "lock", "--seeds", "x"],
        ["--nodes", "3", "--byzantine", "2", "--attack", "third"],
        ["--attack", "bogus"],
    ],
)
def test_cli_refuses_impossible_runs(arguments: list[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--seeds", "0", *arguments] if "--seeds" not in arguments else arguments)
