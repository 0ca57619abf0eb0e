"""The contract compiler: first use compiles, later uses read the cache entry named by the source
hash, and an edited source or a damaged entry is compiled again."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import vyper

from ordo.l1 import compiler
from ordo.l1.compiler import (
    CONTRACT_NAMES,
    ContractCompileError,
    compile_contract,
    contract_source,
    default_cache_dir,
    source_hash,
)


@pytest.fixture(autouse=True)
def fresh_process_cache() -> None:
    compiler._compile_cached.cache_clear()


def refuse_to_compile(name: str, source: str) -> tuple[list[dict[str, object]], bytes]:
    raise AssertionError(f"{name} was compiled although the cache held it")


def test_first_use_compiles_and_writes_the_entry(tmp_path: Path) -> None:
    contract = compile_contract("GovernanceToken", tmp_path)
    digest = source_hash(contract_source("GovernanceToken"), vyper.__version__)
    assert contract.source_hash == digest
    assert {item.get("name") for item in contract.abi} >= {"mint", "transfer", "approve"}
    assert len(contract.bytecode) > 500
    entry = json.loads((tmp_path / f"GovernanceToken-{digest}.json").read_text())
    assert bytes.fromhex(entry["bytecode"]) == contract.bytecode


def test_a_cached_entry_is_served_without_the_compiler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = compile_contract("GovernanceToken", tmp_path)
    compiler._compile_cached.cache_clear()
    monkeypatch.setattr(compiler, "_compile", refuse_to_compile)
    assert compile_contract("GovernanceToken", tmp_path) == compiled


def test_damaged_or_mismatched_entries_are_compiled_again(tmp_path: Path) -> None:
    compiled = compile_contract("GovernanceToken", tmp_path)
    path = tmp_path / f"GovernanceToken-{compiled.source_hash}.json"
    for damaged in ("{not json", json.dumps({"source_hash": "0" * 64, "abi": [], "bytecode": ""})):
        path.write_text(damaged)
        compiler._compile_cached.cache_clear()
        assert compile_contract("GovernanceToken", tmp_path) == compiled
        assert json.loads(path.read_text())["source_hash"] == compiled.source_hash


def test_an_edited_source_gets_a_new_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = compile_contract("GovernanceToken", tmp_path / "cache")
    sources = tmp_path / "sources"
    sources.mkdir()
    edited = contract_source("GovernanceToken").replace(
        "self.decimals = 18", "self.decimals = 6"
    )
    (sources / "GovernanceToken.vy").write_text(edited)
    monkeypatch.setattr(compiler, "CONTRACTS_DIR", sources)
    changed = compile_contract("GovernanceToken", tmp_path / "cache")
    assert changed.source_hash != original.source_hash
    assert changed.bytecode != original.bytecode
    assert len(list((tmp_path / "cache").glob("GovernanceToken-*.json"))) == 2


def test_a_source_vyper_refuses_is_a_precise_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "GovernanceToken.vy").write_text("@external\ndef broken(:\n    pass\n")
    monkeypatch.setattr(compiler, "CONTRACTS_DIR", tmp_path)
    with pytest.raises(ContractCompileError, match="GovernanceToken: vyper refused the source"):
        compile_contract("GovernanceToken", tmp_path / "cache")


def test_an_unwritable_cache_still_compiles(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    contract = compile_contract("GovernanceToken", blocker / "cache")
    assert contract.bytecode


def test_unknown_contracts_are_refused() -> None:
    with pytest.raises(ContractCompileError, match="unknown contract 'Inbox'"):
        compile_contract("Inbox")
    assert CONTRACT_NAMES == ("GovernanceToken", "LockingPool", "RollupInbox",
                              "ForcedInclusionQueue", "WithdrawalPortal", "L2ToL1MessagePasser",
                              "DisputeGame", "GasPriceOracle")


def test_cache_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_VYPER_CACHE", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("ORDO_VYPER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "ordo" / "vyper"


@pytest.mark.parametrize("loose", ["entry", "directory"])
def test_an_entry_others_could_have_written_is_never_deployed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose: str
) -> None:
    """Bytecode planted under the right name in a cache others can write is compiled over."""
    cache_dir = tmp_path / "cache"
    compiled = compile_contract("GovernanceToken", cache_dir)
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    path = cache_dir / f"GovernanceToken-{compiled.source_hash}.json"
    entry = json.loads(path.read_text())
    entry["bytecode"] = "fe" * 64  # what an attacker would deploy in our name
    path.write_text(json.dumps(entry))
    compiler._compile_cached.cache_clear()
    assert compile_contract("GovernanceToken", cache_dir).bytecode.hex() == "fe" * 64  # private
    (path if loose == "entry" else cache_dir).chmod(0o666 if loose == "entry" else 0o777)
    compiler._compile_cached.cache_clear()
    assert compile_contract("GovernanceToken", cache_dir) == compiled
    if loose == "directory":  # nothing is written into a cache others can write
        assert json.loads(path.read_text())["bytecode"] == "fe" * 64
    else:  # the loose entry in our private directory is replaced by a private, true one
        assert bytes.fromhex(json.loads(path.read_text())["bytecode"]) == compiled.bytecode
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
