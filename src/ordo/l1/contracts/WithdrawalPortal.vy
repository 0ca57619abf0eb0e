# pragma version ~=0.4.3
"""
@title WithdrawalPortal
@notice The L1 end of Ordo's withdrawals. It holds every ETH deposited through the forced
        inclusion queue, so each wei minted on L2 is backed here one for one, and pays a
        withdrawal only when (1) a Merkle-Patricia storage proof shows the L2 contract
        L2ToL1MessagePasser recorded it, against the output root of a batch the RollupInbox
        holds, and (2) that output root is final: the challenge window has passed with no open
        or lost dispute on it (SETTLEMENT.md, "money only follows final roots").

@dev Proving and finalizing are two steps, as in OP's portal: proving can happen as soon as a
     batch lands, so that a wrong output root cannot hide a proof behind its window, and the
     final check reads the inbox again at payment time, because a root can be disputed, lost
     or removed after the withdrawal was proved against it.

     The storage proof verifier is written here in full, not delegated: a verifier that can
     return "true" on an input it did not understand would let a forged output root pay out
     (the Specular failure in SETTLEMENT.md), so every path that is not a complete, exact walk
     from the storage root to a leaf holding the value 1 at the withdrawal's key reverts with
     a reason. The proof is eth_getProof's storageProof[i].proof: the RLP nodes referenced by
     hash, root first; nodes whose encoding is shorter than 32 bytes are embedded inline in
     their parent (as the Ethereum trie stores them) and are not listed separately.
"""

interface RollupInbox:
    def output_roots(index: uint256) -> bytes32: view
    def next_index() -> uint256: view
    def landed_at(index: uint256) -> uint256: view
    def finalizable_at(index: uint256) -> uint256: view
    def dispute_status(index: uint256) -> uint8: view
    def is_output_final(index: uint256) -> bool: view
    def advance_finality(through: uint256) -> uint256: nonpayable
    def queue() -> address: view


# The L2 message passer's calldata limit for a withdrawal's call; fixed with the L2 side so every
# withdrawal the L2 accepts can be carried here.
MAX_WITHDRAWAL_DATA: public(constant(uint256)) = 4096
# Largest trie node accepted. The biggest node of a valid storage trie is a branch with 16 hash
# children: a 3-byte list header + 16 * 33 + 1 (empty value) = 532 bytes; leaves and extensions of
# 32-byte keys and values are under 110 bytes. 600 leaves margin and bounds the calldata and
# memory an attacker can make the verifier walk. The ABI decoder refuses a longer node before
# any code of this contract runs.
MAX_NODE_BYTES: public(constant(uint256)) = 600
# Longest proof accepted. A storage key is 64 nibbles and every branch or extension consumes at
# least one, so a path has at most 64 branches; the leaf under a branch at the last nibble is
# under 32 bytes and is inline, so at most 64 nodes are referenced by hash. (Real tries are
# about 8 deep: reaching depth 16 needs a 64-bit keccak prefix collision.)
MAX_PROOF_NODES: public(constant(uint256)) = 64
KEY_NIBBLES: constant(uint256) = 64
# One walk step per node, hashed or inline: at most 64 branches, 64 extensions and a leaf.
MAX_WALK_STEPS: constant(uint256) = 2 * KEY_NIBBLES + 1
BRANCH_ITEMS: constant(uint256) = 17
# The HashMap slot of L2ToL1MessagePasser.sent_messages.
MESSAGE_PASSER_SLOT: public(constant(bytes32)) = empty(bytes32)
OUTPUT_VERSION: public(constant(bytes32)) = empty(bytes32)
# Gas finalize_withdrawal needs beyond the call's own gas limit (and the 1/64 the EVM withholds
# from a call): the CALL itself (cold account 2,600, value transfer 9,000, new account 25,000),
# copying up to 4 KiB of data to memory, and the bookkeeping and event after the call (about
# 15,000). 80,000 covers them with margin, so a relayer who passes the check cannot make the
# call run short of its gas limit; with less gas the transaction reverts and nothing changes.
FINALIZE_GAS_RESERVE: public(constant(uint256)) = 80_000

