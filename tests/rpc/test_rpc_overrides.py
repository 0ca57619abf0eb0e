"""State and block overrides reach the backend decoded, for eth_call and eth_estimateGas."""

from __future__ import annotations

from ordo.execution.call_overrides import NO_OVERRIDES, AccountOverride, BlockOverrides
from tests.rpc.conftest import RpcClient

ACCOUNT = "0x" + "ab" * 20
SLOT = "0x" + "00" * 31 + "05"
VALUE = "0x" + "00" * 30 + "0102"


async def test_call_decodes_every_state_override_field(rpc: RpcClient) -> None:
    await rpc.call("eth_call", {"to": ACCOUNT}, "latest", {ACCOUNT: {
        "balance": "0x10", "nonce": "0x3", "code": "0x6001", "stateDiff": {SLOT: VALUE}}})
    overrides = rpc.backend.last_overrides
    assert overrides is not None and overrides.block is None
    assert overrides.state == {bytes.fromhex("ab" * 20): AccountOverride(
        balance=16, nonce=3, code=b"\x60\x01", state=None, state_diff={5: 0x102})}


async def test_estimate_gas_decodes_state_and_block_overrides(rpc: RpcClient) -> None:
    await rpc.call("eth_estimateGas", {"to": ACCOUNT}, "latest", {ACCOUNT: {"state": {}}}, {
        "number": "0x99", "time": "0x5", "gasLimit": "0x5208", "feeRecipient": ACCOUNT,
        "prevRandao": SLOT, "baseFeePerGas": "0x7", "blobBaseFee": "0x2", "difficulty": "0x1"})
    overrides = rpc.backend.last_overrides
    assert overrides is not None
    assert overrides.state[bytes.fromhex("ab" * 20)].state == {}
    assert overrides.block == BlockOverrides(
        number=0x99, time=5, gas_limit=21_000, fee_recipient=bytes.fromhex("ab" * 20),
        prev_randao=bytes.fromhex(SLOT[2:]), base_fee_per_gas=7, blob_base_fee=2)


async def test_no_overrides_and_null_overrides_are_the_same(rpc: RpcClient) -> None:
    await rpc.call("eth_call", {"to": ACCOUNT}, "latest", None, None)
    assert rpc.backend.last_overrides is NO_OVERRIDES
    await rpc.call("eth_call", {"to": ACCOUNT})
    assert rpc.backend.last_overrides is NO_OVERRIDES


async def test_unsupported_override_fields_are_refused(rpc: RpcClient) -> None:
    error = await rpc.error("eth_call", {"to": ACCOUNT}, "latest", {
        "0x" + "00" * 19 + "01": {"movePrecompileToAddress": ACCOUNT}})
    assert error["code"] == -32602 and "movePrecompileToAddress is not supported" in \
        error["message"]
    error = await rpc.error("eth_call", {"to": ACCOUNT}, "latest", [ACCOUNT])
    assert error == {"code": -32602, "message":
                     "invalid argument 2: state override must be an object, got array"}
    error = await rpc.error("eth_call", {"to": ACCOUNT}, "latest", {}, {"numbr": "0x1"})
    assert error["message"] == "invalid argument 3: unknown field 'numbr' in block override"


async def test_create_access_list_shape(rpc: RpcClient) -> None:
    token = "0x" + "11" * 20
    answer = await rpc.call("eth_createAccessList", {"to": token}, "latest",
                            {ACCOUNT: {"balance": "0x1"}})
    assert answer == {
        "accessList": [
            {"address": token, "storageKeys": ["0x" + "00" * 31 + "01", "0x80" + "00" * 31]},
            {"address": "0x" + "33" * 20, "storageKeys": []},
        ],
        "gasUsed": hex(30_000),
    }
    assert rpc.backend.last_overrides is not None
    assert rpc.backend.last_overrides.state[bytes.fromhex("ab" * 20)].balance == 1
    reverted = await rpc.call("eth_createAccessList", {"to": token, "data": "0xfd"})
    assert reverted["error"] == "execution reverted"
    failed = await rpc.error("eth_createAccessList", {"to": "0x" + "ff" * 20})
    assert failed == {"code": -32000, "message": "out of gas"}
