# pragma version ~=0.4.3
"""
@title RollupInbox
@notice The L1 record of Ordo's chain: a batch of final L2 blocks is accepted only when
        signatures of more than 2/3 of the stake of a LockingPool epoch's set cover its header,
        so any sequencer may post and nobody has to be trusted.

@dev What is signed. Sequencers sign the batch header, not the commit certificate of the last
     block: a certificate covers a block hash but not the batch data, so anyone holding a public
     certificate could post garbage data under it and grief the inbox. The header commits to the
     data (`data_hash`), the blocks, the output root of the last block, the blocks' inputs
     (`inputs_root`), the reward split and the forced-queue position, and the digest is domain
     separated by a tag, the L2 chain id and this inbox's address:
         keccak256(abi.encode(BATCH_DOMAIN, l2_chain_id, inbox, index, first_block, last_block,
                              last_block_hash, output_root, inputs_root, data_kind, data_hash,
                              epoch, producers, forced_through))
     (ordo.batcher.batch_header builds the same bytes.)

     Inputs. The payload is compressed and cannot be read here, so the header also carries
     `inputs_root` (docs/fault_proofs.md section 5: a fixed-depth list root over each block's
     keccak(abi.encode(number, timestamp, coinbase, gas_limit, keccak(extra_data), mix_hash,
     txs_root, tx_count))). The inbox stores it per batch (`inputs_roots`) for the dispute game,
     which reads one block's inputs and one transaction through it with list proofs; derivation
     refuses a batch whose payload does not give it.

     Data. `data_kind` 0: the payload travels as this call's `payload` argument and `data_hash`
     is its keccak256. `data_kind` 1: the payload travels in the transaction's EIP-4844 blobs,
     `payload` is empty and `data_hash` is keccak256 of the concatenated versioned hashes, which
     the inbox reads with `blobhash(i)`; the BatchAccepted event repeats those hashes so a
     verifier finds the blobs without decoding the transaction.

     Order. Batches are numbered from 0 and accepted in order; each starts at the block after
     the previous one's last (the first at L2 block 1). Posting the accepted header of an
     accepted batch again is a no-op, so racing posters and a poster that restarts after a
     crash cannot fail or duplicate anything; any other header at an accepted index is refused.

     Settlement. Each accepted batch records its output root (keccak256(version ++ state_root ++
     message_passer_storage_root ++ block_hash) of its last block, ordo.core.output_root) and the
     L1 timestamp it landed. The output is final once `challenge_window` seconds have passed and
     the dispute game (`disputes`, the one hook a game plugs into) reports no open or lost
     dispute on it; the WithdrawalPortal pays withdrawals only against final outputs. With no
     game deployed (`disputes` is the zero address) nothing can dispute a root and the window
     alone decides. Because a signer's stake must still be there to slash when a dispute on a
     root it signed ends, the pool's exit delay must exceed the window plus the longest dispute:
     the constructor refuses a pool whose delay is shorter.
"""

MAX_SEQUENCERS: public(constant(uint256)) = 64
MAX_SIGNATURES: public(constant(uint256)) = 64
MAX_PRODUCERS: public(constant(uint256)) = 64
# Up to 16 blobs per transaction are looked at; one transaction carries at most 6 or 9 today.
MAX_BLOBS: public(constant(uint256)) = 16
# 120 000 bytes of calldata: under the 128 KiB transaction size limit of geth's pool.
MAX_PAYLOAD: public(constant(uint256)) = 120_000
# The dispute game bisects a batch's blocks over 2^SPLIT_DEPTH leaves (SPLIT_DEPTH = 10).
MAX_BATCH_BLOCKS: public(constant(uint256)) = 1024
# Ordered finality: is_output_final looks at most this many batches past final_through, and
# one advance_finality call moves final_through at most this far (both bounded for gas).
MAX_FINALITY_SCAN: public(constant(uint256)) = 64
# Gas given to a removed fallback batch's poster when its bond is returned on overwrite.
STALE_BOND_GAS: constant(uint256) = 30_000
DATA_CALLDATA: public(constant(uint8)) = 0
DATA_BLOBS: public(constant(uint8)) = 1
BATCH_DOMAIN: public(constant(bytes32)) = keccak256("ordo.batch.v2")
SECP256K1_N: constant(uint256) = (
    115792089237316195423570985008687907852837564279074904382605163141518161494337
)