DISPUTE_NONE: constant(uint8) = 0
DISPUTE_OPEN: constant(uint8) = 1
DISPUTE_LOST: constant(uint8) = 2
DISPUTE_DEFENDED: constant(uint8) = 3


struct Withdrawal:
    nonce: uint256
    sender: address
    target: address
    value: uint256
    gas_limit: uint256
    data: Bytes[MAX_WITHDRAWAL_DATA]


struct OutputRootProof:
    version: bytes32
    state_root: bytes32
    message_passer_storage_root: bytes32
    block_hash: bytes32


struct ProvenWithdrawal:
    batch_index: uint256
    output_root: bytes32
    timestamp: uint256


# One RLP item inside a node: where its header starts, where its payload starts and how long it
# is, whether it is a list, and where the next item starts.
struct RlpItem:
    start: uint256
    offset: uint256
    length: uint256
    is_list: bool
    end: uint256


event DepositReceived:
    amount: uint256
    deposits_received: uint256


event WithdrawalProven:
    withdrawal_hash: indexed(bytes32)
    sender: indexed(address)
    target: indexed(address)
    batch_index: uint256
    output_root: bytes32


event WithdrawalFinalized:
    withdrawal_hash: indexed(bytes32)
    target: indexed(address)
    value: uint256


event WithdrawalFailed:
    withdrawal_hash: indexed(bytes32)
    target: indexed(address)
    value: uint256


inbox: public(address)
queue: public(address)
# Total ETH received from the queue and total paid to withdrawal targets: the portal's balance
# is their difference, which an auditor can compare with the ETH minted minus burned on L2.
deposits_received: public(uint256)
withdrawals_paid: public(uint256)
# The L2 account that sent the withdrawal being executed, for the target to read (as OP's
# l2Sender); zero whenever no withdrawal call is running.
l2_sender: public(address)
proven_withdrawals: public(HashMap[bytes32, ProvenWithdrawal])
finalized_withdrawals: public(HashMap[bytes32, bool])


@deploy
def __init__(inbox: address, queue: address):
    """
    @param inbox The RollupInbox whose output roots withdrawals are proved against.
    @param queue The ForcedInclusionQueue that forwards deposits here; it must be the inbox's
           queue, or deposits counted on L2 would not be the ones this portal backs.
    """
    assert inbox != empty(address), "WithdrawalPortal: inbox is the zero address"
    assert queue != empty(address), "WithdrawalPortal: queue is the zero address"
    assert staticcall RollupInbox(inbox).queue() == queue, \
        "WithdrawalPortal: the inbox reads another queue"
    self.inbox = inbox
    self.queue = queue


@external
@payable
def receive_deposit():
    """@notice Take deposited ETH from the queue. Only the queue may pay in, so the balance is
    exactly the ETH the L2 minted for deposits minus what withdrawals took out."""
    assert msg.sender == self.queue, "WithdrawalPortal: only the queue may deposit"
    assert msg.value > 0, "WithdrawalPortal: empty deposit"
    self.deposits_received += msg.value
    log DepositReceived(amount=msg.value, deposits_received=self.deposits_received)


@internal
@pure
def _withdrawal_hash(withdrawal: Withdrawal) -> bytes32:
    return keccak256(
        abi_encode(
            withdrawal.nonce,
            withdrawal.sender,
            withdrawal.target,
            withdrawal.value,
            withdrawal.gas_limit,
            withdrawal.data,
        )
    )


@external
@pure
def withdrawal_hash(withdrawal: Withdrawal) -> bytes32:
    """@notice keccak256(abi.encode(nonce, sender, target, value, gas_limit, data)), the key
    L2ToL1MessagePasser records."""
    return self._withdrawal_hash(withdrawal)


