"""What one operator stands to do with a LockingPool: its record there, its token balance and
allowance, and the pool's limits, read at one L1 block so they agree with each other."""

from __future__ import annotations

from dataclasses import dataclass

from ordo.l1.abi_codec import AbiError
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1RpcError
from ordo.l1.staking_contracts import pool_at, token_at
from ordo.staking.pool_reader import PoolReadError, read_sequencer
from ordo.staking.sequencer_state import SequencerState


@dataclass(frozen=True)
class PoolPosition:
    pool: bytes
    token: bytes
    symbol: str
    decimals: int
    operator: bytes
    balance: int
    """The operator's token balance."""
    allowance: int
    """What the pool may pull from the operator now."""
    min_lock: int
    max_lock: int
    exit_delay: int
    """Seconds."""
    sequencer: SequencerState


async def read_position(client: L1Client, pool_address: bytes,
                        operator: bytes) -> PoolPosition:
    """Raises PoolReadError when no LockingPool (or no token) answers at the address."""
    block = await client.block_number()
    pool = pool_at(client, pool_address)
    try:
        if not await client.get_code(pool_address, block):
            raise PoolReadError(f"pool: no contract at 0x{pool_address.hex()} on this L1; "
                                "allowed is the address of a deployed LockingPool")
        token_value = await pool.call("token", block=block)
        token_address = bytes.fromhex(str(token_value)[2:])
        token = token_at(client, token_address)
        sequencer = await read_sequencer(client, pool_address, operator, block)
        return PoolPosition(
            pool=pool_address, token=token_address,
            symbol=str(await token.call("symbol", block=block)),
            decimals=int(await token.call("decimals", block=block)),
            operator=operator,
            balance=int(await token.call("balanceOf", operator, block=block)),
            allowance=int(await token.call("allowance", operator, pool_address, block=block)),
            min_lock=int(await pool.call("min_lock", block=block)),
            max_lock=int(await pool.call("max_lock", block=block)),
            exit_delay=int(await pool.call("exit_delay", block=block)),
            sequencer=sequencer)
    except (L1RpcError, AbiError, ValueError) as error:
        raise PoolReadError(f"pool: 0x{pool_address.hex()} does not answer as a LockingPool "
                            f"({error})") from error
