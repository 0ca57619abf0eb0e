"""A wallet's and a dapp's view of the node: an ERC-20 written in Vyper, driven through web3.py.

Everything goes over real JSON-RPC (HTTP and WebSocket) to a running node; transactions are
signed locally, as they would be by a wallet, because the sequencer holds no user keys.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import AsyncWeb3, Web3, WebSocketProvider
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound
from web3.types import RPCEndpoint, Wei

from .contracts import compile_contract
from .local_signing import (
    GWEI,
    dynamic_fees,
    send_signed,
    sign_transaction,
    transact,
    wait_for_receipt,
)
from .targets import Endpoint

SUPPLY = 1_000_000 * 10**18
TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
REVERT_REASON = "Token: transfer amount exceeds balance"
MAX_TX_SIZE = 128 * 1024
WS_TIMEOUT_S = 30.0

OWNER, RECEIVER, REPLACER, ADMISSION, DUPLICATOR = range(5)


def address_topic(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


@pytest.fixture(scope="module")
def w3(session_w3: Web3) -> Web3:
    return session_w3


@pytest.fixture(scope="module")
def token(w3: Web3, dev_accounts: list[LocalAccount]) -> Contract:
    """Token.vy deployed by dev account 0, which then holds the whole supply."""
    compiled = compile_contract("Token")
    factory = w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
    data = factory.constructor("Ordo Test Token", "OTT", SUPPLY).data_in_transaction
    receipt = transact(w3, dev_accounts[OWNER], {"data": data, "gas": 2_000_000})
    address = receipt["contractAddress"]
    assert address is not None
    assert w3.eth.get_code(address) != b""
    return w3.eth.contract(address=address, abi=compiled.abi)


def send_token_transfer(w3: Web3, token: Contract, sender: LocalAccount, receiver: str,
                        amount: int) -> HexBytes:
    data = token.encode_abi("transfer", [receiver, amount])
    return send_signed(w3, sender, {"to": token.address, "data": data})


# --- the token works --------------------------------------------------------------------------


def test_deployment_mints_the_supply_to_the_deployer(
    w3: Web3, token: Contract, dev_accounts: list[LocalAccount]
) -> None:
    owner = dev_accounts[OWNER].address
    assert token.functions.name().call() == "Ordo Test Token"
    assert token.functions.symbol().call() == "OTT"
    assert token.functions.decimals().call() == 18
    assert token.functions.totalSupply().call() == SUPPLY
    assert token.functions.balanceOf(owner).call() >= SUPPLY // 2
    mint_logs = w3.eth.get_logs({
        "fromBlock": 0, "toBlock": "latest", "address": token.address,
        "topics": [HexBytes(TRANSFER_TOPIC), HexBytes(bytes(32))],
    })
    assert len(mint_logs) == 1
    assert int.from_bytes(mint_logs[0]["data"], "big") == SUPPLY
    assert mint_logs[0]["topics"][2] == HexBytes(address_topic(owner))


def test_transfer_moves_balances_and_is_found_by_log_filters(
    w3: Web3, token: Contract, dev_accounts: list[LocalAccount]
) -> None:
    owner, receiver = dev_accounts[OWNER], dev_accounts[RECEIVER]
    before_owner = token.functions.balanceOf(owner.address).call()
    before_receiver = token.functions.balanceOf(receiver.address).call()
    amount = 1234 * 10**18

    receipt = wait_for_receipt(w3, send_token_transfer(w3, token, owner, receiver.address, amount))

    assert receipt["status"] == 1
    assert token.functions.balanceOf(owner.address).call() == before_owner - amount
    assert token.functions.balanceOf(receiver.address).call() == before_receiver + amount
    (event,) = token.events.Transfer().process_receipt(receipt)
    assert event["args"]["sender"] == owner.address
    assert event["args"]["receiver"] == receiver.address
    assert event["args"]["value"] == amount

    block = receipt["blockNumber"]
    matching = w3.eth.get_logs({
        "fromBlock": block, "toBlock": block, "address": token.address,
        "topics": [HexBytes(TRANSFER_TOPIC), HexBytes(address_topic(owner.address)),
                   HexBytes(address_topic(receiver.address))],
    })
    assert [log["transactionHash"] for log in matching] == [receipt["transactionHash"]]
    assert matching[0]["logIndex"] == receipt["logs"][0]["logIndex"]
    assert matching[0]["blockHash"] == receipt["blockHash"]

    wildcard_sender = w3.eth.get_logs({
        "fromBlock": block, "toBlock": block,
        "topics": [HexBytes(TRANSFER_TOPIC), None, HexBytes(address_topic(receiver.address))],
    })
    assert receipt["transactionHash"] in [log["transactionHash"] for log in wildcard_sender]

    either_receiver = w3.eth.get_logs({
        "fromBlock": block, "toBlock": block, "address": token.address,
        "topics": [None, None, [HexBytes(address_topic(owner.address)),
                                HexBytes(address_topic(receiver.address))]],
    })
    assert receipt["transactionHash"] in [log["transactionHash"] for log in either_receiver]

    wrong_receiver = w3.eth.get_logs({
        "fromBlock": block, "toBlock": block, "address": token.address,
        "topics": [HexBytes(TRANSFER_TOPIC), None, HexBytes(address_topic(owner.address))],
    })
    assert wrong_receiver == []
    other_address = w3.eth.get_logs({
        "fromBlock": block, "toBlock": block, "address": receiver.address,
    })
    assert other_address == []


async def test_websocket_subscriptions_deliver_transfer_logs_and_new_heads(
    w3: Web3, endpoint: Endpoint, token: Contract, dev_accounts: list[LocalAccount]
) -> None:
    owner, receiver = dev_accounts[OWNER], dev_accounts[RECEIVER]
    async with AsyncWeb3(WebSocketProvider(endpoint.ws_url)) as ws_w3:
        logs_id = await ws_w3.eth.subscribe("logs", {
            "address": token.address,
            "topics": [HexBytes(TRANSFER_TOPIC), HexBytes(address_topic(owner.address))],
        })
        heads_id = await ws_w3.eth.subscribe("newHeads")
        assert logs_id != heads_id

        tx_hash = await asyncio.to_thread(
            send_token_transfer, w3, token, owner, receiver.address, 7 * 10**18
        )
        receipt = await asyncio.to_thread(wait_for_receipt, w3, tx_hash)

        seen_logs: list[Any] = []
        seen_heads: list[Any] = []

        async def collect() -> None:
            async for message in ws_w3.socket.process_subscriptions():
                if message["subscription"] == logs_id:
                    seen_logs.append(message["result"])
                elif message["subscription"] == heads_id:
                    seen_heads.append(message["result"])
                if any(log["transactionHash"] == tx_hash for log in seen_logs) and any(
                    head["number"] >= receipt["blockNumber"] for head in seen_heads
                ):
                    return

        await asyncio.wait_for(collect(), WS_TIMEOUT_S)
        assert await ws_w3.eth.unsubscribe(logs_id)
        assert await ws_w3.eth.unsubscribe(heads_id)

    (log,) = [entry for entry in seen_logs if entry["transactionHash"] == tx_hash]
    assert log["address"] == token.address
    assert log["blockNumber"] == receipt["blockNumber"]
    assert int.from_bytes(log["data"], "big") == 7 * 10**18
    assert all(entry["topics"][1] == HexBytes(address_topic(owner.address))
               for entry in seen_logs)
    (head,) = [h for h in seen_heads if h["number"] == receipt["blockNumber"]]
    assert head["hash"] == receipt["blockHash"]
    assert head["parentHash"] == w3.eth.get_block(receipt["blockNumber"] - 1)["hash"]


# --- reverts and gas estimates ----------------------------------------------------------------


def test_revert_reason_reaches_the_client_from_call_and_estimate_gas(
    token: Contract, dev_accounts: list[LocalAccount]
) -> None:
    poor = dev_accounts[ADMISSION].address
    too_much = token.functions.balanceOf(poor).call() + 1
    transfer = token.functions.transfer(dev_accounts[OWNER].address, too_much)

    with pytest.raises(ContractLogicError) as from_call:
        transfer.call({"from": poor})
    assert REVERT_REASON in str(from_call.value)

    with pytest.raises(ContractLogicError) as from_estimate:
        transfer.estimate_gas({"from": poor})
    assert REVERT_REASON in str(from_estimate.value)


def test_gas_estimates_are_sane_and_sufficient(
    w3: Web3, token: Contract, dev_accounts: list[LocalAccount]
) -> None:
    owner, receiver = dev_accounts[OWNER], dev_accounts[RECEIVER]
    plain = w3.eth.estimate_gas({"from": owner.address, "to": receiver.address, "value": Wei(1)})
    assert 21_000 <= plain < 22_000

    transfer = token.functions.transfer(receiver.address, 10**18)
    estimate = transfer.estimate_gas({"from": owner.address})
    assert 21_000 < estimate < 100_000

    data = token.encode_abi("transfer", [receiver.address, 10**18])
    receipt = transact(w3, owner, {"to": token.address, "data": data, "gas": estimate})
    assert receipt["gasUsed"] <= estimate


# --- replacement by fee -----------------------------------------------------------------------


def rpc_error(w3: Web3, raw: bytes) -> str | None:
    """The JSON-RPC error message for eth_sendRawTransaction, or None if it was accepted."""
    response = w3.provider.make_request(RPCEndpoint("eth_sendRawTransaction"), ["0x" + raw.hex()])
    if "error" in response:
        return str(response["error"]["message"])
    return None


def bumped(fees: dict[str, int], percent: int, fields: tuple[str, ...]) -> dict[str, int]:
    return {key: (math.ceil(value * (100 + percent) / 100) if key in fields else value)
            for key, value in fees.items()}


BOTH_FEES = ("maxFeePerGas", "maxPriorityFeePerGas")


def test_replacement_needs_ten_percent_on_both_fees_and_is_what_gets_mined(
    w3: Web3, target: str, dev_accounts: list[LocalAccount]
) -> None:
    sender, receiver = dev_accounts[REPLACER], dev_accounts[RECEIVER].address
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    fees = dynamic_fees(w3)
    # Nonce + 1 waits behind a gap, so it cannot be mined while the test replaces it.
    queued = {"to": receiver, "value": 1, "gas": 21_000, "nonce": nonce + 1}
    original = w3.eth.send_raw_transaction(sign_transaction(w3, sender, {**queued, **fees}))

    if target == "ordo":  # anvil replaces for any higher fee; geth and Ordo need +10% on both
        for too_small in (bumped(fees, 5, BOTH_FEES), bumped(fees, 10, ("maxFeePerGas",)),
                          bumped(fees, 10, ("maxPriorityFeePerGas",))):
            raw = sign_transaction(w3, sender, {**queued, **too_small})
            assert rpc_error(w3, raw) == "replacement transaction underpriced"

    replacement_fees = bumped(fees, 10, BOTH_FEES)
    replacement = w3.eth.send_raw_transaction(
        sign_transaction(w3, sender, {**queued, "value": 2, **replacement_fees})
    )
    assert replacement != original

    gap_filler = send_signed(w3, sender, {"to": receiver, "value": 3, "gas": 21_000,
                                          "nonce": nonce, **fees})
    assert wait_for_receipt(w3, gap_filler)["status"] == 1
    receipt = wait_for_receipt(w3, replacement)
    assert receipt["status"] == 1
    mined = w3.eth.get_transaction(replacement)
    assert mined["nonce"] == nonce + 1
    assert mined["value"] == 2
    assert mined["maxFeePerGas"] == replacement_fees["maxFeePerGas"]
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(original)
    assert w3.eth.get_transaction_count(sender.address, "latest") == nonce + 2


# --- admission errors -------------------------------------------------------------------------


@dataclass(frozen=True)
class AdmissionContext:
    w3: Web3
    accounts: list[LocalAccount]

    @property
    def sender(self) -> LocalAccount:
        return self.accounts[ADMISSION]

    def nonce(self, account: LocalAccount) -> int:
        return self.w3.eth.get_transaction_count(account.address, "pending")

    def transfer(self, account: LocalAccount | None = None, **fields: Any) -> bytes:
        """A valid signed transfer with the given fields overridden."""
        account = account or self.sender
        tx: dict[str, Any] = {"to": self.accounts[RECEIVER].address, "value": 1,
                              "gas": 21_000, "nonce": self.nonce(account),
                              "chainId": self.w3.eth.chain_id, **dynamic_fees(self.w3)}
        tx.update(fields)
        return bytes(account.sign_transaction(tx).raw_transaction)


@dataclass(frozen=True)
class AdmissionCase:
    name: str
    build: Callable[[AdmissionContext], bytes]
    ordo: str
    """The prefix of geth's wording, which Ordo promises."""
    anvil: str | None
    """anvil's own wording, or None where anvil accepts the transaction."""