@external
@view
def finalizable_at_of(withdrawal_hash: bytes32) -> uint256:
    """@notice The L1 timestamp from which the batch the withdrawal was proved against is past
    its challenge window; 0 when the withdrawal is not proven (or that batch was removed)."""
    proven: ProvenWithdrawal = self.proven_withdrawals[withdrawal_hash]
    if proven.timestamp == 0:
        return 0
    return staticcall RollupInbox(self.inbox).finalizable_at(proven.batch_index)


@internal
@view
def _proof_invalidated(proven: ProvenWithdrawal) -> bool:
    """An earlier proof no longer counts when its output root was removed or replaced at its
    index, or lost a dispute: then the withdrawal may be proved again against another batch."""
    inbox: RollupInbox = RollupInbox(self.inbox)
    # At or past next_index: removed with a disproved earlier batch (entries there are stale).
    if proven.batch_index >= staticcall inbox.next_index():
        return True
    if staticcall inbox.output_roots(proven.batch_index) != proven.output_root:
        return True
    return staticcall inbox.dispute_status(proven.batch_index) == DISPUTE_LOST


@external
def prove_withdrawal(
    withdrawal: Withdrawal,
    batch_index: uint256,
    output: OutputRootProof,
    storage_proof: DynArray[Bytes[MAX_NODE_BYTES], MAX_PROOF_NODES],
):
    """
    @notice Record that batch `batch_index`'s output root commits to an L2 state in which
            L2ToL1MessagePasser.sent_messages[withdrawal_hash] is true. Anyone may prove any
            withdrawal: the proof is public data, and payment goes to the target, not the prover.
    @param output The preimage of the batch's output root.
    @param storage_proof eth_getProof(message_passer, [slot]).storageProof[0].proof, root first.
    """
    assert withdrawal.target != self, "WithdrawalPortal: a withdrawal may not call the portal"
    withdrawal_hash: bytes32 = self._withdrawal_hash(withdrawal)
    assert not self.finalized_withdrawals[withdrawal_hash], \
        "WithdrawalPortal: withdrawal already finalized"

    inbox: RollupInbox = RollupInbox(self.inbox)
    output_root: bytes32 = staticcall inbox.output_roots(batch_index)
    assert output_root != empty(bytes32), "WithdrawalPortal: no output root for that batch"
    assert output.version == OUTPUT_VERSION, "WithdrawalPortal: unsupported output root version"
    assert keccak256(
        concat(output.version, output.state_root, output.message_passer_storage_root,
               output.block_hash)
    ) == output_root, "WithdrawalPortal: output root proof does not match the batch's root"
    status: uint8 = staticcall inbox.dispute_status(batch_index)
    assert status != DISPUTE_OPEN, "WithdrawalPortal: output is disputed"
    assert status != DISPUTE_LOST, "WithdrawalPortal: output was disproved"
    assert status == DISPUTE_NONE or status == DISPUTE_DEFENDED, \
        "WithdrawalPortal: unknown dispute status"

    previous: ProvenWithdrawal = self.proven_withdrawals[withdrawal_hash]
    if previous.timestamp != 0:
        assert self._proof_invalidated(previous), \
            "WithdrawalPortal: withdrawal already proven against a live output"

    slot: bytes32 = keccak256(concat(MESSAGE_PASSER_SLOT, withdrawal_hash))
    self._verify_storage_proof(output.message_passer_storage_root, keccak256(slot),
                               storage_proof)

    self.proven_withdrawals[withdrawal_hash] = ProvenWithdrawal(
        batch_index=batch_index, output_root=output_root, timestamp=block.timestamp
    )
    log WithdrawalProven(
        withdrawal_hash=withdrawal_hash,
        sender=withdrawal.sender,
        target=withdrawal.target,
        batch_index=batch_index,
        output_root=output_root,
    )


