"""A transaction sent straight to a precompile (docs/fault_proofs.md 4.2): no frame runs, the
precompile's result is the transaction's outcome.

The Python reference runs py-evm's own precompile (the engine's), as py-evm's
``apply_computation`` does at depth 0; the on-chain verifier calls L1's precompile at the same
address with the gas the L2 call has, and must refuse (revert) when L1 runs out of gas rather
than take that as the result. Precompiles read no state, so none is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth.vm.computation import BaseComputation
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.message import Message
from eth_typing import Address


class _PrecompileComputation(PragueComputation):
    """A depth-0 computation with no state: Shanghai's constructor would warm the coinbase in
    a state, which a precompile never reads."""

    def __init__(self, message: Message) -> None:
        BaseComputation.__init__(self, None, message, None)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PrecompileResult:
    success: bool
    gas_left: int
    output: bytes


def run_precompile(address: bytes, data: bytes, gas: int, sender: bytes,
                   value: int) -> PrecompileResult:
    """py-evm's precompile at ``address`` on ``data`` with ``gas``: an error uses all the gas
    and returns nothing."""
    message = Message(gas=gas, to=Address(address), sender=Address(sender), value=value,
                      data=data, code=b"")
    computation = _PrecompileComputation(message)
    with computation:
        computation.precompiles[Address(address)](computation)
    return PrecompileResult(not computation.is_error, computation.get_gas_remaining(),
                            bytes(computation.output))