struct Member:
    signer: address
    stake: uint256


struct Producer:
    signer: address
    blocks: uint256


struct BatchHeader:
    index: uint256
    first_block: uint64
    last_block: uint64
    last_block_hash: bytes32
    output_root: bytes32
    inputs_root: bytes32
    data_kind: uint8
    data_hash: bytes32
    epoch: uint256
    producers: DynArray[Producer, MAX_PRODUCERS]
    forced_through: uint256


interface LockingPool:
    def l2_chain_id() -> uint256: view
    def current_epoch() -> uint256: view
    def get_epoch_set(epoch: uint256) -> DynArray[Member, MAX_SEQUENCERS]: view
    def credit_reward(signer: address, blocks: uint256): nonpayable
    def stake_locked_until(signer: address) -> uint256: view


interface LockingPoolDelay:
    def exit_delay() -> uint256: view


interface DisputeGame:
    def dispute_status(index: uint256, output_root: bytes32) -> uint8: view


interface DisputeGameBound:
    def max_game_duration() -> uint256: view


interface ForcedInclusionQueue:
    def length() -> uint256: view
    def deadline_of(index: uint256) -> uint256: view


event BatchAccepted:
    index: indexed(uint256)
    header_hash: indexed(bytes32)
    submitter: indexed(address)
    first_block: uint64
    last_block: uint64
    last_block_hash: bytes32
    output_root: bytes32
    inputs_root: bytes32
    data_kind: uint8
    data_hash: bytes32
    epoch: uint256
    forced_through: uint256
    blob_hashes: DynArray[bytes32, MAX_BLOBS]
    fallback: bool


struct FallbackBond:
    poster: address
    amount: uint256


event BatchesRemoved:
    index: indexed(uint256)
    header_hash: indexed(bytes32)
    removed: uint256


event DisputesSet:
    disputes: indexed(address)


# What the dispute hook says of a batch's output root.
DISPUTE_NONE: public(constant(uint8)) = 0
DISPUTE_OPEN: public(constant(uint8)) = 1
DISPUTE_LOST: public(constant(uint8)) = 2
DISPUTE_DEFENDED: public(constant(uint8)) = 3

pool: public(LockingPool)
queue: public(ForcedInclusionQueue)
l2_chain_id: public(uint256)

next_index: public(uint256)
last_block: public(uint64)
last_epoch: public(uint256)
forced_through: public(uint256)
batch_hash: public(HashMap[uint256, bytes32])
output_roots: public(HashMap[uint256, bytes32])
inputs_roots: public(HashMap[uint256, bytes32])
landed_at: public(HashMap[uint256, uint256])
challenge_window: public(uint256)
max_dispute_duration: public(uint256)
disputes: public(DisputeGame)
sequencer_timeout: public(uint256)
fallback_bond: public(uint256)
last_landing: public(uint256)
fallback_bonds: public(HashMap[uint256, FallbackBond])
fallback_batches: public(HashMap[uint256, bool])
# Per batch, for the dispute game: keccak256(abi.encode(ascending signer addresses)) of a signed
# batch (of the empty list for a fallback batch), and last_block | forced_through << 64 |
# epoch << 128 (what the inbox goes back to when a disproved batch and those after it go) |
# landing << 192 (`landings`).
signers_hashes: public(HashMap[uint256, bytes32])
batch_records: public(HashMap[uint256, uint256])
# Acceptances so far; batch_records[index] >> 192 is the landing number of the batch at index.
landing_count: public(uint256)
disproved: public(HashMap[bytes32, bool])
deployer: public(address)
# Batches 0 .. final_through - 1 are final, each and all before it (ordered finality): a batch
# is built on every earlier one's output, so it is final only when they all are.
final_through: public(uint256)