@external
@nonreentrant
def finalize_withdrawal(withdrawal: Withdrawal):
    """
    @notice Execute a proven withdrawal whose output root is final: call `target` with `data`,
            `value` and exactly `gas_limit` gas. Anyone may call this; it pays the target.
    @dev A call that fails leaves the withdrawal unfinalized and its ETH here, so it can be
         retried (for instance once the target is fixed); one that succeeds is marked
         finalized before the call, so it can never pay twice.
    """
    withdrawal_hash: bytes32 = self._withdrawal_hash(withdrawal)
    assert not self.finalized_withdrawals[withdrawal_hash], \
        "WithdrawalPortal: withdrawal already finalized"
    proven: ProvenWithdrawal = self.proven_withdrawals[withdrawal_hash]
    assert proven.timestamp != 0, "WithdrawalPortal: withdrawal not proven"

    inbox: RollupInbox = RollupInbox(self.inbox)
    assert proven.batch_index < staticcall inbox.next_index() and \
        staticcall inbox.output_roots(proven.batch_index) == proven.output_root, \
        "WithdrawalPortal: output was removed; prove the withdrawal again"
    status: uint8 = staticcall inbox.dispute_status(proven.batch_index)
    assert status != DISPUTE_LOST, "WithdrawalPortal: output was disproved"
    assert status != DISPUTE_OPEN, "WithdrawalPortal: output is disputed"
    assert block.timestamp >= staticcall inbox.finalizable_at(proven.batch_index), \
        "WithdrawalPortal: challenge window not over (see finalizable_at)"
    # Finality is ordered (every earlier batch final too): move the inbox's pointer up first
    # (bounded there), so a withdrawal needs no separate call when the batches before it settled.
    extcall inbox.advance_finality(proven.batch_index)
    assert staticcall inbox.is_output_final(proven.batch_index), \
        "WithdrawalPortal: the inbox does not hold the output final"

    self.finalized_withdrawals[withdrawal_hash] = True
    self.l2_sender = withdrawal.sender
    # Checked last, right before the call, so only the CALL's own costs lie between the check
    # and the call: the callee then gets its full gas_limit (the EVM passes on 63/64 of what is
    # left), and a relayer cannot make the withdrawal fail by sending too little gas.
    assert msg.gas >= withdrawal.gas_limit + withdrawal.gas_limit // 63 + FINALIZE_GAS_RESERVE, \
        "WithdrawalPortal: not enough gas to give the call its gas limit"
    success: bool = raw_call(
        withdrawal.target,
        withdrawal.data,
        value=withdrawal.value,
        gas=withdrawal.gas_limit,
        revert_on_failure=False,
    )
    self.l2_sender = empty(address)
    if success:
        self.withdrawals_paid += withdrawal.value
        log WithdrawalFinalized(
            withdrawal_hash=withdrawal_hash, target=withdrawal.target, value=withdrawal.value
        )
    else:
        self.finalized_withdrawals[withdrawal_hash] = False
        log WithdrawalFailed(
            withdrawal_hash=withdrawal_hash, target=withdrawal.target, value=withdrawal.value
        )


# ---------------------------------------------------------------------------------------------
# Merkle-Patricia storage proof verification
# ---------------------------------------------------------------------------------------------


@internal
@pure
def _byte_at(data: Bytes[MAX_NODE_BYTES], position: uint256) -> uint256:
    return convert(slice(data, position, 1), uint256)


