"""eth_simulateV1 (geth's multi-block call simulation): decoding the request and formatting the
simulated blocks with their call results. The simulation itself is the backend's."""

from __future__ import annotations

from typing import Any

from ordo.core.errors import ExecutionReverted
from ordo.execution.simulation import (
    VM_ERROR,
    SimulatedBlock,
    SimulatedBlockCalls,
    SimulatedCall,
    SimulationError,
    SimulationRequest,
)
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import EXECUTION_REVERTED, RpcError
from ordo.rpc.formatting import format_block
from ordo.rpc.hex_values import encode_data, encode_quantity, json_type
from ordo.rpc.limits import RpcLimits
from ordo.rpc.override_params import decode_block_overrides, decode_state_overrides
from ordo.rpc.params import LATEST, Arguments, decode_block_id, decode_call_request

OPTION_FIELDS = frozenset({"blockStateCalls", "traceTransfers", "validation",
                           "returnFullTransactions"})
BLOCK_FIELDS = frozenset({"blockOverrides", "stateOverrides", "calls"})


def _flag(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f'field "{name}": expected a boolean, got {json_type(value)}')
    return value


def _decode_block(value: Any, limits: RpcLimits) -> SimulatedBlockCalls:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {json_type(value)}")
    unknown = sorted(set(value) - BLOCK_FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    calls = value.get("calls")
    calls = [] if calls is None else calls
    if not isinstance(calls, list):
        raise ValueError(f'field "calls": expected an array, got {json_type(calls)}')
    decoded_calls = []
    for index, call in enumerate(calls):
        try:
            decoded_calls.append(decode_call_request(call, limits))
        except ValueError as error:
            raise ValueError(f"call {index}: {error}") from error
    block = value.get("blockOverrides")
    state = value.get("stateOverrides")
    return SimulatedBlockCalls(
        block=decode_block_overrides(block) if block is not None else SimulatedBlockCalls().block,
        state=decode_state_overrides(state, limits.max_data_bytes) if state is not None else {},
        calls=tuple(decoded_calls),
    )


def decode_simulation(value: Any, limits: RpcLimits) -> tuple[SimulationRequest, bool]:
    """The request and whether full transactions are wanted."""
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {json_type(value)}")
    unknown = sorted(set(value) - OPTION_FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    blocks = value.get("blockStateCalls")
    blocks = [] if blocks is None else blocks
    if not isinstance(blocks, list):
        raise ValueError(f'field "blockStateCalls": expected an array, got {json_type(blocks)}')
    decoded = []
    for index, block in enumerate(blocks):
        try:
            decoded.append(_decode_block(block, limits))
        except ValueError as error:
            raise ValueError(f"blockStateCalls {index}: {error}") from error
    request = SimulationRequest(blocks=tuple(decoded), validation=_flag(value, "validation"),
                                trace_transfers=_flag(value, "traceTransfers"))
    return request, _flag(value, "returnFullTransactions")


def _format_call(call: SimulatedCall, block: SimulatedBlock, index: int) -> dict[str, Any]:
    header = block.block.header
    tx_hash = encode_data(block.block.transactions[index].hash)
    result: dict[str, Any] = {
        "returnData": encode_data(call.return_data),
        "logs": [{
            "address": encode_data(log.address),
            "topics": [encode_data(topic) for topic in log.topics],
            "data": encode_data(log.data),
            "blockNumber": encode_quantity(header.block_number),
            "blockTimestamp": encode_quantity(header.timestamp),
            "transactionHash": tx_hash,
            "transactionIndex": encode_quantity(index),
            "blockHash": encode_data(block.block.hash),
            "logIndex": encode_quantity(log.log_index),
            "removed": False,
        } for log in call.logs],
        "gasUsed": encode_quantity(call.gas_used),
        "status": "0x1" if call.success else "0x0",
    }
    if isinstance(call.error, ExecutionReverted):
        result["error"] = {"message": call.error.message, "code": EXECUTION_REVERTED,
                           "data": encode_data(call.error.revert_data)}
    elif call.error is not None:
        result["error"] = {"message": str(call.error), "code": VM_ERROR}
    return result


def eth_simulate_v1(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    args = Arguments(params, 2)
    request, full = args.required(0, lambda value: decode_simulation(value, ctx.limits))
    number = ctx.state_number(args.optional(1, decode_block_id, LATEST))
    try:
        blocks = ctx.backend.simulate(request, number)
    except SimulationError as error:
        raise RpcError(error.code, error.message) from error
    answer = []
    for block in blocks:
        formatted = format_block(block.block, full)
        formatted["calls"] = [_format_call(call, block, index)
                              for index, call in enumerate(block.calls)]
        answer.append(formatted)
    return answer


SIMULATION_METHODS: MethodTable = {"eth_simulateV1": eth_simulate_v1}
