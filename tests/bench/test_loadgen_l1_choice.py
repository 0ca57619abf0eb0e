"""The load generator's --l1 choice: a devnet without an L1 by default (L2 throughput, comparable
with runs from before the devnet staked on an L1), the dev L1 when asked."""

from __future__ import annotations

from pathlib import Path

import loadgen
import pytest


def test_the_devnet_runs_without_an_l1_unless_asked() -> None:
    assert loadgen.parse_arguments([]).l1 == "none"
    assert loadgen.parse_arguments(["--l1", "dev"]).l1 == "dev"
    plain = loadgen.ordo_devnet_command(Path("/tmp/d"), 4, None, "none")
    assert plain[plain.index("--l1") + 1] == "none" and "--l1-port" not in plain
    on_l1 = loadgen.ordo_devnet_command(Path("/tmp/d"), 4, 0.5, "dev")
    assert on_l1[on_l1.index("--l1") + 1] == "dev"
    assert int(on_l1[on_l1.index("--l1-port") + 1]) > 0  # not base port + 200, which may be taken
    assert on_l1[on_l1.index("--block-time") + 1] == "0.5"


def test_an_unknown_l1_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        loadgen.parse_arguments(["--l1", "anvil"])
    assert exit_info.value.code == 2
    assert "argument --l1: invalid choice: 'anvil'" in capsys.readouterr().err
