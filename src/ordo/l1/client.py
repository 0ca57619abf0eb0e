"""An asyncio client for any Ethereum JSON-RPC endpoint (the dev L1, anvil, a testnet node).

Transport failures (connection refused, reset, timeout, HTTP 5xx and 429) are retried with
exponential backoff, since a restarting L1 node must not take Ordo down with it; JSON-RPC errors
are the node's answer and are raised at once as L1RpcError with code, message, data and decoded
revert reason.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from eth_hash.auto import keccak

from ordo.core.call import CallRequest
from ordo.l1.capped_body import ResponseTooLarge, read_capped
from ordo.l1.chain_records import (
    BlockTag,
    L1Block,
    L1Log,
    L1Receipt,
    LogFilter,
    encode_block_tag,
)
from ordo.l1.fee_suggestion import FeeSuggestion, median_reward, suggest_fees
from ordo.l1.log_ranges import halve, is_range_refusal, split_range
from ordo.l1.rpc_errors import (
    L1ResponseError,
    L1RpcError,
    L1Timeout,
    L1TransportError,
)
from ordo.l1.wire_values import data, fixed, object_of, quantity

log = logging.getLogger(__name__)

METHOD_NOT_FOUND = -32601
RETRIED_HTTP_STATUSES = frozenset({429, 500, 502, 503, 504})
FEE_HISTORY_BLOCKS = 5


@dataclass(frozen=True)
class ClientConfig:
    request_timeout: float = 10.0
    """Seconds for one HTTP request, connection included."""
    max_attempts: int = 5
    """Tries per request on transport errors (1 = no retry)."""
    backoff_initial: float = 0.1
    backoff_max: float = 2.0
    log_range: int = 2_000
    """Blocks per eth_getLogs request (halved when the node refuses a range)."""
    max_response_bytes: int = 64 * 1024 * 1024
    """Largest JSON-RPC answer read into memory (a full L1 block is a few MB)."""

    def __post_init__(self) -> None:
        if self.request_timeout <= 0:
            raise ValueError(f"request_timeout: {self.request_timeout!r} must be positive")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts: {self.max_attempts!r} must be at least 1")
        if not 0 <= self.backoff_initial <= self.backoff_max:
            raise ValueError("backoff: need 0 <= backoff_initial <= backoff_max")
        if self.log_range < 1:
            raise ValueError(f"log_range: {self.log_range!r} must be at least 1")
        if self.max_response_bytes < 1:
            raise ValueError(f"max_response_bytes: {self.max_response_bytes!r} must be positive")


class L1Client:
    """One HTTP session to one endpoint. Use ``async with L1Client(url) as client``."""

    def __init__(self, url: str, config: ClientConfig | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"L1 RPC URL {url!r}: use an http:// or https:// URL")
        self.url = url
        self.config = config or ClientConfig()
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self._chain_id: int | None = None

    async def __aenter__(self) -> L1Client:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- transport -----------------------------------------------------------------------------
    async def request(self, method: str, params: list[Any]) -> Any:
        """The ``result`` of one JSON-RPC call; raises L1RpcError / L1TransportError /
        L1ResponseError."""
        body = json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                           "params": params})
        delay = self.config.backoff_initial
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                return await self._post(method, body)
            except L1TransportError as error:
                if attempt == self.config.max_attempts:
                    raise
                log.info("L1 %s failed (%s), attempt %d of %d, retrying in %.2fs", method, error,
                         attempt, self.config.max_attempts, delay)
                await asyncio.sleep(delay)
                delay = min(self.config.backoff_max, delay * 2)
        raise AssertionError("unreachable")

    async def _post(self, method: str, body: str) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.request_timeout))
        try:
            async with self._session.post(
                self.url, data=body, headers={"Content-Type": "application/json"}
            ) as response:
                if response.status in RETRIED_HTTP_STATUSES:
                    raise L1TransportError(f"{method}: HTTP {response.status} from {self.url}")
                try:
                    text = (await read_capped(response, self.config.max_response_bytes,
                                              f"{method} from {self.url}")).decode()
                except ResponseTooLarge as error:
                    raise L1ResponseError(str(error)) from None
                except UnicodeDecodeError:
                    raise L1ResponseError(f"{method}: HTTP {response.status}, not UTF-8 "
                                          "text") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise L1TransportError(f"{method}: {type(error).__name__}: {error} "
                                   f"({self.url})") from error
        try:
            answer = json.loads(text)
        except ValueError as error:
            raise L1ResponseError(f"{method}: HTTP {response.status}, not JSON: "
                                  f"{text[:200]!r}") from error
        if not isinstance(answer, dict):
            raise L1ResponseError(f"{method}: expected a JSON-RPC object, got {text[:200]!r}")
        if "error" in answer and answer["error"] is not None:
            error_object = answer["error"]
            if not isinstance(error_object, dict):
                raise L1ResponseError(f"{method}: malformed error {error_object!r:.200}")
            code = error_object.get("code")
            raise L1RpcError(method, code if isinstance(code, int) else 0,
                             str(error_object.get("message", "")), error_object.get("data"))
        if "result" not in answer:
            raise L1ResponseError(f"{method}: response without result or error: {text[:200]!r}")
        return answer["result"]

    # --- chain ---------------------------------------------------------------------------------
    async def chain_id(self) -> int:
        """eth_chainId, asked once per client (a node does not change chains under us)."""
        if self._chain_id is None:
            self._chain_id = quantity(await self.request("eth_chainId", []), "eth_chainId")
        return self._chain_id

    async def block_number(self) -> int:
        return quantity(await self.request("eth_blockNumber", []), "eth_blockNumber")

    async def confirmed_block_number(self, confirmations: int) -> int | None:
        """The newest block with at least ``confirmations`` blocks on it, counting itself
        (1 = the head); None while the chain is shorter than that."""
        if confirmations < 1:
            raise ValueError(f"confirmations: {confirmations} must be at least 1")
        number = await self.block_number() - confirmations + 1
        return number if number >= 0 else None

    async def get_block(self, block: BlockTag = "latest") -> L1Block | None:
        """The block (transaction hashes only), None if the node has no such block."""
        result = await self.request("eth_getBlockByNumber", [encode_block_tag(block), False])
        return None if result is None else L1Block.from_json(result)

    async def get_block_by_hash(self, block_hash: bytes) -> L1Block | None:
        result = await self.request("eth_getBlockByHash", ["0x" + block_hash.hex(), False])
        return None if result is None else L1Block.from_json(result)

    async def get_balance(self, address: bytes, block: BlockTag = "latest") -> int:
        return quantity(await self.request(
            "eth_getBalance", [_address(address), encode_block_tag(block)]), "eth_getBalance")

    async def get_code(self, address: bytes, block: BlockTag = "latest") -> bytes:
        return data(await self.request(
            "eth_getCode", [_address(address), encode_block_tag(block)]), "eth_getCode")

    async def get_transaction_count(self, address: bytes, block: BlockTag = "latest") -> int:
        """The account's nonce; with "pending", counting its transactions in the node's pool."""
        return quantity(await self.request(
            "eth_getTransactionCount", [_address(address), encode_block_tag(block)]),
            "eth_getTransactionCount")

    # --- logs ----------------------------------------------------------------------------------
    async def get_logs(self, query: LogFilter) -> list[L1Log]:
        """All logs matching ``query``, asked in ranges of at most ``log_range`` blocks; a range
        the node refuses is halved until it answers."""
        logs: list[L1Log] = []
        pending = split_range(query.from_block, query.to_block, self.config.log_range)
        pending.reverse()
        while pending:
            first, last = pending.pop()
            try:
                result = await self.request("eth_getLogs", [query.to_json(first, last)])
            except L1RpcError as error:
                halves = halve(first, last)
                if halves is None or not is_range_refusal(error.code, error.message):
                    raise
                pending.extend(reversed(halves))
                continue
            if not isinstance(result, list):
                raise L1ResponseError(f"eth_getLogs: expected a list, got {result!r:.200}")
            logs.extend(L1Log.from_json(entry) for entry in result)
        return logs

    # --- calls ---------------------------------------------------------------------------------
    async def call(self, request: CallRequest, block: BlockTag = "latest") -> bytes:
        """Return data; a revert raises L1RpcError with ``revert_reason``/``revert_data``."""
        return data(await self.request("eth_call", [_call_object(request),
                                                    encode_block_tag(block)]), "eth_call")

    async def estimate_gas(self, request: CallRequest, block: BlockTag = "latest") -> int:
        return quantity(await self.request("eth_estimateGas", [_call_object(request),
                                                               encode_block_tag(block)]),
                        "eth_estimateGas")

    # --- transactions --------------------------------------------------------------------------
    async def send_raw_transaction(self, raw: bytes) -> bytes:
        """Submit a signed transaction; its hash. A retry that finds it already known (the
        first attempt arrived but its answer was lost) counts as success."""
        local_hash = keccak(raw)
        try:
            result = await self.request("eth_sendRawTransaction", ["0x" + raw.hex()])
        except L1RpcError as error:
            if "already known" in error.message.lower() or \
                    "already imported" in error.message.lower():
                return local_hash
            raise
        return fixed(result, 32, "eth_sendRawTransaction")

    async def get_transaction_receipt(self, tx_hash: bytes) -> L1Receipt | None:
        result = await self.request("eth_getTransactionReceipt", ["0x" + tx_hash.hex()])
        return None if result is None else L1Receipt.from_json(result)

    async def wait_for_receipt(self, tx_hash: bytes, confirmations: int = 1,
                               timeout: float = 60.0, poll_interval: float = 0.2) -> L1Receipt:
        """The receipt once its block has ``confirmations`` blocks on it (1 = included).

        The receipt is read again at the end, so a transaction that a reorganisation moved is
        reported in the block where it finally stands.
        """
        if confirmations < 1:
            raise ValueError(f"confirmations: {confirmations} must be at least 1")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            receipt = await self.get_transaction_receipt(tx_hash)
            if receipt is not None:
                head = await self.block_number()
                if head >= receipt.block_number + confirmations - 1:
                    again = await self.get_transaction_receipt(tx_hash)
                    if again is not None and again.block_hash == receipt.block_hash:
                        return again
            if loop.time() >= deadline:
                state = "not included" if receipt is None else \
                    f"in block {receipt.block_number}, waiting for {confirmations} confirmations"
                raise L1Timeout(f"transaction 0x{tx_hash.hex()} {state} after {timeout}s")
            await asyncio.sleep(poll_interval)

    # --- fees ----------------------------------------------------------------------------------
    async def max_priority_fee(self) -> int:
        return quantity(await self.request("eth_maxPriorityFeePerGas", []),
                        "eth_maxPriorityFeePerGas")

    async def suggest_fees(self) -> FeeSuggestion:
        """Next block's base fee (eth_feeHistory) plus the node's tip suggestion
        (eth_maxPriorityFeePerGas, or the median recent tip where the node lacks it)."""
        history = object_of(await self.request(
            "eth_feeHistory", [hex(FEE_HISTORY_BLOCKS), "latest", [50]]), "eth_feeHistory")
        base_fees = history.get("baseFeePerGas")
        if not isinstance(base_fees, list) or not base_fees:
            raise L1ResponseError("eth_feeHistory: baseFeePerGas missing or empty")
        next_base_fee = quantity(base_fees[-1], "eth_feeHistory.baseFeePerGas[-1]")
        try:
            tip = await self.max_priority_fee()
        except L1RpcError as error:
            if error.code != METHOD_NOT_FOUND:
                raise
            rewards = history.get("reward") or []
            tip = median_reward([[quantity(value, "eth_feeHistory.reward") for value in row]
                                 for row in rewards if isinstance(row, list)]) or 0
        return suggest_fees(next_base_fee, tip)


def _address(address: bytes) -> str:
    if len(address) != 20:
        raise ValueError(f"address 0x{address.hex()} is not 20 bytes")
    return "0x" + address.hex()


def _call_object(request: CallRequest) -> dict[str, Any]:
    call: dict[str, Any] = {}
    if request.sender is not None:
        call["from"] = _address(request.sender)
    if request.to is not None:
        call["to"] = _address(request.to)
    for key, value in (("gas", request.gas), ("gasPrice", request.gas_price),
                       ("maxFeePerGas", request.max_fee_per_gas),
                       ("maxPriorityFeePerGas", request.max_priority_fee_per_gas),
                       ("nonce", request.nonce)):
        if value is not None:
            call[key] = hex(value)
    if request.value:
        call["value"] = hex(request.value)
    if request.data:
        call["input"] = "0x" + request.data.hex()
    if request.access_list:
        call["accessList"] = [
            {"address": _address(address), "storageKeys": [
                "0x" + slot.to_bytes(32, "big").hex() for slot in slots]}
            for address, slots in request.access_list
        ]
    return call
