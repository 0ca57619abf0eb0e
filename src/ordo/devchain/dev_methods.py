"""The test-tooling methods of the dev L1 (anvil's and hardhat's names), as JSON-RPC handlers.

Numbers are accepted as JSON integers or hex quantities, because tools send both (ethers and
viem send hex, hardhat scripts often integers). Every bad parameter is an invalid-params error
naming the argument.
"""

from __future__ import annotations

from typing import Any

from ordo.devchain.block_clock import TimeTravelError
from ordo.devchain.dev_chain import BalanceChangeError, DevChain
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import InvalidParamsError, ServerError
from ordo.rpc.hex_values import decode_address, decode_quantity

MAX_BLOCKS_PER_CALL = 10_000
UINT64_CEILING = 2**64


def _number(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidParamsError(f"invalid argument {what}: expected a number, got a boolean")
    if isinstance(value, int):
        number = value
    else:
        try:
            number = decode_quantity(value, bits=64)
        except ValueError as error:
            raise InvalidParamsError(f"invalid argument {what}: {error}") from error
    if not 0 <= number < UINT64_CEILING:
        raise InvalidParamsError(f"invalid argument {what}: {number} is not in 0..2^64-1")
    return number


def _arguments(params: list[Any], least: int, most: int, method: str) -> list[Any]:
    if not least <= len(params) <= most:
        expected = str(least) if least == most else f"{least} to {most}"
        raise InvalidParamsError(f"{method} takes {expected} arguments, got {len(params)}")
    return params


def make_dev_methods(dev: DevChain) -> MethodTable:
    """Handlers bound to one dev chain, to merge into the RPC server's method table."""

    async def evm_mine(ctx: RpcContext, params: list[Any], session: Session | None) -> str:
        _arguments(params, 0, 1, "evm_mine")
        timestamp: int | None = None
        blocks = 1
        if params and params[0] is not None:
            option = params[0]
            if isinstance(option, dict):
                unknown = set(option) - {"timestamp", "blocks"}
                if unknown:
                    raise InvalidParamsError(
                        f"invalid argument 0: unknown fields {sorted(unknown)}")
                if option.get("timestamp") is not None:
                    timestamp = _number(option["timestamp"], "0.timestamp")
                if option.get("blocks") is not None:
                    blocks = _number(option["blocks"], "0.blocks")
            else:
                timestamp = _number(option, "0")
        await _mine(blocks, timestamp, None)
        return "0x0"

    async def anvil_mine(ctx: RpcContext, params: list[Any], session: Session | None) -> None:
        _arguments(params, 0, 2, "anvil_mine")
        blocks = _number(params[0], "0") if params and params[0] is not None else 1
        interval = _number(params[1], "1") if len(params) > 1 and params[1] is not None else None
        await _mine(blocks, None, interval)

    async def _mine(blocks: int, timestamp: int | None, interval: int | None) -> None:
        if not 1 <= blocks <= MAX_BLOCKS_PER_CALL:
            raise InvalidParamsError(f"blocks: {blocks} is not in 1..{MAX_BLOCKS_PER_CALL}")
        for index in range(blocks):
            if interval is not None and index > 0:
                dev.increase_time(interval)
            try:
                await dev.mine(timestamp if index == 0 else None)
            except TimeTravelError as error:
                raise ServerError(str(error)) from error

    def evm_increase_time(ctx: RpcContext, params: list[Any], session: Session | None) -> str:
        _arguments(params, 1, 1, "evm_increaseTime")
        return hex(dev.increase_time(_number(params[0], "0")))

    def evm_set_next_block_timestamp(ctx: RpcContext, params: list[Any],
                                     session: Session | None) -> None:
        _arguments(params, 1, 1, "evm_setNextBlockTimestamp")
        try:
            dev.set_next_block_timestamp(_number(params[0], "0"))
        except TimeTravelError as error:
            raise ServerError(str(error)) from error

    async def anvil_set_balance(ctx: RpcContext, params: list[Any],
                                session: Session | None) -> None:
        _arguments(params, 2, 2, "anvil_setBalance")
        try:
            address = decode_address(params[0])
            balance = decode_quantity(params[1]) if isinstance(params[1], str) else params[1]
        except ValueError as error:
            raise InvalidParamsError(f"invalid argument: {error}") from error
        if isinstance(balance, bool) or not isinstance(balance, int) or not 0 <= balance < 2**256:
            raise InvalidParamsError("invalid argument 1: expected a balance in 0..2^256-1")
        try:
            await dev.set_balance(address, balance)
        except BalanceChangeError as error:
            raise ServerError(str(error)) from error

    return {
        "evm_mine": evm_mine,
        "anvil_mine": anvil_mine,
        "hardhat_mine": anvil_mine,
        "evm_increaseTime": evm_increase_time,
        "anvil_increaseTime": evm_increase_time,
        "evm_setNextBlockTimestamp": evm_set_next_block_timestamp,
        "anvil_setNextBlockTimestamp": evm_set_next_block_timestamp,
        "anvil_setBalance": anvil_set_balance,
        "hardhat_setBalance": anvil_set_balance,
    }
