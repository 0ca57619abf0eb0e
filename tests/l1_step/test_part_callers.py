"""Review finding L1: the verifier's parts and services answer any caller, not only the
StepRouter (a part trusts that the router sent it a witness of its own kind, StepTxFrame that
StepTxPending checked what it forwards, and so on). Shown harmless here rather than guarded (a
guard needs each part to know the router, which is deployed after them and names them): no
answer of a part called directly reaches a game.

- Every step contract is read-only: each entry of its compiled ABI but the constructor is a view
  or pure function or fallback, and none emits an event, so a direct call writes nothing on L1
  and its answer goes only to whoever called (the router calls the parts with STATICCALL too).
- The DisputeGame asks only the verifier named at its construction (``verifier`` is assigned once,
  in ``__init__``, and no function that writes takes a verifier), and the deployment names the
  StepRouter (``ordo.devnet.dispute_provision``: ``deploy_step_verifier(...).router``).
"""

from __future__ import annotations

import re

import pytest

from ordo.l1.compiler import CONTRACTS_DIR, compile_contract

STEP_CONTRACTS = tuple(sorted(f"step/{path.stem}"
                              for path in (CONTRACTS_DIR / "step").glob("Step*.vy")))
"""Every contract of the verifier (the router, the parts, the services; the lower-case files
are modules compiled into them), so a part added later is held to the same rule."""


@pytest.mark.parametrize("name", STEP_CONTRACTS)
def test_every_step_contract_is_read_only(name: str) -> None:
    entries = [entry for entry in compile_contract(name).abi if entry["type"] != "constructor"]
    assert entries, name
    for entry in entries:
        assert entry["type"] in ("function", "fallback"), (name, entry)  # no event
        assert entry["stateMutability"] in ("view", "pure"), (name, entry)


def test_the_game_asks_only_the_verifier_it_was_built_with() -> None:
    source = (CONTRACTS_DIR / "DisputeGame.vy").read_text()
    assignments = re.findall(r"^\s*self\.verifier\s*=", source, flags=re.MULTILINE)
    assert len(assignments) == 1
    init = source[source.index("def __init__("):]
    init = init[:init.index("\n@", 1)]
    assert "self.verifier = verifier" in init
    writers = [entry for entry in compile_contract("DisputeGame").abi
               if entry["type"] == "function" and entry["stateMutability"] not in ("view", "pure")]
    assert writers
    for entry in writers:
        names = [argument["name"] for argument in entry["inputs"]]
        assert not any("verifier" in argument for argument in names), entry
    assert "staticcall self.verifier.step(" in source

