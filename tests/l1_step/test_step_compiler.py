"""The compiler builds contracts that live in a folder and import its modules: the cache key
covers every module and interface of the folder (an edited module compiles the contract
again), and a name outside the contracts folder is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordo.l1 import compiler
from ordo.l1.compiler import CONTRACTS_DIR, ContractCompileError, contract_source


def test_a_folder_contracts_source_covers_its_modules() -> None:
    source = contract_source("step/StepArith")
    for module in ("core.vy", "cells.vy", "machine.vy", "Mpt.vy", "IStepVerifier.vyi"):
        assert f"# module {module}\n" in source
        assert (CONTRACTS_DIR / "step" / module).read_text() in source


def test_unknown_or_escaping_folder_names_are_refused() -> None:
    for name in ("step/NoSuchPart", "step/../../../../../tests/l1_step/StepProbe"):
        with pytest.raises(ContractCompileError, match="unknown contract"):
            contract_source(name)


def test_an_edited_module_is_compiled_again(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "contracts" / "probe"
    folder.mkdir(parents=True)
    (folder / "helper.vy").write_text("@internal\n@pure\ndef seven() -> uint256:\n    return 7\n")
    (folder / "Main.vy").write_text(
        "import helper\n\n@external\n@pure\ndef value() -> uint256:\n    return helper.seven()\n")
    monkeypatch.setattr(compiler, "CONTRACTS_DIR", tmp_path / "contracts")
    compiler._compile_cached.cache_clear()
    first = compiler.compile_contract("probe/Main", tmp_path / "cache")
    (folder / "helper.vy").write_text("@internal\n@pure\ndef seven() -> uint256:\n    return 8\n")
    second = compiler.compile_contract("probe/Main", tmp_path / "cache")
    assert first.source_hash != second.source_hash
    assert first.runtime_bytecode != second.runtime_bytecode
    compiler._compile_cached.cache_clear()