def _nonce_too_low(ctx: AdmissionContext) -> bytes:
    owner = ctx.accounts[OWNER]  # deployed the token, so its state nonce is at least 1
    assert ctx.w3.eth.get_transaction_count(owner.address, "latest") >= 1
    return ctx.transfer(owner, nonce=0)


def _legacy_without_chain_id(ctx: AdmissionContext) -> bytes:
    tx: dict[str, Any] = {
        "to": ctx.accounts[RECEIVER].address, "value": 1, "gas": 21_000,
        "gasPrice": 2 * dynamic_fees(ctx.w3)["maxFeePerGas"], "nonce": ctx.nonce(ctx.sender),
    }
    raw = bytes(ctx.sender.sign_transaction(tx).raw_transaction)
    v = rlp.decode(raw)[6]
    assert int.from_bytes(v, "big") in (27, 28), "expected a pre-EIP-155 signature"
    return raw


def _blob_transaction(ctx: AdmissionContext) -> bytes:
    tx: dict[str, Any] = {
        "type": 3, "chainId": ctx.w3.eth.chain_id, "nonce": ctx.nonce(ctx.sender),
        "to": ctx.accounts[RECEIVER].address, "value": 0, "gas": 21_000,
        "maxFeePerBlobGas": GWEI, "blobVersionedHashes": [b"\x01" + bytes(31)],
        **dynamic_fees(ctx.w3),
    }
    raw = bytes(ctx.sender.sign_transaction(tx).raw_transaction)
    assert raw[0] == 3
    return raw