@deploy
def __init__(
    pool: LockingPool,
    queue: ForcedInclusionQueue,
    challenge_window: uint256,
    max_dispute_duration: uint256,
    disputes: DisputeGame,
    sequencer_timeout: uint256,
    fallback_bond: uint256,
):
    """
    @param challenge_window Seconds after a batch lands before its output can be final.
    @param max_dispute_duration The longest a dispute on one output can last (both clocks).
    @param disputes The dispute game consulted on every output; the zero address: none.
    @param sequencer_timeout Seconds without a landed batch after which anyone may post a
           fallback batch.
    @param fallback_bond Wei a fallback batch's poster locks until its output is final.
    """
    assert sequencer_timeout > 0, "RollupInbox: sequencer timeout must be positive"
    assert pool.address != empty(address), "RollupInbox: pool is the zero address"
    assert queue.address != empty(address), "RollupInbox: queue is the zero address"
    assert challenge_window > 0, "RollupInbox: challenge window must be positive"
    exit_delay: uint256 = staticcall LockingPoolDelay(pool.address).exit_delay()
    assert exit_delay > challenge_window + max_dispute_duration, concat(
        "RollupInbox: pool exit delay ", uint2str(exit_delay),
        " s does not exceed challenge window + longest dispute (",
        uint2str(challenge_window + max_dispute_duration), " s)"
    )
    if disputes.address.is_contract:
        # The same bound as set_disputes: the exit delay must outlast every game's end. (An
        # address without code answers no dispute_status, so no output could ever be final.)
        longest: uint256 = staticcall DisputeGameBound(disputes.address).max_game_duration()
        assert longest <= max_dispute_duration, concat(
            "RollupInbox: the game can last ", uint2str(longest),
            " s, more than max_dispute_duration"
        )
    self.pool = pool
    self.queue = queue
    self.l2_chain_id = staticcall pool.l2_chain_id()
    self.challenge_window = challenge_window
    self.max_dispute_duration = max_dispute_duration
    self.disputes = disputes
    self.sequencer_timeout = sequencer_timeout
    self.fallback_bond = fallback_bond
    self.last_landing = block.timestamp
    self.deployer = msg.sender


@external
def set_disputes(disputes: DisputeGame):
    """
    @notice Name the dispute game once, after deploying it (it needs this inbox's address):
            only the deployer, only while none is set, and only a game whose longest game fits
            in `max_dispute_duration` (so the pool's exit delay outlasts every dispute).
    """
    assert msg.sender == self.deployer, "RollupInbox: only the deployer names the dispute game"
    assert self.disputes.address == empty(address), "RollupInbox: dispute game already set"
    assert disputes.address != empty(address), "RollupInbox: dispute game is the zero address"
    longest: uint256 = staticcall DisputeGameBound(disputes.address).max_game_duration()
    assert longest <= self.max_dispute_duration, concat(
        "RollupInbox: the game can last ", uint2str(longest),
        " s, more than max_dispute_duration"
    )
    self.disputes = disputes
    log DisputesSet(disputes=disputes.address)


# ---------------------------------------------------------------- digest and signatures


@internal
@view
def _header_hash(header: BatchHeader) -> bytes32:
    return keccak256(
        abi_encode(
            BATCH_DOMAIN,
            self.l2_chain_id,
            self,
            header.index,
            header.first_block,
            header.last_block,
            header.last_block_hash,
            header.output_root,
            header.inputs_root,
            header.data_kind,
            header.data_hash,
            header.epoch,
            header.producers,
            header.forced_through,
        )
    )


@external
@view
def header_hash(header: BatchHeader) -> bytes32:
    """@notice The digest sequencers sign for `header`; also the batch's id in events."""
    return self._header_hash(header)


