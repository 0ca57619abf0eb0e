"""Bad options are refused before anything starts, with the reason and exit code 2."""

from __future__ import annotations

import pytest

from ordo.chaos.__main__ import main
from ordo.chaos.command_line import EXIT_USAGE
from ordo.chaos.harness import ChaosOptions, ChaosSetupError


@pytest.mark.parametrize(("argv", "text"), [
    (["--duration", "5"], "duration: 5.0 is not allowed"),
    (["--nodes", "1"], "nodes: 1 is not allowed"),
    (["--rate", "0"], "rate: 0.0 is not allowed"),
    (["--recovery-bound", "-1"], "recovery_bound"),
    (["--faults", "l1_down"], "faults: l1_down needs a network on an L1"),
    (["--faults", "meteor"], "faults: 'meteor' is not a fault kind"),
    (["--l1", "dev", "--faults", "l1_reorg"], "l1_reorg needs anvil"),
    (["--faults", "host_cut"], "host_cut needs hosts of their own"),
    (["--hosts", "--wan-rtt", "150,50"], "wan: rtt"),
])
def test_bad_options_exit_2_with_the_reason(argv: list[str], text: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_USAGE
    assert text in capsys.readouterr().err


def test_repeat_command_reproduces_the_run() -> None:
    options = ChaosOptions(seed=42, duration=90, rate=15)
    assert options.repeat_command() == (
        "python -m ordo.chaos --seed 42 --duration 90 --nodes 4 --rate 15")


def test_repeat_command_of_a_run_on_an_l1_on_hosts_of_their_own() -> None:
    options = ChaosOptions(seed=3, duration=120, l1="anvil", only=("poster_kill", "host_cut"),
                           hosts=True)
    assert options.repeat_command() == (
        "python -m ordo.chaos --seed 3 --duration 120 --nodes 4 --rate 20 --l1 anvil "
        "--faults poster_kill,host_cut --hosts --wan-rtt 50,150 --wan-loss 0.01")


def test_a_run_without_rebroadcasts_says_so_in_its_repeat_command() -> None:
    options = ChaosOptions(seed=1, duration=60, rebroadcast_after=None)
    assert options.repeat_command().endswith("--rebroadcast-after 0")
    with pytest.raises(ValueError, match="rebroadcast_after"):
        ChaosOptions(seed=1, duration=60, rebroadcast_after=-1.0)


def test_a_failing_run_prints_its_seed_and_the_command_that_repeats_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def failing_run(options: ChaosOptions) -> dict[str, object]:
        return {"seed": options.seed, "passed": False, "violations": ["block 3 differs"],
                "repeat": options.repeat_command()}

    monkeypatch.setattr("ordo.chaos.__main__.run_chaos", failing_run)
    assert main(["--seed", "9", "--duration", "30"]) == 1
    captured = capsys.readouterr()
    assert '"block 3 differs"' in captured.out
    assert ("CHAOS RUN FAILED (seed 9); repeat with: python -m ordo.chaos --seed 9 "
            "--duration 30 --nodes 4 --rate 20") in captured.err


def test_a_network_that_never_comes_up_is_exit_2_with_the_repeat_command(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def no_network(options: ChaosOptions) -> dict[str, object]:
        raise ChaosSetupError("node 2 exited with code 2 at start")

    monkeypatch.setattr("ordo.chaos.__main__.run_chaos", no_network)
    assert main(["--seed", "4"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "node 2 exited with code 2" in err and "--seed 4" in err


def test_a_temporary_run_directory_is_kept_when_the_run_failed_or_raised() -> None:
    """A failed summary is not an exception: its directory (node logs) must stay too."""
    from ordo.chaos.harness import run_directory

    with run_directory(None, "ordo-test-") as passing:
        pass
    assert not passing.path.exists()
    with run_directory(None, "ordo-test-") as failing:
        failing.failed = True
    assert failing.path.exists()
    with pytest.raises(RuntimeError), run_directory(None, "ordo-test-") as raising:
        raise RuntimeError("setup broke")
    assert raising.path.exists()
    for kept in (failing.path, raising.path):
        kept.rmdir()