def _fee_cap_higher_than_tip(ctx: AdmissionContext) -> bytes:
    cap = dynamic_fees(ctx.w3)["maxFeePerGas"]
    return ctx.transfer(maxFeePerGas=cap, maxPriorityFeePerGas=cap + 1)


ADMISSION_CASES = [
    AdmissionCase("nonce too low", _nonce_too_low, "nonce too low", "nonce too low"),
    AdmissionCase("nonce gap too large",
                  lambda ctx: ctx.transfer(nonce=ctx.nonce(ctx.sender) + 1_000),
                  "nonce too high", None),
    AdmissionCase("insufficient funds", lambda ctx: ctx.transfer(Account.create()),
                  "insufficient funds for gas * price + value",
                  "Insufficient funds for gas * price + value"),
    AdmissionCase("intrinsic gas too low", lambda ctx: ctx.transfer(gas=20_999),
                  "intrinsic gas too low", "intrinsic gas too low"),
    AdmissionCase("exceeds block gas limit",
                  lambda ctx: ctx.transfer(gas=ctx.w3.eth.get_block("latest")["gasLimit"] + 1),
                  "exceeds block gas limit", "intrinsic gas too high"),
    AdmissionCase("fee cap below the base fee floor",
                  lambda ctx: ctx.transfer(maxFeePerGas=1, maxPriorityFeePerGas=1),
                  "max fee per gas less than block base fee",
                  "max fee per gas less than block base fee"),
    AdmissionCase("tip above fee cap", _fee_cap_higher_than_tip,
                  "max priority fee per gas higher than max fee per gas",
                  "max priority fee per gas higher than max fee per gas"),
    AdmissionCase("oversized data",
                  lambda ctx: ctx.transfer(data=bytes(MAX_TX_SIZE), gas=2_000_000),
                  "oversized data", None),
    AdmissionCase("wrong chain id", lambda ctx: ctx.transfer(chainId=1),
                  "invalid chain id for signer", "invalid chain id for signer"),
    AdmissionCase("unprotected legacy transaction", _legacy_without_chain_id,
                  "only replay-protected (EIP-155) transactions allowed over RPC", None),
    AdmissionCase("blob transaction", _blob_transaction,
                  "transaction type not supported",
                  "eip4844 tx variant without sidecar"),
    AdmissionCase("garbage bytes", lambda ctx: b"\xde\xad\xbe\xef", "rlp",
                  "Failed to decode transaction"),
]