@internal
@pure
def _rlp_item(data: Bytes[MAX_NODE_BYTES], start: uint256, limit: uint256) -> RlpItem:
    """
    The RLP item whose header starts at `start`; it must end at or before `limit` (the end of
    the list that contains it). Only canonical encodings are accepted: a single byte below 0x80
    encodes as itself, the long forms are used only for payloads of 56 bytes or more, and a
    length has no leading zero. Lengths of more than two bytes cannot fit in a node.
    """
    assert start < limit, "WithdrawalPortal: RLP item starts at the end of its list"
    prefix: uint256 = self._byte_at(data, start)
    if prefix < 128:  # 0x80: a single byte below it is its own encoding
        return RlpItem(start=start, offset=start, length=1, is_list=False, end=start + 1)

    is_list: bool = prefix >= 192  # 0xc0: list prefixes
    short_base: uint256 = 128  # 0x80
    long_base: uint256 = 183  # 0xb7
    if is_list:
        short_base = 192  # 0xc0
        long_base = 247  # 0xf7
    offset: uint256 = 0
    length: uint256 = 0
    if prefix <= long_base:
        length = prefix - short_base
        offset = start + 1
        if length == 1 and not is_list:
            assert offset < limit, "WithdrawalPortal: RLP item runs past the end of its list"
            assert self._byte_at(data, offset) >= 128, \
                "WithdrawalPortal: non-canonical RLP: a byte below 0x80 with a string prefix"
    else:
        length_bytes: uint256 = prefix - long_base
        assert length_bytes <= 2, "WithdrawalPortal: RLP length is longer than a node can be"
        assert start + 1 + length_bytes <= limit, \
            "WithdrawalPortal: RLP length runs past the end of its list"
        length = self._byte_at(data, start + 1)
        assert length != 0, "WithdrawalPortal: non-canonical RLP: length with a leading zero"
        if length_bytes == 2:
            length = length * 256 + self._byte_at(data, start + 2)
        assert length >= 56, "WithdrawalPortal: non-canonical RLP: long form for a short payload"
        offset = start + 1 + length_bytes
    assert offset + length <= limit, "WithdrawalPortal: RLP item runs past the end of its list"
    return RlpItem(start=start, offset=offset, length=length, is_list=is_list,
                   end=offset + length)


@internal
@pure
def _node_items(node: Bytes[MAX_NODE_BYTES]) -> DynArray[RlpItem, BRANCH_ITEMS]:
    """The items of a trie node: one RLP list spanning the node exactly, of 17 items (branch)
    or 2 (leaf or extension)."""
    size: uint256 = len(node)
    assert size > 0, "WithdrawalPortal: empty proof node"
    head: RlpItem = self._rlp_item(node, 0, size)
    assert head.is_list, "WithdrawalPortal: proof node is not an RLP list"
    assert head.end == size, "WithdrawalPortal: proof node has bytes after its RLP list"
    items: DynArray[RlpItem, BRANCH_ITEMS] = []
    position: uint256 = head.offset
    for _: uint256 in range(BRANCH_ITEMS + 1):
        if position == size:
            break
        assert len(items) < BRANCH_ITEMS, "WithdrawalPortal: proof node has more than 17 items"
        item: RlpItem = self._rlp_item(node, position, size)
        items.append(item)
        position = item.end
    count: uint256 = len(items)
    assert count == BRANCH_ITEMS or count == 2, \
        "WithdrawalPortal: proof node is neither a branch nor a leaf or extension"
    return items


@internal
@pure
def _child(node: Bytes[MAX_NODE_BYTES], item: RlpItem) -> (bytes32, bool, Bytes[MAX_NODE_BYTES]):
    """
    Follow a child reference: a 32-byte string is the keccak256 of the next proof node; a list
    is the next node itself, embedded because its encoding is shorter than 32 bytes (a longer
    one must be referenced by hash, so an embedded node can never stand in for a hashed one).
    An empty reference means the key is not in the trie. Returns (hash, is_inline, inline node).
    """
    if item.is_list:
        encoded_length: uint256 = item.end - item.start
        assert encoded_length < 32, \
            "WithdrawalPortal: inline node of 32 bytes or more (must be referenced by hash)"
        return empty(bytes32), True, slice(node, item.start, encoded_length)
    assert item.length != 0, "WithdrawalPortal: key is absent (empty child reference)"
    assert item.length == 32, \
        "WithdrawalPortal: child reference is neither a 32-byte hash nor an inline node"
    return extract32(node, item.offset), False, b""


