"""What verifying one step costs on L1: the costliest selected step of every verifiable opcode,
and the largest steps version 1 verifies (32 memory and 32 source cells), stay far inside an
L1 block (a step whose proof would not fit is a known failure mode)."""

from __future__ import annotations

from tests.l1_contracts.anvil_chain import AnvilChain

from .step_gas import REPRESENTATIVE, gas_table, largest_steps
from .verifier import deploy_verifier, on_chain, step_gas

STEP_GAS_BOUND = 2_000_000
LARGEST_STEP_GAS_BOUND = 4_000_000


def test_every_step_kind_fits_well_inside_an_l1_block(chain: AnvilChain) -> None:
    table = gas_table(deploy_verifier(chain), REPRESENTATIVE)
    assert len(table) == len(REPRESENTATIVE)
    worst = max(table.items(), key=lambda item: item[1][0])
    assert worst[1][0] < STEP_GAS_BOUND, worst
    # the cheapest steps still pay for the pre-state, the code cell and the stack chain
    assert min(gas for gas, _ in table.values()) > 30_000


def test_the_largest_steps_verify_within_a_small_part_of_a_block(chain: AnvilChain) -> None:
    verifier = deploy_verifier(chain)
    for name, step in largest_steps():
        assert on_chain(verifier, step.pre, step.witness) == step.post, name
        assert step_gas(verifier, step.pre, step.witness) < LARGEST_STEP_GAS_BOUND, name
