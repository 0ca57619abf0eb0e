"""eth_subscribe / eth_unsubscribe: only meaningful on a connection that can be notified."""

from __future__ import annotations

from typing import Any

from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import METHOD_NOT_FOUND, InvalidParamsError, RpcError, ServerError
from ordo.rpc.event_feed import LOGS, NEW_HEADS, NEW_PENDING_TRANSACTIONS
from ordo.rpc.hex_values import decode_bool, json_type
from ordo.rpc.log_match import LogCriteria
from ordo.rpc.params import Arguments, decode_log_query

KINDS = (NEW_HEADS, LOGS, NEW_PENDING_TRANSACTIONS)


def _require_session(session: Session | None) -> Session:
    if session is None:
        raise RpcError(METHOD_NOT_FOUND, "notifications not supported")
    return session


def _decode_kind(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a subscription name, got {json_type(value)}")
    if value not in KINDS:
        raise ValueError(f'no "{value}" subscription in eth namespace '
                         f"(supported: {', '.join(KINDS)})")
    return value


def eth_subscribe(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    connection = _require_session(session)
    args = Arguments(params, 2)
    kind = args.required(0, _decode_kind)
    if kind == LOGS:
        query = args.optional(1, lambda value: decode_log_query(value, ctx.limits), None)
        if query is not None and (query.block_hash is not None
                                  or query.from_block.number is not None
                                  or query.to_block.number is not None):
            raise InvalidParamsError("invalid argument 1: a logs subscription takes only address "
                                "and topics")
        criteria = query.criteria if query is not None else None
        return connection.subscribe(kind, criteria or LogCriteria(), False)
    if kind == NEW_PENDING_TRANSACTIONS:
        return connection.subscribe(kind, None, args.optional(1, decode_bool, False))
    if args.raw(1) is not None:
        raise InvalidParamsError("invalid argument 1: newHeads takes no options")
    return connection.subscribe(kind, None, False)


def eth_unsubscribe(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    connection = _require_session(session)
    subscription_id = Arguments(params, 1).required(0, _decode_subscription_id)
    if not connection.unsubscribe(subscription_id):
        raise ServerError("subscription not found")
    return True


def _decode_subscription_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a subscription id string, got {json_type(value)}")
    return value


SUBSCRIPTION_METHODS: MethodTable = {
    "eth_subscribe": eth_subscribe,
    "eth_unsubscribe": eth_unsubscribe,
}
