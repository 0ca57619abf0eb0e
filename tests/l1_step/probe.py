"""Compiling and deploying the test-only StepProbe, which exposes the verifier's modules."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from web3.contract import Contract

from ordo.l1.compiler import CONTRACTS_DIR
from tests.l1_contracts.anvil_chain import AnvilChain

HERE = Path(__file__).resolve().parent


@cache
def _compiled() -> tuple[list[dict[str, Any]], bytes]:
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FilesystemInputBundle

    bundle = FilesystemInputBundle([HERE, CONTRACTS_DIR / "step"])
    output = compile_from_file_input(bundle.load_file(Path("StepProbe.vy")), input_bundle=bundle,
                                     output_formats=["abi", "bytecode"])
    return list(output["abi"]), bytes.fromhex(str(output["bytecode"]).removeprefix("0x"))


def deploy_probe(chain: AnvilChain) -> Contract:
    abi, bytecode = _compiled()
    return chain.deploy_code(abi, bytecode)
