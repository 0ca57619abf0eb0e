"""A deployed contract seen through its ABI: calls, transactions and events over an L1Client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ordo.core.call import CallRequest
from ordo.l1.abi_codec import AbiError, ContractAbi, DecodedEvent
from ordo.l1.chain_records import BlockTag, L1Log, L1Receipt, LogFilter
from ordo.l1.client import L1Client
from ordo.l1.local_account import LocalAccount, SentTransaction
from ordo.l1.rpc_errors import L1Error


class DeploymentFailed(L1Error):
    """The deployment transaction was mined but reverted (or created no contract)."""


class ContractHandle:
    def __init__(self, client: L1Client, address: bytes,
                 abi: Sequence[dict[str, Any]] | ContractAbi) -> None:
        if len(address) != 20:
            raise ValueError(f"contract address 0x{address.hex()} is not 20 bytes")
        self.client = client
        self.address = address
        self.abi = abi if isinstance(abi, ContractAbi) else ContractAbi.parse(abi)
        self._events_by_topic = {event.topic: event for event in self.abi.events.values()
                                 if not event.anonymous}

    @classmethod
    async def deploy(cls, client: L1Client, account: LocalAccount,
                     abi: Sequence[dict[str, Any]], bytecode: bytes, *arguments: Any,
                     value: int = 0, confirmations: int = 1,
                     timeout: float = 60.0) -> tuple[ContractHandle, L1Receipt]:
        parsed = ContractAbi.parse(abi)
        init_code = bytecode + parsed.encode_constructor(arguments)
        sent = await account.send_transaction(None, init_code, value)
        receipt = await client.wait_for_receipt(sent.tx_hash, confirmations, timeout)
        if not receipt.succeeded or receipt.contract_address is None:
            raise DeploymentFailed(f"deployment 0x{sent.tx_hash.hex()} failed in block "
                                   f"{receipt.block_number}")
        return cls(client, receipt.contract_address, parsed), receipt

    # --- calls ---------------------------------------------------------------------------------
    def encode_call(self, function: str, *arguments: Any) -> bytes:
        return self.abi.function(function, len(arguments)).encode_call(arguments)

    def decode_result(self, function: str, argument_count: int, payload: bytes) -> Any:
        """One output as itself, none as None, several as a tuple."""
        values = self.abi.function(function, argument_count).decode_result(payload)
        if not values:
            return None
        return values[0] if len(values) == 1 else values

    async def call(self, function: str, *arguments: Any, block: BlockTag = "latest",
                   sender: bytes | None = None) -> Any:
        payload = await self.client.call(
            CallRequest(sender=sender, to=self.address,
                        data=self.encode_call(function, *arguments)), block)
        return self.decode_result(function, len(arguments), payload)

    async def transact(self, account: LocalAccount, function: str, *arguments: Any,
                       value: int = 0, gas: int | None = None) -> SentTransaction:
        """Send a transaction calling ``function``; a revert seen while estimating gas raises
        L1RpcError with the reason, before anything is sent."""
        return await account.send_transaction(
            self.address, self.encode_call(function, *arguments), value, gas)

    # --- events --------------------------------------------------------------------------------
    def decode_log(self, log: L1Log) -> DecodedEvent | None:
        """The event a log of this contract is, None for a log this ABI does not describe."""
        if log.address != self.address or not log.topics:
            return None
        event = self._events_by_topic.get(log.topics[0])
        return None if event is None else event.decode(log)

    def decode_receipt(self, receipt: L1Receipt) -> list[DecodedEvent]:
        events = (self.decode_log(log) for log in receipt.logs)
        return [event for event in events if event is not None]

    async def get_events(self, event_name: str, from_block: int, to_block: int,
                         topics: Sequence[bytes | tuple[bytes, ...] | None] = ()
                         ) -> list[DecodedEvent]:
        """``event_name`` events emitted in blocks ``from_block..to_block``; ``topics`` filter
        the indexed arguments in order."""
        event = self.abi.event(event_name)
        if event.anonymous:
            raise AbiError(f"{event_name} is anonymous: it cannot be found by its topic")
        query = LogFilter(from_block, to_block, (self.address,), (event.topic, *topics))
        return [event.decode(log) for log in await self.client.get_logs(query)]
