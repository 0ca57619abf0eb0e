"""eth_createAccessList: the EIP-2930 list that makes a call's storage and account accesses warm.

Like geth, the call is repeated with the list found so far until the list stops changing (a
warm access can change the call's path, e.g. through gas-dependent code). The list leaves out
the sender, the recipient (or created contract) and the precompiles, which are warm anyway,
unless storage slots of them were accessed. py-evm also warms the coinbase (EIP-3651) without
any opcode touching it, so the coinbase is only listed with slots or when it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import rlp
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth_hash.auto import keccak
from eth_typing import Address

from ordo.core.call import CallRequest
from ordo.core.errors import ExecutionReverted
from ordo.execution.message_call import (
    CallState,
    StateOpener,
    failure_of,
    prepare_message,
    run_prepared,
)

AccessList = tuple[tuple[bytes, tuple[int, ...]], ...]
MAX_ROUNDS = 16
PRECOMPILES = frozenset(bytes(address) for address in PragueComputation.get_precompiles())


@dataclass(frozen=True)
class AccessListResult:
    access_list: AccessList
    gas_used: int  # of the call with the list applied
    error: str | None  # the call's failure ("execution reverted", "out of gas", ...)


def create_access_list(open_state: StateOpener, request: CallRequest, *, block_gas_limit: int,
                       base_fee: int, coinbase: bytes) -> AccessListResult:
    """Raises CallFailed when the call cannot even start (funds, fees, intrinsic gas)."""
    sender = request.sender or b"\x00" * 20
    if request.to is not None:
        recipient = request.to
    else:
        nonce = open_state(0).get_nonce(Address(sender)) if request.nonce is None \
            else request.nonce
        recipient = keccak(rlp.encode([sender, nonce]))[12:]
    excluded = PRECOMPILES | {sender, recipient}
    given = {address for address, _ in request.access_list}
    current = _normalise({address: set(slots) for address, slots in request.access_list},
                         excluded)
    for _ in range(MAX_ROUNDS):
        trial = replace(request, access_list=current)
        prepared = prepare_message(trial, block_gas_limit=block_gas_limit, base_fee=base_fee)
        computation = run_prepared(open_state, prepared, base_fee)
        state = computation.state
        assert isinstance(state, CallState)
        accessed = dict(state.accessed)
        if coinbase not in given and not accessed.get(coinbase):
            accessed.pop(coinbase, None)
        found = _normalise(accessed, excluded)
        gas_used = PragueVM.finalize_gas_used(prepared.message, computation)  # type: ignore[arg-type]
        if found == current:
            break
        current = found
    error: str | None = None
    if computation.is_error:
        failure = failure_of(computation)
        error = "execution reverted" if isinstance(failure, ExecutionReverted) else str(failure)
    return AccessListResult(access_list=current, gas_used=gas_used, error=error)


def _normalise(accessed: dict[bytes, set[int]], excluded: frozenset[bytes]) -> AccessList:
    """Sorted entries; an excluded address is still listed with the slots read from it."""
    return tuple(sorted((address, tuple(sorted(slots)))
                        for address, slots in accessed.items()
                        if slots or address not in excluded))
