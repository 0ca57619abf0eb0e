"""eth_accounts and eth_sendTransaction for the development accounts, as anvil serves them.

Tools such as ``cast send --unlocked``, hardhat's default network config and web3's
``eth.send_transaction`` let the node sign; the dev L1 holds the development mnemonic's keys
(public by design) and signs for them only. Anything else is refused with geth's "unknown
account".
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.call import CallRequest
from ordo.core.errors import CallFailed, ExecutionReverted, RejectedTransaction
from ordo.core.genesis import dev_private_keys
from ordo.devchain.dev_chain import DevChain
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.errors import EXECUTION_REVERTED, RpcError, ServerError
from ordo.rpc.hex_values import encode_data
from ordo.rpc.params import Arguments, decode_call_request

BASE_FEE_HEADROOM = 2


def development_keys() -> dict[bytes, bytes]:
    """Address -> key of the development mnemonic's accounts (the genesis-funded ones)."""
    return {bytes.fromhex(Account.from_key(key).address[2:]): key for key in dev_private_keys()}


def make_unlocked_account_methods(dev: DevChain, keys: dict[bytes, bytes]) -> MethodTable:
    node = dev.node
    addresses = sorted(keys)

    def eth_accounts(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
        Arguments(params, 0)
        return [to_checksum_address(address) for address in addresses]

    async def eth_send_transaction(ctx: RpcContext, params: list[Any],
                                   session: Session | None) -> Any:
        request = Arguments(params, 1).required(
            0, lambda value: decode_call_request(value, ctx.limits))
        if request.sender is None:
            raise ServerError('missing "from": the account to send from')
        key = keys.get(request.sender)
        if key is None:
            raise ServerError("unknown account")
        try:
            raw = bytes(Account.sign_transaction(_fill(request), key).raw_transaction)
            tx_hash = await node.submit_raw_transaction(raw)
        except ExecutionReverted as error:
            raise RpcError(EXECUTION_REVERTED, error.message,
                           encode_data(error.revert_data)) from error
        except (CallFailed, RejectedTransaction) as error:
            raise ServerError(error.message) from error
        return encode_data(tx_hash)

    def _fill(request: CallRequest) -> dict[str, Any]:
        """The transaction with anvil's defaults: pending nonce, estimated gas, EIP-1559 fees
        (legacy when a gasPrice is given)."""
        assert request.sender is not None
        head = node.head_number()
        transaction: dict[str, Any] = {
            "chainId": node.chain_id,
            "nonce": request.nonce if request.nonce is not None
            else node.pending_nonce(request.sender),
            "gas": request.gas if request.gas is not None else node.estimate_gas(request, head),
            "value": request.value,
            "data": request.data,
        }
        if request.to is not None:
            transaction["to"] = to_checksum_address(request.to)
        if request.gas_price is not None:
            transaction["gasPrice"] = request.gas_price
            return transaction
        tip = request.max_priority_fee_per_gas
        if tip is None:
            tip = node.suggested_priority_fee()
        max_fee = request.max_fee_per_gas
        if max_fee is None:
            max_fee = BASE_FEE_HEADROOM * node.next_base_fee() + tip
        transaction.update(type=2, maxFeePerGas=max_fee, maxPriorityFeePerGas=min(tip, max_fee))
        if request.access_list:
            transaction["accessList"] = [
                {"address": to_checksum_address(address),
                 "storageKeys": ["0x" + slot.to_bytes(32, "big").hex() for slot in slots]}
                for address, slots in request.access_list
            ]
        return transaction

    return {"eth_accounts": eth_accounts, "eth_sendTransaction": eth_send_transaction}
