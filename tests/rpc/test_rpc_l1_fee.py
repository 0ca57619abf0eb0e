"""Receipts of a chain with the L1 data fee carry OP's fields (docs/state_transition.md 6.4);
a chain without it shows none of them."""

from __future__ import annotations

from ordo.core.l1_fee import L1FeeRules, L1Prices
from tests.rpc.conftest import RpcFactory
from tests.rpc.rpc_chain import FakeBackend, token_transfer

GWEI = 10**9
FIELDS = ("l1Fee", "l1GasUsed", "l1GasPrice", "l1BlobBaseFee", "l1BaseFeeScalar",
          "l1BlobBaseFeeScalar")


async def test_receipts_carry_op_l1_fee_fields(backend: FakeBackend,
                                               make_rpc: RpcFactory) -> None:
    rpc = await make_rpc()
    plain = await rpc.call("eth_getBlockReceipts", "latest")
    assert all(field not in receipt for receipt in plain for field in FIELDS)

    backend.l1_fee_rules = L1FeeRules(base_fee_scalar=2_000, blob_base_fee_scalar=700_000)
    backend.l1_prices = L1Prices(30 * GWEI, 5 * GWEI)
    block = backend.append_block([token_transfer(5, 77)])
    tx = block.transactions[0]
    raw = tx.encode()
    l1_gas = sum(4 if byte == 0 else 16 for byte in raw)
    fee = l1_gas * (16 * 2_000 * 30 * GWEI + 700_000 * 5 * GWEI) // 16_000_000
    receipt = await rpc.call("eth_getTransactionReceipt", "0x" + bytes(tx.hash).hex())
    assert {field: int(receipt[field], 16) for field in FIELDS} == {
        "l1Fee": fee, "l1GasUsed": l1_gas, "l1GasPrice": 30 * GWEI,
        "l1BlobBaseFee": 5 * GWEI, "l1BaseFeeScalar": 2_000, "l1BlobBaseFeeScalar": 700_000}
    assert (await rpc.call("eth_getBlockReceipts", "latest"))[0]["l1Fee"] == hex(fee)
