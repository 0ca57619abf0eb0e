"""eth_getLogs and the polling filters (eth_newFilter, eth_getFilterChanges, ...)."""

from __future__ import annotations

from typing import Any

from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import InvalidParamsError, LimitExceededError, ServerError
from ordo.rpc.filters import FilterKind
from ordo.rpc.formatting import format_log
from ordo.rpc.hex_values import json_type
from ordo.rpc.params import Arguments, LogQuery, decode_log_query


def find_logs(ctx: RpcContext, query: LogQuery) -> list[dict[str, Any]]:
    """Logs matching the query, reading only blocks whose bloom admits a match."""
    limits = ctx.limits
    if query.block_hash is not None:
        block = ctx.backend.get_block_by_hash(query.block_hash)
        if block is None:
            raise ServerError("unknown block")
        numbers = range(block.number, block.number + 1)
    else:
        head = ctx.backend.head_number()
        first = ctx.tag_number(query.from_block)
        last = min(ctx.tag_number(query.to_block), head)
        if query.to_block.number is not None and first > query.to_block.number:
            raise InvalidParamsError("invalid block range params: fromBlock is after toBlock")
        if last - first + 1 > limits.max_logs_block_range:
            raise LimitExceededError(f"query exceeds max block range {limits.max_logs_block_range}")
        numbers = range(first, last + 1)
    results: list[dict[str, Any]] = []
    for number in numbers:
        block = ctx.backend.get_block_by_number(number)
        if block is None or not query.criteria.may_match_bloom(int(block.header.bloom)):
            continue
        timestamp = int(block.header.timestamp)
        for log in ctx.backend.get_block_logs(number):
            if query.criteria.matches(log):
                if len(results) >= limits.max_logs_results:
                    raise LimitExceededError(
                        f"query returned more than {limits.max_logs_results} results"
                    )
                results.append(format_log(log, timestamp))
    return results


def eth_get_logs(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    query = Arguments(params, 1).required(0, lambda value: decode_log_query(value, ctx.limits))
    return find_logs(ctx, query)


def eth_new_filter(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    query = Arguments(params, 1).required(0, lambda value: decode_log_query(value, ctx.limits))
    return ctx.filters.install(FilterKind.LOGS, query)


def eth_new_block_filter(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return ctx.filters.install(FilterKind.BLOCKS)


def eth_new_pending_transaction_filter(ctx: RpcContext, params: list[Any],
                                       session: Session | None) -> Any:
    args = Arguments(params, 1)
    if args.raw(0):
        raise InvalidParamsError("invalid argument 0: full pending transactions are not supported "
                            "by filters; use eth_subscribe")
    return ctx.filters.install(FilterKind.PENDING_TRANSACTIONS)


def _decode_filter_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a filter id string, got {json_type(value)}")
    return value


def eth_get_filter_changes(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    filter_id = Arguments(params, 1).required(0, _decode_filter_id)
    return ctx.filters.drain(filter_id)


def eth_get_filter_logs(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    filter_id = Arguments(params, 1).required(0, _decode_filter_id)
    found = ctx.filters.get(filter_id)
    if found.query is None:
        raise ServerError("filter not found")
    return find_logs(ctx, found.query)


def eth_uninstall_filter(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    filter_id = Arguments(params, 1).required(0, _decode_filter_id)
    return ctx.filters.uninstall(filter_id)


LOG_METHODS: MethodTable = {
    "eth_getLogs": eth_get_logs,
    "eth_newFilter": eth_new_filter,
    "eth_newBlockFilter": eth_new_block_filter,
    "eth_newPendingTransactionFilter": eth_new_pending_transaction_filter,
    "eth_getFilterChanges": eth_get_filter_changes,
    "eth_getFilterLogs": eth_get_filter_logs,
    "eth_uninstallFilter": eth_uninstall_filter,
}