@pytest.mark.parametrize("case", ADMISSION_CASES, ids=[case.name for case in ADMISSION_CASES])
def test_admission_refuses_with_geths_wording(
    w3: Web3, target: str, token: Contract, dev_accounts: list[LocalAccount],
    case: AdmissionCase,
) -> None:
    expected = case.ordo if target == "ordo" else case.anvil
    if expected is None:
        pytest.skip(f"{target} accepts this transaction; the refusal is Ordo's own policy")
    ctx = AdmissionContext(w3, dev_accounts)
    raw = case.build(ctx)
    nonce_before = ctx.nonce(ctx.sender)

    message = rpc_error(w3, raw)

    assert message is not None, f"{case.name}: the node accepted the transaction"
    assert message.startswith(expected), f"{case.name}: got {message!r}"
    assert ctx.nonce(ctx.sender) == nonce_before
    assert w3.eth.block_number >= 0  # the node still answers


def test_oversized_data_limit_is_exactly_128_kib(w3: Web3, target: str,
                                                 dev_accounts: list[LocalAccount]) -> None:
    """Geth's limit counts the whole signed transaction: just under 128 KiB is still admitted."""
    if target != "ordo":
        pytest.skip(f"{target} has no transaction size limit of 128 KiB")
    ctx = AdmissionContext(w3, dev_accounts)
    overhead = len(ctx.transfer(data=b"", gas=2_000_000))
    fitting = ctx.transfer(data=bytes(MAX_TX_SIZE - overhead - 8), gas=2_000_000)
    assert len(fitting) <= MAX_TX_SIZE
    tx_hash = w3.eth.send_raw_transaction(fitting)
    assert wait_for_receipt(w3, tx_hash)["status"] == 1


def test_resending_a_known_transaction_is_refused_as_already_known(
    w3: Web3, target: str, dev_accounts: list[LocalAccount]
) -> None:
    sender = dev_accounts[DUPLICATOR]
    ctx = AdmissionContext(w3, dev_accounts)
    nonce = ctx.nonce(sender)
    # Behind a nonce gap the first copy stays in the pool, whatever the block timing.
    raw = ctx.transfer(sender, nonce=nonce + 1)
    first = w3.eth.send_raw_transaction(raw)
    assert first == HexBytes(keccak(raw))

    message = rpc_error(w3, raw)

    expected = "already known" if target == "ordo" else "transaction already imported"
    assert message is not None and message.startswith(expected), message
    pending = w3.eth.get_transaction(first)
    assert pending["nonce"] == nonce + 1
    filler = w3.eth.send_raw_transaction(ctx.transfer(sender, nonce=nonce))
    wait_for_receipt(w3, filler)
    assert cast(dict[str, Any], wait_for_receipt(w3, first))["status"] == 1
