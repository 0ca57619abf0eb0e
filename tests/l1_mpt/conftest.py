"""One real anvil per test module, shared with the other L1 test folders; the test-only
probes that expose the step verifier's Mpt module."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from web3.contract import Contract

from ordo.l1.compiler import CONTRACTS_DIR
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, AnvilChain, chain

HERE = Path(__file__).resolve().parent
DEPLOY_GAS = 10_000_000

__all__ = ["chain"]


@cache
def compiled_probe(name: str) -> tuple[list[dict[str, Any]], bytes]:
    """A probe of this folder, importing Mpt from the verifier's folder as the verifier does."""
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FilesystemInputBundle

    bundle = FilesystemInputBundle([HERE, CONTRACTS_DIR / "step"])
    output = compile_from_file_input(bundle.load_file(Path(f"{name}.vy")), input_bundle=bundle,
                                     output_formats=["abi", "bytecode"])
    return list(output["abi"]), bytes.fromhex(str(output["bytecode"]).removeprefix("0x"))


def deploy_probe(chain: AnvilChain, name: str) -> Contract:
    """Deployed with more gas than AnvilChain's fixed allowance: a probe holds the whole
    module, close to the 24 KiB code size limit (200 gas a byte)."""
    abi, bytecode = compiled_probe(name)
    sender = chain.accounts[0]
    factory = chain.w3.eth.contract(abi=abi, bytecode=bytecode)
    transaction = factory.constructor().build_transaction({
        "from": sender.address, "gas": DEPLOY_GAS, "chainId": ANVIL_CHAIN_ID,
        "nonce": chain.w3.eth.get_transaction_count(sender.address, "pending")})
    signed = sender.sign_transaction(transaction)
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)
    assert receipt["status"] == 1 and receipt["contractAddress"] is not None
    return chain.w3.eth.contract(address=receipt["contractAddress"], abi=abi)


@pytest.fixture(scope="module")
def probe(chain: AnvilChain) -> Contract:
    return deploy_probe(chain, "MptProbe")


@pytest.fixture(scope="module")
def gas_probe(chain: AnvilChain) -> Contract:
    return deploy_probe(chain, "MptGasProbe")
