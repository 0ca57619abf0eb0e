"""web3_*, net_*, node-level eth_* methods and the ordo_ namespace."""

from __future__ import annotations

from typing import Any

from eth_hash.auto import keccak

from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.hex_values import decode_data, decode_hash, encode_data, encode_quantity
from ordo.rpc.params import Arguments, decode_block_number


def web3_client_version(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return ctx.backend.client_version


def web3_sha3(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    data = Arguments(params, 1).required(0, lambda v: decode_data(v, ctx.limits.max_data_bytes))
    return encode_data(keccak(data))


def net_version(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return str(ctx.backend.chain_id)


def net_listening(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return True


def net_peer_count(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return encode_quantity(ctx.backend.peer_count())


def eth_chain_id(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return encode_quantity(ctx.backend.chain_id)


def eth_syncing(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    progress = ctx.backend.syncing()
    if progress is None:
        return False
    return {key: encode_quantity(value) for key, value in progress.items()}


def eth_accounts(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return []


def ordo_status(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    Arguments(params, 0)
    return ctx.backend.status()


def ordo_get_transaction_status(
    ctx: RpcContext, params: list[Any], session: Session | None
) -> Any:
    """Where an acknowledged transaction is: included, pending, dropped (with why) or unknown.

    Ethereum's RPC has no way to learn why a transaction vanished from a pool; Ordo promises that
    nothing acknowledged disappears silently, and this is where the reason is read.
    """
    tx_hash = Arguments(params, 1).required(0, decode_hash)
    return ctx.backend.transaction_status(tx_hash)


def ordo_get_commit(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    """The commit certificate that made a block final: {height, round, blockHash, parentHash,
    signatures: [{validator, signature}]}, or null for a block this node does not have. Each
    precommit signs the parent hash too (the block's parent: see ordo.consensus.signing).

    With BFT finality every committed block has one, so anyone can check finality themselves
    against the validator set instead of trusting this node."""
    block_id = Arguments(params, 1).required(0, decode_block_number)
    number = ctx.tag_number(block_id)
    if number == 0 or number > ctx.backend.head_number():
        return None
    return ctx.backend.get_commit(number)


def ordo_get_evidence(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    """Double-signing evidence this node has seen (what slashing on L1 is built from)."""
    Arguments(params, 0)
    return ctx.backend.evidence()


NODE_METHODS: MethodTable = {
    "web3_clientVersion": web3_client_version,
    "web3_sha3": web3_sha3,
    "net_version": net_version,
    "net_listening": net_listening,
    "net_peerCount": net_peer_count,
    "eth_chainId": eth_chain_id,
    "eth_syncing": eth_syncing,
    "eth_accounts": eth_accounts,
    "ordo_status": ordo_status,
    "ordo_getTransactionStatus": ordo_get_transaction_status,
    "ordo_getCommit": ordo_get_commit,
    "ordo_getEvidence": ordo_get_evidence,
}