@internal
@pure
def _signer(digest: bytes32, signature: Bytes[65]) -> address:
    """The address that signed `digest`, accepting only the one canonical signature encoding
    Ordo's nodes produce (65 bytes, low s, parity 0 or 1)."""
    assert len(signature) == 65, "RollupInbox: signature must be 65 bytes"
    r: uint256 = convert(extract32(signature, 0), uint256)
    s: uint256 = convert(extract32(signature, 32), uint256)
    parity: uint256 = convert(slice(signature, 64, 1), uint256)
    assert parity <= 1, "RollupInbox: signature parity must be 0 or 1"
    assert r > 0 and r < SECP256K1_N, "RollupInbox: signature r out of range"
    assert s > 0 and s <= SECP256K1_N // 2, "RollupInbox: signature s not in the low half"
    signer: address = ecrecover(digest, parity + 27, r, s)
    assert signer != empty(address), "RollupInbox: signature does not recover"
    return signer


@internal
@view
def _check_quorum(digest: bytes32, epoch: uint256,
                  signatures: DynArray[Bytes[65], MAX_SIGNATURES]) -> bytes32:
    """More than 2/3 of the epoch's stake signed `digest`. Signers must come in strictly
    ascending address order: that rejects a repeated signer without a seen-set. Returns the
    hash of the signer list, which the dispute game checks before slashing them."""
    assert epoch <= staticcall self.pool.current_epoch(), "RollupInbox: epoch has not started"
    members: DynArray[Member, MAX_SEQUENCERS] = staticcall self.pool.get_epoch_set(epoch)
    total: uint256 = 0
    for member: Member in members:
        total += member.stake
    assert total > 0, "RollupInbox: epoch has no stake"
    signed: uint256 = 0
    previous: uint256 = 0
    signers: DynArray[address, MAX_SIGNATURES] = []
    safe_until: uint256 = block.timestamp + self.challenge_window + self.max_dispute_duration
    for signature: Bytes[65] in signatures:
        signer: address = self._signer(digest, signature)
        signers.append(signer)
        assert convert(signer, uint256) > previous, (
            "RollupInbox: signers not in strictly ascending order (repeated signer?)"
        )
        previous = convert(signer, uint256)
        stake: uint256 = 0
        for member: Member in members:
            if member.signer == signer:
                stake = member.stake
                break
        assert stake > 0, "RollupInbox: signer is not in the epoch's set"
        # The stake must still be there to slash when a dispute on this batch ends: refuse a
        # signer that unlocked long enough ago to withdraw before window + longest dispute.
        assert staticcall self.pool.stake_locked_until(signer) > safe_until, (
            "RollupInbox: a signer's stake could be withdrawn before this batch's window and "
            "longest dispute are over (it unlocked too long ago)"
        )
        signed += stake
    assert 3 * signed > 2 * total, "RollupInbox: signatures carry 2/3 of the stake or less"
    return keccak256(abi_encode(signers))


# ---------------------------------------------------------------- data


@internal
@view
def _blob_hashes() -> DynArray[bytes32, MAX_BLOBS]:
    hashes: DynArray[bytes32, MAX_BLOBS] = []
    for i: uint256 in range(MAX_BLOBS):
        versioned: bytes32 = blobhash(i)
        if versioned == empty(bytes32):
            break
        hashes.append(versioned)
    return hashes


@internal
@view
def _check_data(
    header: BatchHeader, payload_length: uint256, payload_hash: bytes32
) -> DynArray[bytes32, MAX_BLOBS]:
    if header.data_kind == DATA_CALLDATA:
        assert payload_length > 0, "RollupInbox: calldata batch without payload"
        assert payload_hash == header.data_hash, "RollupInbox: payload does not match data_hash"
        return []
    assert header.data_kind == DATA_BLOBS, "RollupInbox: unknown data kind"
    assert payload_length == 0, "RollupInbox: blob batch with calldata payload"
    hashes: DynArray[bytes32, MAX_BLOBS] = self._blob_hashes()
    assert len(hashes) > 0, "RollupInbox: blob batch without blobs"
    # abi_encode of a bytes32 array is its length word followed by the hashes: skip the length.
    packed: Bytes[32 * MAX_BLOBS + 32] = abi_encode(hashes, ensure_tuple=False)
    assert keccak256(slice(packed, 32, 32 * len(hashes))) == header.data_hash, (
        "RollupInbox: blob versioned hashes do not match data_hash"
    )
    return hashes


