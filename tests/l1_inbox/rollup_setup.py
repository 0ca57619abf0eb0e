"""A pool with four staked sequencers (stakes 40k, 40k, 20k, 20k: 2/3 is exactly 80k), a forced
inclusion queue and an inbox the pool credits rewards for; plus the verbs the tests need to make,
sign and submit batch headers with Ordo's own Python signing code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import RPCEndpoint, TxReceipt, Wei

from ordo.batcher.batch_header import (
    BatchHeader,
    DataKind,
    Producer,
    batch_digest,
    calldata_data_hash,
    sign_batch_header,
)
from ordo.consensus.signing import LocalSigner
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, TX_GAS, AnvilChain, TransactionFailed
from tests.l1_contracts.ordo_votes import validator_key
from tests.l1_contracts.pool_deployment import TOKEN, PoolDeployment, deploy_pool

STAKES = (40_000 * TOKEN, 40_000 * TOKEN, 20_000 * TOKEN, 20_000 * TOKEN)
INCLUSION_WINDOW = 10
FORCED_FEE = 10**15
PAYLOAD = b"\x01compressed blocks would be here"
CHALLENGE_WINDOW = 30
"""Seconds; the pool's exit delay (100 s) exceeds it plus the longest dispute."""
MAX_DISPUTE_DURATION = 20
SEQUENCER_TIMEOUT = 600
"""Seconds without a batch before fallback batches open (tests move anvil's clock past it)."""
FALLBACK_BOND = 10**17
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass
class RollupSetup:
    pools: PoolDeployment
    queue: Contract
    inbox: Contract
    keys: list[LocalSigner]
    epoch: int

    @property
    def chain(self) -> AnvilChain:
        return self.pools.chain

    @property
    def poster(self) -> LocalAccount:
        return self.chain.accounts[7]

    @property
    def inbox_address(self) -> bytes:
        return bytes.fromhex(self.inbox.address[2:])

    def header(self, index: int, first_block: int, last_block: int, payload: bytes = PAYLOAD,
               *, producers: Sequence[Producer] | None = None, forced_through: int = 0,
               epoch: int | None = None, output_root: bytes = b"\x5a" * 32,
               data_kind: DataKind = DataKind.CALLDATA,
               data_hash: bytes | None = None,
               inputs_root: bytes = b"\x1b" * 32) -> BatchHeader:
        chosen = tuple(producers) if producers is not None else \
            (Producer(self.keys[0].address, last_block - first_block + 1),)
        return BatchHeader(
            index=index, first_block=first_block, last_block=last_block,
            last_block_hash=(last_block % 256).to_bytes(1, "big") * 32, output_root=output_root,
            inputs_root=inputs_root, data_kind=data_kind,
            data_hash=data_hash if data_hash is not None else calldata_data_hash(payload),
            epoch=self.epoch if epoch is None else epoch, producers=chosen,
            forced_through=forced_through)

    def digest(self, header: BatchHeader) -> bytes:
        return batch_digest(header, self.pools.pool.functions.l2_chain_id().call(),
                            self.inbox_address)

    def signatures(self, header: BatchHeader, signers: Sequence[int] = (0, 1, 2),
                   keys: Sequence[LocalSigner] | None = None) -> list[bytes]:
        """Signatures of the given validator indexes, in ascending signer order."""
        chosen = list(keys) if keys is not None else [self.keys[index] for index in signers]
        chain_id = self.pools.pool.functions.l2_chain_id().call()
        chosen.sort(key=lambda key: key.address)
        return [sign_batch_header(key, header, chain_id, self.inbox_address) for key in chosen]

    def submit_call(self, header: BatchHeader, signatures: Sequence[bytes],
                    payload: bytes = PAYLOAD) -> ContractFunction:
        return self.inbox.functions.submit_batch(header.as_abi_tuple(), list(signatures),
                                                 payload)

    def submit(self, header: BatchHeader, payload: bytes = PAYLOAD,
               signers: Sequence[int] = (0, 1, 2)) -> TxReceipt:
        return self.chain.send(self.submit_call(header, self.signatures(header, signers),
                                                payload), self.poster)

    def refusal(self, header: BatchHeader, signatures: Sequence[bytes] | None = None,
                payload: bytes = PAYLOAD) -> str:
        chosen = self.signatures(header) if signatures is None else signatures
        return self.chain.revert_reason(self.submit_call(header, chosen, payload), self.poster)

    def accepted(self, receipt: TxReceipt) -> list[dict[str, Any]]:
        event = self.inbox.events.BatchAccepted()
        return [dict(entry["args"]) for entry in event.process_receipt(receipt, errors=DISCARD)]

    def owed(self, index: int) -> int:
        owner = self.pools.account(index + 1).address
        return int(self.pools.sequencer(owner)["rewards_owed"])

    def mine(self, blocks: int) -> None:
        self.chain.w3.provider.make_request(RPCEndpoint("anvil_mine"), [hex(blocks)])

    def enqueue(self, raw_transaction: bytes = b"\x02forced") -> TxReceipt:
        return send_paying(self.chain, self.queue.functions.enqueue_transaction(raw_transaction),
                           self.chain.accounts[8], FORCED_FEE)


def send_paying(chain: AnvilChain, call: ContractFunction, sender: LocalAccount,
                value: int) -> TxReceipt:
    """AnvilChain.send with ETH attached (a payable call)."""
    transaction: Any = call.build_transaction({
        "from": sender.address, "value": Wei(value), "gas": TX_GAS, "chainId": ANVIL_CHAIN_ID,
        "nonce": chain.w3.eth.get_transaction_count(sender.address, "pending")})
    signed = sender.sign_transaction(transaction)
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)
    if receipt["status"] != 1:
        raise TransactionFailed(f"payable call from {sender.address} reverted")
    return receipt


def deploy_rollup_setup(chain: AnvilChain, disputes: str = ZERO_ADDRESS) -> RollupSetup:
    """``disputes``: the dispute game the inbox asks (a test double), none by default."""
    pools = deploy_pool(chain)
    keys = [validator_key(index) for index in range(len(STAKES))]
    for index, (key, stake) in enumerate(zip(keys, STAKES, strict=True)):
        pools.lock(pools.account(index + 1), stake, to_checksum_address(key.address))
    pools.advance_epoch()
    epoch = int(pools.pool.functions.current_epoch().call())
    owner = pools.owner
    queue = chain.deploy("ForcedInclusionQueue", INCLUSION_WINDOW, FORCED_FEE,
                         chain.accounts[9].address, sender=owner)
    inbox = chain.deploy("RollupInbox", pools.pool.address, queue.address, CHALLENGE_WINDOW,
                         MAX_DISPUTE_DURATION, disputes, SEQUENCER_TIMEOUT, FALLBACK_BOND,
                         sender=owner)
    chain.send(pools.pool.functions.set_inbox(inbox.address), owner)
    return RollupSetup(pools, queue, inbox, keys, epoch)
