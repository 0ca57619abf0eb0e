"""Read the sequencer set and sequencer records from the LockingPool at a confirmed L1 block.

Every read names one block number, never "latest": two nodes asking at the same confirmed
block get the same answer whatever the head does, so an L1 reorganisation above the
confirmation depth cannot give them different sets.
"""

from __future__ import annotations

from typing import Any

from ordo.l1.abi_codec import AbiError
from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.rpc_errors import L1RpcError
from ordo.l1.staking_contracts import pool_at
from ordo.staking.epoch_set import EpochMember, EpochSet, verified_epoch_set
from ordo.staking.sequencer_state import SequencerState, SequencerStatus


class PoolReadError(Exception):
    """The pool could not be read as a LockingPool at that block (no contract there, a
    malformed answer, or a refusal such as an epoch that has not started)."""


class EpochNotStarted(PoolReadError):
    """The epoch asked for is later than the pool's current epoch at that block."""


async def confirmed_block(client: L1Client, confirmations: int) -> int:
    """The newest block with ``confirmations`` blocks on it; PoolReadError while the L1 chain
    is shorter than that."""
    number = await client.confirmed_block_number(confirmations)
    if number is None:
        raise PoolReadError(f"the L1 chain has fewer than {confirmations} blocks: no block is "
                            "confirmed yet")
    return number


async def current_epoch(client: L1Client, pool: bytes, block: int) -> int:
    return int(await _call(_pool(client, pool), block, "current_epoch"))


async def read_epoch_set(client: L1Client, pool_address: bytes, epoch: int,
                         block: int) -> EpochSet:
    """The frozen set of ``epoch`` as the pool holds it at ``block``, its hash checked."""
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"epoch: {epoch!r} is not an epoch number")
    pool = _pool(client, pool_address)
    current = int(await _call(pool, block, "current_epoch"))
    if epoch > current:
        raise EpochNotStarted(f"epoch {epoch} has not started at L1 block {block} (current "
                              f"epoch {current})")
    raw_members = await _call(pool, block, "get_epoch_set", epoch)
    on_chain_hash = await _call(pool, block, "epoch_set_hash", epoch)
    members = tuple(_member(entry, pool_address, block) for entry in raw_members)
    if not isinstance(on_chain_hash, bytes) or len(on_chain_hash) != 32:
        raise PoolReadError(f"pool 0x{pool_address.hex()}: epoch_set_hash is not 32 bytes")
    return verified_epoch_set(epoch, members, on_chain_hash)


async def read_current_set(client: L1Client, pool_address: bytes, block: int) -> EpochSet:
    """The set of the epoch current at ``block``: what an L2 epoch whose L1 origin is
    ``block`` is weighed by."""
    epoch = await current_epoch(client, pool_address, block)
    return await read_epoch_set(client, pool_address, epoch, block)


async def read_sequencer(client: L1Client, pool_address: bytes, owner: bytes,
                         block: int) -> SequencerState:
    """The record of the operator ``owner``; status NONE for an address that never locked."""
    _check_address(owner, "owner")
    pool = _pool(client, pool_address)
    record = await _call(pool, block, "sequencers", owner)
    reserve = int(await _call(pool, block, "reward_reserve"))
    epoch = int(await _call(pool, block, "current_epoch"))
    header = await client.get_block(block)
    if header is None:
        raise PoolReadError(f"L1 block {block} is unknown to the node")
    signer, locked, recipient, status, withdrawable_at, exit_epoch, owed = record
    try:
        known_status = SequencerStatus(int(status))
    except ValueError as error:
        raise PoolReadError(f"pool 0x{pool_address.hex()}: unknown sequencer status "
                            f"{status!r}") from error
    return SequencerState(
        owner=owner, signer=_address_value(signer), locked=int(locked),
        reward_recipient=_address_value(recipient), status=known_status,
        withdrawable_at=int(withdrawable_at), exit_epoch=int(exit_epoch),
        rewards_owed=int(owed), reward_reserve=reserve, current_epoch=epoch,
        block_number=block, block_timestamp=header.timestamp)


async def read_sequencer_by_signer(client: L1Client, pool_address: bytes, signer: bytes,
                                   block: int) -> SequencerState | None:
    """The record of whoever registered ``signer``, None if nobody did (what a node knows
    about itself: its signing key)."""
    _check_address(signer, "signer")
    owner = _address_value(await _call(_pool(client, pool_address), block, "signer_owner",
                                       signer))
    if owner == bytes(20):
        return None
    return await read_sequencer(client, pool_address, owner, block)


def _pool(client: L1Client, address: bytes) -> ContractHandle:
    _check_address(address, "pool address")
    return pool_at(client, address)


async def _call(pool: ContractHandle, block: int, function: str, *arguments: Any) -> Any:
    if isinstance(block, bool) or not isinstance(block, int) or block < 0:
        raise ValueError(f"block: {block!r} must be a confirmed block number, not a tag")
    try:
        return await pool.call(function, *arguments, block=block)
    except L1RpcError as error:
        if not error.is_revert:
            raise
        if not error.revert_reason:
            # A LockingPool gives a reason for every refusal of a view.
            raise PoolReadError(f"no LockingPool answers at 0x{pool.address.hex()} at L1 "
                                f"block {block}: {function} reverted without a reason"
                                ) from error
        raise PoolReadError(f"pool 0x{pool.address.hex()} refused {function} at L1 block "
                            f"{block}: {error.revert_reason}") from error
    except AbiError as error:
        raise PoolReadError(f"no LockingPool answers at 0x{pool.address.hex()} at L1 block "
                            f"{block}: {error}") from error


def _member(entry: Any, pool: bytes, block: int) -> EpochMember:
    try:
        signer, stake = entry
        return EpochMember(_address_value(signer), int(stake))
    except (TypeError, ValueError) as error:
        raise PoolReadError(f"pool 0x{pool.hex()} at L1 block {block}: malformed member "
                            f"{entry!r:.100}") from error


def _address_value(value: Any) -> bytes:
    """eth_abi decodes an address as a 0x-prefixed hex string."""
    if not isinstance(value, str) or len(value) != 42:
        raise PoolReadError(f"expected a decoded address, got {value!r:.100}")
    return bytes.fromhex(value[2:])


def _check_address(value: object, name: str) -> None:
    if not isinstance(value, bytes) or len(value) != 20:
        raise ValueError(f"{name}: {value!r} is not a 20-byte address")