# ---------------------------------------------------------------- batches


@internal
@view
def _check_forced(forced_through: uint256):
    assert forced_through >= self.forced_through, "RollupInbox: forced_through goes backwards"
    queued: uint256 = staticcall self.queue.length()
    assert forced_through <= queued, "RollupInbox: forced_through beyond the queue"
    if forced_through < queued:
        # Deadlines never decrease along the queue: the first item left out is the most due.
        deadline: uint256 = staticcall self.queue.deadline_of(forced_through)
        assert block.number <= deadline, concat(
            "RollupInbox: forced item ", uint2str(forced_through), " overdue"
        )


@internal
@view
def _check_blocks(header: BatchHeader):
    assert header.first_block == self.last_block + 1, (
        "RollupInbox: first_block does not follow the previous batch"
    )
    assert header.last_block >= header.first_block, "RollupInbox: last_block before first_block"
    assert convert(header.last_block - header.first_block, uint256) < MAX_BATCH_BLOCKS, (
        "RollupInbox: a batch carries at most 1024 blocks"
    )
    produced: uint256 = 0
    for producer: Producer in header.producers:
        assert producer.blocks > 0, "RollupInbox: producer with no blocks"
        produced += producer.blocks
    assert produced == convert(header.last_block - header.first_block, uint256) + 1, (
        "RollupInbox: producers' blocks do not add up to the batch's blocks"
    )


@internal
@view
def _is_repeat(header: BatchHeader, digest: bytes32) -> bool:
    """True for an accepted batch posted again with its accepted header (a racing or restarted
    poster: a no-op); refuses any other index but the next."""
    expected: uint256 = self.next_index
    if header.index < expected:
        assert self.batch_hash[header.index] == digest, concat(
            "RollupInbox: batch ", uint2str(header.index), " already accepted with another header"
        )
        return True
    assert header.index == expected, concat(
        "RollupInbox: batch index ", uint2str(header.index), " is not the next (",
        uint2str(expected), ")"
    )
    return False


@internal
def _accept(header: BatchHeader, digest: bytes32, blob_hashes: DynArray[bytes32, MAX_BLOBS],
            fallback: bool):
    # Checked here, for signed and fallback batches alike: the dispute game reads a block's
    # inputs only through this root, so a batch without one could not be disputed.
    assert header.inputs_root != empty(bytes32), "RollupInbox: inputs root is zero"
    index: uint256 = header.index
    self.next_index = index + 1
    self.last_block = header.last_block
    self.last_epoch = header.epoch
    self.forced_through = header.forced_through
    self.batch_hash[index] = digest
    self.output_roots[index] = header.output_root
    self.inputs_roots[index] = header.inputs_root
    self.landed_at[index] = block.timestamp
    # Every acceptance is a new landing, even of the same header at the same index in the same
    # L1 block after a removal: the dispute game keys its games by this number, never by time.
    landing: uint256 = self.landing_count + 1
    self.landing_count = landing
    self.batch_records[index] = convert(header.last_block, uint256) | (
        convert(convert(header.forced_through, uint64), uint256) << 64) | (
        convert(convert(header.epoch, uint64), uint256) << 128) | (landing << 192)
    if not fallback:
        # Only signed batches show the sequencers alive: once they are silent, fallback
        # batches may follow each other until a signed batch lands again.
        self.last_landing = block.timestamp
    log BatchAccepted(
        index=index,
        header_hash=digest,
        submitter=msg.sender,
        first_block=header.first_block,
        last_block=header.last_block,
        last_block_hash=header.last_block_hash,
        output_root=header.output_root,
        inputs_root=header.inputs_root,
        data_kind=header.data_kind,
        data_hash=header.data_hash,
        epoch=header.epoch,
        forced_through=header.forced_through,
        blob_hashes=blob_hashes,
        fallback=fallback,
    )


