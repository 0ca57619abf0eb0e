"""deploy_rollup next to deploy_staking over Ordo's own L1 client, and one batch posted through a
ContractHandle: the path the node-side batcher will take."""

from __future__ import annotations

from ordo.batcher.batch_header import (
    BatchHeader,
    DataKind,
    Producer,
    batch_digest,
    calldata_data_hash,
    ordered_signatures,
    sign_batch_header,
)
from ordo.consensus.signing import LocalSigner
from ordo.core.genesis import dev_private_keys
from ordo.l1.client import L1Client
from ordo.l1.deploy import deploy_staking, pool_handle, stake_devnet_sequencers
from ordo.l1.local_account import LocalAccount
from ordo.l1.rollup_deploy import RollupParams, deploy_rollup, inbox_at, queue_at
from ordo.l1.staking_params import StakingParams
from tests.l1_contracts.anvil_chain import AnvilChain

L2_CHAIN_ID = 902


async def test_deploys_the_inbox_and_posts_a_batch(chain: AnvilChain) -> None:
    url = str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    async with L1Client(url) as client:
        deployer = LocalAccount(client, dev_private_keys(1)[0])
        staking = await deploy_staking(client, deployer, StakingParams(L2_CHAIN_ID))
        signers = [LocalSigner((0xB0B0 + index).to_bytes(32, "big")) for index in range(3)]
        staked = await stake_devnet_sequencers(client, staking, deployer,
                                               [key.address for key in signers],
                                               time_travel=True)
        rollup = await deploy_rollup(client, deployer, staking,
                                     RollupParams(inclusion_window=20, forced_fee=7))
        inbox = inbox_at(client, rollup.inbox)
        queue = queue_at(client, rollup.queue)
        assert await pool_handle(client, staking).call("inbox") == "0x" + rollup.inbox.hex()
        assert await inbox.call("l2_chain_id") == L2_CHAIN_ID
        assert await queue.call("inclusion_window") == 20
        assert await queue.call("min_fee") == 7
        assert await queue.call("fee_recipient") == "0x" + deployer.address.hex()
        assert rollup.to_json()["inbox_deploy_block"] == rollup.deploy_block

        payload = b"\x01batch"
        header = BatchHeader(
            index=0, first_block=1, last_block=2, last_block_hash=b"\x01" * 32,
            output_root=b"\x02" * 32, inputs_root=b"\x03" * 32, data_kind=DataKind.CALLDATA,
            data_hash=calldata_data_hash(payload), epoch=staked.live_epoch,
            producers=(Producer(signers[0].address, 2),), forced_through=0)
        digest = batch_digest(header, L2_CHAIN_ID, rollup.inbox)
        members = [entry.signer for entry in staked.sequencers]
        signatures = ordered_signatures(
            digest, [sign_batch_header(key, header, L2_CHAIN_ID, rollup.inbox)
                     for key in reversed(signers)], members)
        assert len(signatures) == 3
        sent = await inbox.transact(deployer, "submit_batch", header.as_abi_tuple(), signatures,
                                    payload)
        receipt = await client.wait_for_receipt(sent.tx_hash)
        (event,) = inbox.decode_receipt(receipt)
        assert event.name == "BatchAccepted"
        assert event.arguments["header_hash"] == digest
        assert await inbox.call("next_index") == 1
