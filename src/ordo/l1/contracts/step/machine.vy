# pragma version 0.4.3
"""
@title The machine state and its commitment (docs/fault_proofs.md 2)
@notice Every field is kept as the 32-byte word that the commitment hashes, so the verifier
        hashes exactly what the tracer hashed and never re-encodes a value.
"""

struct Block:
    number: uint256
    timestamp: uint256
    coinbase: uint256
    gas_limit: uint256
    base_fee: uint256
    prev_randao: bytes32
    chain_id: uint256
    parent_output_root: bytes32
    inputs_hash: bytes32
    block_hashes_root: bytes32

struct Tx:
    origin: uint256
    gas_price: uint256
    tx_index: uint256
    tx_start_state_root: bytes32
    blob_hashes_root: bytes32

struct Context:
    state_root: bytes32
    accessed_root: bytes32
    created_root: bytes32
    transient_root: bytes32
    refund: uint256
    logs_hash: bytes32
    logs_count: uint256
    cumulative_gas: uint256
    receipts_root: bytes32

struct Frame:
    parent_frame: bytes32
    depth: uint256
    address: uint256
    caller: uint256
    value: uint256
    is_static: uint256
    code_root: bytes32
    code_size: uint256
    jumpdests_root: bytes32
    calldata_root: bytes32
    calldata_size: uint256
    pc: uint256
    gas: uint256
    stack_hash: bytes32
    stack_size: uint256
    memory_root: bytes32
    memory_size: uint256
    returndata_root: bytes32
    returndata_size: uint256
    entry_snapshot: bytes32


@internal
@pure
def block_hash(b: Block) -> bytes32:
    return keccak256(abi_encode(b.number, b.timestamp, b.coinbase, b.gas_limit, b.base_fee,
                                b.prev_randao, b.chain_id, b.parent_output_root, b.inputs_hash,
                                b.block_hashes_root))


@internal
@pure
def tx_hash(t: Tx) -> bytes32:
    return keccak256(abi_encode(t.origin, t.gas_price, t.tx_index, t.tx_start_state_root,
                                t.blob_hashes_root))


@internal
@pure
def context_hash(c: Context) -> bytes32:
    return keccak256(abi_encode(c.state_root, c.accessed_root, c.created_root, c.transient_root,
                                c.refund, c.logs_hash, c.logs_count, c.cumulative_gas,
                                c.receipts_root))


@internal
@pure
def frame_hash(f: Frame) -> bytes32:
    return keccak256(abi_encode(f.parent_frame, f.depth, f.address, f.caller, f.value,
                                f.is_static, f.code_root, f.code_size, f.jumpdests_root,
                                f.calldata_root, f.calldata_size, f.pc, f.gas, f.stack_hash,
                                f.stack_size, f.memory_root, f.memory_size, f.returndata_root,
                                f.returndata_size, f.entry_snapshot))


@internal
@pure
def snapshot(c: Context) -> bytes32:
    """@notice What a revert of the frame restores (entry_snapshot)."""
    return keccak256(abi_encode(c.state_root, c.accessed_root, c.created_root, c.transient_root,
                                c.refund, c.logs_hash, c.logs_count))


@internal
@pure
def state_hash(phase: uint256, block_h: bytes32, tx_h: bytes32, context_h: bytes32,
               frame_h: bytes32) -> bytes32:
    return keccak256(abi_encode(phase, block_h, tx_h, context_h, frame_h))