@external
def submit_batch(
    header: BatchHeader,
    signatures: DynArray[Bytes[65], MAX_SIGNATURES],
    payload: Bytes[MAX_PAYLOAD],
):
    """
    @notice Accept batch `header.index` if more than 2/3 of the stake of `header.epoch`'s set
            signed its header hash, and credit the producers' block rewards.
    @param signatures 65-byte signatures (r || s || parity 0/1) whose signers are in strictly
           ascending address order.
    @param payload The compressed batch for data_kind 0 (calldata); empty for blobs.
    """
    digest: bytes32 = self._header_hash(header)
    if self._is_repeat(header, digest):
        return
    assert not self.disproved[digest], "RollupInbox: that header's output root was disproved"
    self._check_blocks(header)
    assert header.output_root != empty(bytes32), "RollupInbox: output root is zero"
    assert header.epoch >= self.last_epoch, "RollupInbox: epoch older than the previous batch's"
    self._check_forced(header.forced_through)
    # The payload is hashed here and never passed on: handing a Bytes[MAX_PAYLOAD] to an
    # internal function copies it, and each copy's memory costs about 40k gas per batch.
    blob_hashes: DynArray[bytes32, MAX_BLOBS] = self._check_data(
        header, len(payload), keccak256(payload)
    )
    signers_hash: bytes32 = self._check_quorum(digest, header.epoch, signatures)
    # A fallback batch removed from this index left its flag and maybe its bond: neither
    # belongs to this signed batch (a later loss would pay that bond to its game's winner).
    self.fallback_batches[header.index] = False
    stale: FallbackBond = self.fallback_bonds[header.index]
    self.fallback_bonds[header.index] = empty(FallbackBond)
    self._accept(header, digest, blob_hashes, False)
    self.signers_hashes[header.index] = signers_hash
    for producer: Producer in header.producers:
        extcall self.pool.credit_reward(producer.signer, producer.blocks)
    self._return_stale_bond(stale)


# ---------------------------------------------------------------- when the sequencers stop


@external
@view
def fallback_opens_at() -> uint256:
    """@notice From this L1 time anyone may post a fallback batch: `sequencer_timeout` after
    the last signed batch landed (or after deployment)."""
    return self.last_landing + self.sequencer_timeout


@external
@payable
def submit_fallback_batch(header: BatchHeader, payload: Bytes[MAX_PAYLOAD]):
    """
    @notice When no signed batch has landed for `sequencer_timeout` seconds, anyone may post
            the next batch without signatures, with a bond of exactly `fallback_bond`.
    @dev Its blocks must be the ones L1 alone determines (derivation's fallback rules: no
         builder, only the forced-queue items up to each block's L1 origin, the origin's time),
         which every verifier rebuilds; the inbox cannot check L2 execution, so the batch takes
         the normal challenge window and can be disputed like any other. No producer is
         credited. The bond is returned to the poster once the output is final
         (`reclaim_fallback_bond`) and kept if it is disproved.
    """
    assert msg.value == self.fallback_bond, concat(
        "RollupInbox: a fallback batch is bonded with exactly ", uint2str(self.fallback_bond),
        " wei"
    )
    opens: uint256 = self.last_landing + self.sequencer_timeout
    assert block.timestamp >= opens, concat(
        "RollupInbox: the sequencers are not silent; fallback batches open at L1 time ",
        uint2str(opens)
    )
    digest: bytes32 = self._header_hash(header)
    assert header.index == self.next_index, concat(
        "RollupInbox: batch index ", uint2str(header.index), " is not the next (",
        uint2str(self.next_index), ")"
    )
    assert header.first_block == self.last_block + 1, (
        "RollupInbox: first_block does not follow the previous batch"
    )
    assert header.last_block >= header.first_block, "RollupInbox: last_block before first_block"
    assert convert(header.last_block - header.first_block, uint256) < MAX_BATCH_BLOCKS, (
        "RollupInbox: a batch carries at most 1024 blocks"
    )
    assert not self.disproved[digest], "RollupInbox: that header's output root was disproved"
    assert len(header.producers) == 0, "RollupInbox: a fallback batch credits no producer"
    assert header.epoch == self.last_epoch, "RollupInbox: a fallback batch keeps the last epoch"
    assert header.output_root != empty(bytes32), "RollupInbox: output root is zero"
    self._check_forced(header.forced_through)
    blob_hashes: DynArray[bytes32, MAX_BLOBS] = self._check_data(
        header, len(payload), keccak256(payload)
    )
    # A bond still here belongs to a fallback batch removed with a disproved earlier one and
    # not reclaimed: it goes back to its poster now (a poster that cannot take it with this
    # much gas loses it), before this batch's bond takes its place.
    stale: FallbackBond = self.fallback_bonds[header.index]
    self.fallback_bonds[header.index] = FallbackBond(poster=msg.sender, amount=msg.value)
    self.fallback_batches[header.index] = True
    self._accept(header, digest, blob_hashes, True)
    self.signers_hashes[header.index] = keccak256(
        abi_encode(empty(DynArray[address, MAX_SIGNATURES]))
    )
    self._return_stale_bond(stale)


