"""Which engine a node runs: ``--engine`` / ``[node] engine``, native by default where built."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from ordo.cli import check_engine, main
from ordo.config.config_file import read_config_file
from ordo.config.node_config import ConfigError
from ordo.core.genesis import devnet_genesis
from ordo.core.native_loader import NativeUnavailable
from ordo.execution import engine_choice
from ordo.execution.engine import PyEvmEngine
from ordo.execution.engine_choice import make_engine, resolve_engine
from ordo.execution.native_engine import NativeEngine
from ordo.execution.state_source import MemoryKeyValueStore
from tests.native.twin_chain import require_native


def test_auto_is_native_where_built() -> None:
    require_native()
    assert resolve_engine("auto") == "native"
    engine = make_engine("auto", devnet_genesis(), MemoryKeyValueStore())
    assert type(engine) is NativeEngine
    assert type(make_engine("py-evm", devnet_genesis(), MemoryKeyValueStore())) is PyEvmEngine


def test_without_the_extension_auto_falls_back_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def missing() -> None:
        raise NativeUnavailable("the native engine is not built on this machine")

    monkeypatch.setattr(engine_choice, "native_available", lambda: False)
    monkeypatch.setattr(engine_choice, "native_module", missing)
    monkeypatch.setattr(engine_choice, "_told", False)
    with caplog.at_level(logging.WARNING):
        assert resolve_engine("auto") == "py-evm"
        assert resolve_engine("auto") == "py-evm"
    said = [r.message for r in caplog.records if "native engine not built" in r.message]
    assert len(said) == 1
    with pytest.raises(ConfigError, match="engine: the native engine is not built"):
        check_engine("native")


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine 'evmone'"):
        resolve_engine("evmone")
    result = CliRunner().invoke(main, ["node", "--engine", "evmone"])
    assert result.exit_code == 2
    assert "Invalid value for '--engine'" in result.output


def test_config_file_engine_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[node]\ndata_dir = "d"\ngenesis = "g.json"\nengine = "py-evm"\n')
    assert read_config_file(path)["engine"] == "py-evm"
    path.write_text('[node]\ndata_dir = "d"\ngenesis = "g.json"\nengine = "evm"\n')
    with pytest.raises(ConfigError, match="engine: 'evm' is not allowed; use one of auto"):
        read_config_file(path)
