"""Contracts the end-to-end tests deploy, compiled from source by the Vyper compiler each run."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import vyper

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"


@dataclass(frozen=True)
class CompiledContract:
    abi: list[dict[str, Any]]
    bytecode: str


@cache
def compile_contract(name: str) -> CompiledContract:
    """ABI and deployment bytecode of tests/contracts/<name>.vy (compiled once per process)."""
    source = (CONTRACTS_DIR / f"{name}.vy").read_text()
    output = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    return CompiledContract(abi=output["abi"], bytecode=output["bytecode"])