@internal
def _return_stale_bond(stale: FallbackBond):
    """The bond of a fallback batch removed with a disproved earlier one, not reclaimed, goes
    back to its poster when another batch takes its index (STALE_BOND_GAS: a poster that
    cannot take it with that much gas loses it to the inbox)."""
    if stale.amount > 0:
        returned: bool = raw_call(stale.poster, b"", value=stale.amount, gas=STALE_BOND_GAS,
                                  revert_on_failure=False)


@external
@nonreentrant
def reclaim_fallback_bond(index: uint256):
    """@notice Return the bond of fallback batch `index` to its poster once its output is
    final; a disproved output keeps it (for the dispute game's winner)."""
    bond: FallbackBond = self.fallback_bonds[index]
    assert bond.amount > 0, "RollupInbox: no bond to reclaim for that batch"
    # A batch removed because an earlier one was disproved (index at or past next_index; the
    # disproved one's bond went to the game) was not judged: its poster gets the bond back.
    assert self._is_output_final(index) or index >= self.next_index, (
        "RollupInbox: the batch's output is not final"
    )
    self.fallback_bonds[index] = empty(FallbackBond)
    send(bond.poster, bond.amount)


# ---------------------------------------------------------------- a disproved batch


@external
def remove_batches(index: uint256, header_hash: bytes32) -> uint256:
    """
    @notice Called by the dispute game when the output root of batch `index` (header
            `header_hash`) lost: that batch and every later one are removed (O(1): next_index,
            last_block, forced_through and last_epoch go back to what batch `index - 1` left;
            entries at or past next_index are stale until overwritten and never final), the
            header can never be accepted again, and a fallback batch's bond goes to the game.
    @return The wei sent to the game (the fallback bond; 0 for a signed batch).
    """
    assert msg.sender == self.disputes.address and msg.sender != empty(address), (
        "RollupInbox: only the dispute game removes batches"
    )
    assert index < self.next_index and self.batch_hash[index] == header_hash, (
        "RollupInbox: no batch with that header at that index"
    )
    removed: uint256 = self.next_index - index
    self.disproved[header_hash] = True
    self.next_index = index
    # A final batch is never disputed again (its window is over and its game, if any, was
    # defended), so this never lowers it; kept so final_through <= next_index always holds.
    self.final_through = min(self.final_through, index)
    record: uint256 = 0
    if index > 0:
        record = self.batch_records[index - 1]
    self.last_block = convert(record & convert(max_value(uint64), uint256), uint64)
    self.forced_through = (record >> 64) & convert(max_value(uint64), uint256)
    self.last_epoch = (record >> 128) & convert(max_value(uint64), uint256)
    # The portal sees the removal: a proof against this root no longer matches any batch.
    self.output_roots[index] = empty(bytes32)
    bond: FallbackBond = self.fallback_bonds[index]
    self.fallback_bonds[index] = empty(FallbackBond)
    log BatchesRemoved(index=index, header_hash=header_hash, removed=removed)
    if bond.amount > 0:
        send(msg.sender, bond.amount)
    return bond.amount