@internal
@pure
def _path_nibble(node: Bytes[MAX_NODE_BYTES], path: RlpItem, index: uint256) -> uint256:
    """Nibble `index` of the hex-prefix position sequence (0 is the flag nibble)."""
    value: uint256 = self._byte_at(node, path.offset + index // 2)
    if index % 2 == 0:
        return value >> 4
    return value & 15


@internal
@pure
def _verify_storage_proof(
    root: bytes32, key: bytes32, proof: DynArray[Bytes[MAX_NODE_BYTES], MAX_PROOF_NODES]
):
    """
    Revert unless `proof` walks the trie with root `root` along all 64 nibbles of `key` to a
    leaf whose value is the RLP string 0x01 (the storage value 1). The first node must hash to
    the root and every hashed child reference to the next node; the walk must use every node
    of the proof and end at a leaf whose path is exactly the rest of the key.
    """
    assert len(proof) > 0, "WithdrawalPortal: empty storage proof"
    key_bits: uint256 = convert(key, uint256)
    consumed: uint256 = 0
    used: uint256 = 0
    expected: bytes32 = root
    node: Bytes[MAX_NODE_BYTES] = b""
    inline: bool = False
    after_extension: bool = False
    for _: uint256 in range(MAX_WALK_STEPS):
        if not inline:
            assert used < len(proof), "WithdrawalPortal: storage proof ends before the leaf"
            node = proof[used]
            if used == 0:
                assert keccak256(node) == expected, \
                    "WithdrawalPortal: first proof node does not hash to the storage root"
            else:
                assert keccak256(node) == expected, \
                    "WithdrawalPortal: proof node does not hash to its parent's reference"
            used += 1
        items: DynArray[RlpItem, BRANCH_ITEMS] = self._node_items(node)

        if len(items) == BRANCH_ITEMS:
            assert consumed < KEY_NIBBLES, "WithdrawalPortal: key ends at a branch node"
            branch_value: RlpItem = items[BRANCH_ITEMS - 1]
            assert not branch_value.is_list and branch_value.length == 0, \
                "WithdrawalPortal: branch node holds a value (storage keys end at leaves)"
            nibble: uint256 = (key_bits >> (4 * (KEY_NIBBLES - 1 - consumed))) & 15
            consumed += 1
            after_extension = False
            expected, inline, node = self._child(node, items[nibble])
            continue

        assert not after_extension, "WithdrawalPortal: extension node does not lead to a branch"
        path: RlpItem = items[0]
        assert not path.is_list, "WithdrawalPortal: node path is not an RLP string"
        assert path.length > 0, "WithdrawalPortal: node path is empty"
        flag: uint256 = self._path_nibble(node, path, 0)
        assert flag <= 3, "WithdrawalPortal: invalid hex-prefix flag"
        is_leaf: bool = flag >= 2
        odd: bool = flag % 2 == 1
        first_position: uint256 = 2
        if odd:
            first_position = 1
        else:
            assert self._path_nibble(node, path, 1) == 0, \
                "WithdrawalPortal: hex-prefix padding nibble is not zero"
        path_nibbles: uint256 = 2 * path.length - first_position
        assert consumed + path_nibbles <= KEY_NIBBLES, \
            "WithdrawalPortal: node path is longer than the rest of the key"
        for index: uint256 in range(KEY_NIBBLES):
            if index == path_nibbles:
                break
            key_nibble: uint256 = (key_bits >> (4 * (KEY_NIBBLES - 1 - consumed - index))) & 15
            if self._path_nibble(node, path, first_position + index) != key_nibble:
                if is_leaf:
                    raise "WithdrawalPortal: key is absent (leaf path differs from the key)"
                raise "WithdrawalPortal: key is absent (extension path differs from the key)"
        consumed += path_nibbles

        if is_leaf:
            assert consumed == KEY_NIBBLES, \
                "WithdrawalPortal: leaf path is shorter than the rest of the key"
            value: RlpItem = items[1]
            assert not value.is_list, "WithdrawalPortal: leaf value is not an RLP string"
            assert value.length == 1 and self._byte_at(node, value.offset) == 1, \
                "WithdrawalPortal: stored value is not 1"
            assert used == len(proof), "WithdrawalPortal: storage proof has nodes after the leaf"
            return

        assert path_nibbles > 0, "WithdrawalPortal: extension node with an empty path"
        after_extension = True
        expected, inline, node = self._child(node, items[1])
    raise "WithdrawalPortal: storage proof walk did not end"
