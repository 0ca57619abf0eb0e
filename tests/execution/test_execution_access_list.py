"""eth_createAccessList's core: accessed slots and accounts, the exclusions, the gas with it."""

from __future__ import annotations

import rlp
from eth_utils import keccak

from ordo.core.call import CallRequest
from ordo.execution.call_overrides import AccountOverride, CallOverrides
from tests.execution.execution_chain import LocalChain, address_of, calldata, sign

FEES = dict(maxFeePerGas=10**10, maxPriorityFeePerGas=1)
PROBE = bytes.fromhex("9e" * 20)
OTHER = bytes.fromhex("0f" * 20)


def deploy_recorder(chain: LocalChain, key: bytes, bytecode: bytes) -> bytes:
    chain.build([sign(key, chain.genesis.chain_id, nonce=0, gas=2_000_000, data=bytecode,
                      **FEES)])
    return keccak(rlp.encode([address_of(key), 0]))[12:]


def test_lists_the_recipients_slots_and_the_gas_with_the_list(
        chain: LocalChain, keys: list[bytes], recorder: tuple[bytes, list]) -> None:
    deployed = deploy_recorder(chain, keys[0], recorder[0])
    request = CallRequest(sender=address_of(keys[0]), to=deployed,
                          data=calldata("store(uint256)", ["uint256"], [5]))
    result = chain.engine.create_access_list(chain.head, request)
    # the recipient itself is warm, but its slots (stored, total) are listed
    assert result.access_list == ((deployed, (0, 1)),)
    assert result.error is None
    # sending with exactly gasUsed as the gas limit works (what web3's test does)
    tx = sign(keys[0], chain.genesis.chain_id, nonce=1, gas=result.gas_used, to=deployed,
              data=request.data, accessList=[{"address": "0x" + deployed.hex(),
                                              "storageKeys": ["0x" + "00" * 32,
                                                              "0x" + "00" * 31 + "01"]}],
              **FEES)
    built = chain.build([tx])
    assert built.skipped == () and built.executed.receipts[0].state_root == b"\x01"
    assert built.executed.receipts[0].gas_used == result.gas_used


def test_lists_other_accounts_but_not_sender_or_precompiles(chain: LocalChain) -> None:
    # BALANCE(OTHER), BALANCE(sender=CALLER), STATICCALL to the identity precompile (0x04)
    code = bytes.fromhex("73" + OTHER.hex() + "31" + "50" + "33" + "31" + "50"
                         + "60006000600060006004" + "5a" + "fa" + "50" + "00")
    sender = bytes.fromhex("5e" * 20)
    result = chain.engine.create_access_list(
        chain.head, CallRequest(sender=sender, to=PROBE),
        CallOverrides(state={PROBE: AccountOverride(code=code)}))
    assert result.access_list == ((OTHER, ()),)
    assert result.error is None


def test_reverting_call_reports_the_error_and_still_lists(chain: LocalChain) -> None:
    code = bytes.fromhex("600754" + "50" + "60006000fd")  # SLOAD(7), REVERT
    result = chain.engine.create_access_list(
        chain.head, CallRequest(to=PROBE),
        CallOverrides(state={PROBE: AccountOverride(code=code)}))
    assert result.access_list == ((PROBE, (7,)),)
    assert result.error == "execution reverted"
    assert result.gas_used > 21_000


def test_given_list_is_kept_and_excluded_addresses_dropped(chain: LocalChain) -> None:
    sender = bytes.fromhex("5e" * 20)
    given = ((sender, ()), (OTHER, (3,)), (bytes.fromhex("00" * 19 + "01"), ()))
    result = chain.engine.create_access_list(
        chain.head, CallRequest(sender=sender, to=PROBE, access_list=given))
    assert result.access_list == ((OTHER, (3,)),)
    assert result.gas_used == 21_000 + 2_400 + 1_900