@external
@view
def landings(index: uint256) -> uint256:
    """@notice The landing number of the batch now at `index` (1, 2, ... in acceptance order;
    unique per acceptance, so a header landing again is a new landing); 0: never landed."""
    return self.batch_records[index] >> 192


@external
@view
def batch_block_count(index: uint256) -> uint256:
    """@notice How many L2 blocks batch `index` carries (it must have landed)."""
    assert self._landed(index), "RollupInbox: batch has not landed"
    previous: uint256 = 0
    if index > 0:
        previous = self.batch_records[index - 1] & convert(max_value(uint64), uint256)
    return (self.batch_records[index] & convert(max_value(uint64), uint256)) - previous


# ---------------------------------------------------------------- settlement


@internal
@view
def _landed(index: uint256) -> bool:
    """Accepted and not removed: entries past next_index are what a removal left behind."""
    return index < self.next_index and self.output_roots[index] != empty(bytes32)


@internal
@view
def _dispute_status(index: uint256) -> uint8:
    if self.disputes.address == empty(address):
        return DISPUTE_NONE
    status: uint8 = staticcall self.disputes.dispute_status(index, self.output_roots[index])
    assert status <= DISPUTE_DEFENDED, "RollupInbox: dispute game answered an unknown status"
    return status


@external
@view
def dispute_status(index: uint256) -> uint8:
    """@notice 0 none, 1 open, 2 lost (the root was disproved), 3 defended."""
    assert self._landed(index), "RollupInbox: batch has not landed"
    return self._dispute_status(index)


@external
@view
def finalizable_at(index: uint256) -> uint256:
    """@notice The L1 timestamp from which batch `index`'s output is final if undisputed."""
    assert self._landed(index), "RollupInbox: batch has not landed"
    return self.landed_at[index] + self.challenge_window


@external
@view
def is_output_final(index: uint256) -> bool:
    """@notice Batch `index` and every earlier batch landed, their challenge windows are over
    and no dispute on their outputs is open or lost. Batches below `final_through` are known
    final; past it at most MAX_FINALITY_SCAN batches are looked at, so an index further ahead
    answers False until `advance_finality` moved the pointer up."""
    return self._is_output_final(index)


@internal
@view
def _is_settled(index: uint256) -> bool:
    """Batch `index` alone: landed, window over, no open or lost dispute on its output."""
    if not self._landed(index):
        return False
    if block.timestamp < self.landed_at[index] + self.challenge_window:
        return False
    status: uint8 = self._dispute_status(index)
    return status == DISPUTE_NONE or status == DISPUTE_DEFENDED


@internal
@view
def _is_output_final(index: uint256) -> bool:
    """Ordered finality: a batch is final only when every earlier one is (a later batch starts
    from the earlier outputs, and a lost earlier batch removes it)."""
    if index < self.final_through:
        return self._landed(index)
    first: uint256 = self.final_through
    if index - first >= MAX_FINALITY_SCAN:
        return False
    for i: uint256 in range(first, first + MAX_FINALITY_SCAN, bound=MAX_FINALITY_SCAN):
        if not self._is_settled(i):
            return False
        if i == index:
            return True
    return False


@external
def advance_finality(through: uint256) -> uint256:
    """
    @notice Move `final_through` up in index order over settled batches (each landed, window
            over, no open or lost dispute), until batch `through` is covered, a batch is not
            settled, or MAX_FINALITY_SCAN batches were looked at. Anyone may call it; the
            portal calls it before paying.
    @return The new final_through.
    """
    pointer: uint256 = self.final_through
    for _: uint256 in range(MAX_FINALITY_SCAN):
        if pointer > through or not self._is_settled(pointer):
            break
        pointer += 1
    self.final_through = pointer
    return pointer
