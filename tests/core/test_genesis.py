from pathlib import Path

import pytest

from ordo.core.genesis import (
    ConsensusRules,
    Genesis,
    GenesisValidator,
    dev_private_keys,
    devnet_genesis,
)
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS, message_passer_code


def test_dev_accounts_are_hardhat_and_anvil_accounts() -> None:
    from eth_account import Account

    first = Account.from_key(dev_private_keys()[0]).address
    assert first == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    genesis = devnet_genesis()
    assert genesis.alloc[bytes.fromhex(first[2:])].balance == 10_000 * 10**18
    assert len(genesis.alloc) == 11, "ten dev accounts and the message passer"
    assert genesis.alloc[MESSAGE_PASSER_ADDRESS].code == message_passer_code()
    assert MESSAGE_PASSER_ADDRESS not in devnet_genesis(predeploys=False).alloc


def test_round_trip_with_validators(tmp_path: Path) -> None:
    genesis = devnet_genesis(
        validators=(GenesisValidator(b"\x01" * 20, 100), GenesisValidator(b"\x02" * 20, 300)),
        consensus=ConsensusRules(epoch_length=10),
    )
    path = tmp_path / "genesis.json"
    genesis.save(path)
    assert Genesis.load(path) == genesis


@pytest.mark.parametrize("document, message", [
    ({}, "missing key 'chainId'"),
    ({"chainId": 0}, "chainId 0"),
    ({"chainId": 1, "validators": [{"address": "0x01", "stake": "1"}]}, "not 20 bytes"),
    ({"chainId": 1, "validators": [{"address": "0x" + "01" * 20, "stake": "0"}]},
     "stakes must be positive"),
    ({"chainId": 1, "validators": [{"address": "0x" + "01" * 20, "stake": "1"}] * 2},
     "listed twice"),
    ({"chainId": 1, "consensus": {"epoch_length": 0}}, "consensus.epoch_length"),
    ({"chainId": 1, "consensus": {"bogus": 1}}, "invalid value"),
    ({"chainId": 1, "alloc": {"0x" + "01" * 20: {"balance": "lots"}}}, "invalid value"),
])
def test_bad_documents_name_the_problem(document: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Genesis.from_json(document)
