"""``ordo_outputAtBlock``: the output root of an L2 block and the parts it hashes.

OP's ``optimism_outputAtBlock`` is the model. A batch header commits to the output root of its
last block, and the L1 portal proves withdrawals against it, so a client (the bridge CLI, a
challenger) asks any node for the root and its parts, checks the hash itself, and takes the
message passer's storage root to verify an ``eth_getProof`` storage proof.
"""

from __future__ import annotations

from typing import Any

from ordo.core.output_root import OUTPUT_VERSION, OutputRoot
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS
from ordo.rpc.context import MethodTable, RpcContext, Session
from ordo.rpc.hex_values import encode_data, encode_quantity
from ordo.rpc.params import Arguments, decode_block_number


def ordo_output_at_block(ctx: RpcContext, params: list[Any], session: Session | None) -> Any:
    """{version, outputRoot, stateRoot, messagePasserStorageRoot, blockHash, blockNumber,
    finalized}; "header not found" for a block this node does not hold."""
    block_id = Arguments(params, 1).required(0, decode_block_number)
    number = ctx.state_number(block_id)
    block = ctx.backend.get_block_by_number(number)
    if block is None:
        return None
    message_passer = ctx.backend.get_proof(MESSAGE_PASSER_ADDRESS, [], number)
    output = OutputRoot(block_number=number, state_root=bytes(block.header.state_root),
                        message_passer_storage_root=bytes(message_passer.storage_hash),
                        block_hash=bytes(block.header.hash))
    return {
        "version": encode_data(OUTPUT_VERSION),
        "outputRoot": encode_data(output.root),
        "stateRoot": encode_data(output.state_root),
        "messagePasserStorageRoot": encode_data(output.message_passer_storage_root),
        "blockHash": encode_data(output.block_hash),
        "blockNumber": encode_quantity(number),
        "finalized": number <= ctx.backend.finalized_number(),
    }


OUTPUT_METHODS: MethodTable = {
    "ordo_outputAtBlock": ordo_output_at_block,
}
