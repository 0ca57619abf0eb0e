"""What every method handler works with: the backend, the limits, the filters, and the rules that
turn a block tag, number or hash into a concrete block."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ordo.core.block import Block
from ordo.rpc.backend import RpcBackend
from ordo.rpc.errors import HEADER_NOT_FOUND, ServerError
from ordo.rpc.filters import FilterRegistry
from ordo.rpc.limits import RpcLimits
from ordo.rpc.log_match import LogCriteria
from ordo.rpc.params import BlockId


class Session(Protocol):
    """A client connection able to receive notifications (a WebSocket); HTTP has none."""

    def subscribe(self, kind: str, criteria: LogCriteria | None, full_transactions: bool) -> str:
        ...

    def unsubscribe(self, subscription_id: str) -> bool: ...


@dataclass
class RpcContext:
    backend: RpcBackend
    limits: RpcLimits
    filters: FilterRegistry

    def tag_number(self, block_id: BlockId) -> int:
        """The number a tag or number names (which may be beyond the head)."""
        if block_id.number is not None:
            return block_id.number
        if block_id.tag == "earliest":
            return 0
        if block_id.tag in ("safe", "finalized"):
            return self.backend.finalized_number()
        return self.backend.head_number()

    def find_block(self, block_id: BlockId) -> Block | None:
        """The named block, or None when this node has no such block (geth answers null).

        "pending" names the block the mempool would make next (built, never committed)."""
        if block_id.tag == "pending":
            return self.backend.pending_block().block
        if block_id.block_hash is not None:
            return self.backend.get_block_by_hash(block_id.block_hash)
        number = self.tag_number(block_id)
        if number > self.backend.head_number():
            return None
        return self.backend.get_block_by_number(number)

    def state_number(self, block_id: BlockId) -> int:
        """The block whose state a query reads; "header not found" when there is none."""
        if block_id.block_hash is not None:
            block = self.backend.get_block_by_hash(block_id.block_hash)
            if block is None:
                raise ServerError(HEADER_NOT_FOUND)
            return block.number
        number = self.tag_number(block_id)
        if number > self.backend.head_number():
            raise ServerError(HEADER_NOT_FOUND)
        return number


Handler = Callable[[RpcContext, list[Any], Session | None], Any | Awaitable[Any]]
MethodTable = dict[str, Handler]
