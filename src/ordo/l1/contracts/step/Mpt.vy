# pragma version 0.4.3
"""
@title Merkle-Patricia reads and writes through proofs (docs/fault_proofs.md 1.3.1)
@notice The step verifier holds only state roots: it reads an account, a storage slot or an
        entry of the accessed / created / transient sets through a proof, and writes by
        computing the new root from the same proof. This module mirrors
        src/ordo/faultproof/mpt_proof.py check for check, message for message and byte for
        byte: whatever the tracer proves there is accepted here, and whatever either refuses
        the other refuses.

        A proof is read where it lies in the calldata (`proof_at`, `proof_size`): its hashed
        nodes concatenated, root first, each ending where its RLP header says. Keys are 32-byte
        paths (64 nibbles, already hashed for a secure trie); a node shorter than 32 bytes is
        embedded in its parent and is read there. Only the canonical trie of its leaves is
        accepted: a branch with a value or fewer than two children, an extension to anything
        but a branch, a leaf that does not end the key, an embedded node of 32 bytes or more or
        a hashed one of fewer, non-canonical RLP are all refused with a reason.
"""

KEY_NIBBLES: constant(uint256) = 64
MAX_NODE_BYTES: constant(uint256) = 600
# A loaded node buffer: 19 words hold the largest node.
NODE_BUFFER: constant(uint256) = 608
MAX_VALUE_BYTES: constant(uint256) = 128
# Each branch or extension consumes at least one of the 64 nibbles, then the leaf: 65 nodes.
MAX_WALK_STEPS: constant(uint256) = 65
BRANCH_ITEMS: constant(uint256) = 17
BLANK_ROOT: constant(bytes32) = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421
EMPTIES: constant(Bytes[17]) = b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
EMPTY_REFERENCE: constant(Bytes[1]) = b"\x80"

KIND_BRANCH: constant(uint256) = 0
KIND_EXTENSION: constant(uint256) = 1
KIND_LEAF: constant(uint256) = 2
KIND_NONE: constant(uint256) = 3

END_EMPTY_TRIE: constant(uint256) = 0
END_FOUND: constant(uint256) = 1
END_LEAF_DIFFERS: constant(uint256) = 2
END_EXTENSION_DIFFERS: constant(uint256) = 3
END_BRANCH_EMPTY: constant(uint256) = 4


# One RLP item inside a buffer: where its header starts, where its payload starts and how long
# it is, whether it is a list, and where the next item starts.
struct Item:
    start: uint256
    offset: uint256
    length: uint256
    is_list: bool
    end: uint256


# The items of a node (packed, see _pack), how many, and for a branch how many of its 16 child
# references are present and the first malformed one (1: embedded but 32 bytes or more, 2: a
# string neither empty nor 32 bytes).
struct Items:
    items: uint256[BRANCH_ITEMS]
    count: uint256
    present: uint256
    bad_reference: uint256


# A checked node: its items (packed), its kind, and for a leaf or an extension the nibbles of its path
# (the low 4 * path_len bits of `path`).
struct Node:
    items: uint256[BRANCH_ITEMS]
    kind: uint256
    path: uint256
    path_len: uint256


# Where the walk along the key went. Each level is one node, packed in a word (see _level):
# the calldata offset and size of the hashed node holding it, its range inside that node, where
# its list payload starts, the range of the item the walk follows (a branch's slot for the
# key's nibble, an extension's child, a leaf's value), its kind, depth and path length; `paths`
# holds the leaf or extension path of each level.
struct Walk:
    levels: DynArray[uint256, MAX_WALK_STEPS]
    paths: DynArray[uint256, MAX_WALK_STEPS]
    end: uint256
    common: uint256


# ---------------------------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------------------------


@internal
@pure
def _reason(code: uint256) -> String[64]:
    """@notice The reason numbered `code`: one table and one revert (_fail) instead of an
            encoded message at every check keeps the module small."""
    if code == 1:
        return "Mpt: RLP item runs past the end of its list"
    if code == 2:
        return "Mpt: non-canonical RLP: a byte below 0x80 with a string prefix"
    if code == 3:
        return "Mpt: RLP length is longer than a node can be"
    if code == 4:
        return "Mpt: RLP length runs past the end of its list"
    if code == 5:
        return "Mpt: non-canonical RLP: length with a leading zero"
    if code == 6:
        return "Mpt: non-canonical RLP: long form for a short payload"
    if code == 7:
        return "Mpt: node has more than 17 items"
    if code == 8:
        return "Mpt: node is neither a branch nor a leaf or extension"
    if code == 9:
        return "Mpt: embedded node of 32 bytes or more"
    if code == 10:
        return "Mpt: extension has an empty child"
    if code == 11:
        return "Mpt: child reference is neither a hash nor an embedded node"
    if code == 12:
        return "Mpt: branch at the end of the key"
    if code == 13:
        return "Mpt: branch holds a value"
    if code == 14:
        return "Mpt: branch has fewer than two children"
    if code == 15:
        return "Mpt: node path is not an RLP string"
    if code == 16:
        return "Mpt: node path is empty"
    if code == 17:
        return "Mpt: invalid hex-prefix flag"
    if code == 18:
        return "Mpt: hex-prefix padding nibble is not zero"
    if code == 19:
        return "Mpt: leaf path does not end at the key's end"
    if code == 20:
        return "Mpt: leaf value is not an RLP string"
    if code == 21:
        return "Mpt: leaf value is empty"
    if code == 22:
        return "Mpt: leaf value longer than 128 bytes"
    if code == 23:
        return "Mpt: extension path is empty"
    if code == 24:
        return "Mpt: extension path reaches the key's end"
    if code == 25:
        return "Mpt: proof ends before the key's node"
    if code == 26:
        return "Mpt: proof node is not an RLP list"
    if code == 27:
        return "Mpt: node longer than 600 bytes"
    if code == 28:
        return "Mpt: proof node runs past the end of the proof"
    if code == 29:
        return "Mpt: proof of the empty trie has nodes"
    if code == 30:
        return "Mpt: first proof node does not hash to the root"
    if code == 31:
        return "Mpt: proof node does not hash to its parent's reference"
    if code == 32:
        return "Mpt: hashed node shorter than 32 bytes"
    if code == 33:
        return "Mpt: extension does not lead to a branch"
    if code == 34:
        return "Mpt: proof has bytes after the key's node"
    if code == 35:
        return "Mpt: extra node given for a write that needs none"
    if code == 36:
        return "Mpt: deletion needs the remaining sibling node as extra"
    if code == 37:
        return "Mpt: extra has bytes after its node"
    if code == 38:
        return "Mpt: extra node does not hash to the sibling's reference"
    return "Mpt: walk did not end"


@internal
@pure
def _fail(code: uint256):
    """@notice Revert with reason `code` of _reason."""
    raise self._reason(code)


# ---------------------------------------------------------------------------------------------
# Calldata and bytes
# ---------------------------------------------------------------------------------------------


@internal
@view
def _word(at: uint256) -> bytes32:
    """@notice The 32 calldata bytes at `at`, zero past the calldata's end."""
    size: uint256 = len(msg.data)
    if at + 32 <= size:
        return extract32(slice(msg.data, at, 32), 0)
    if at >= size:
        return empty(bytes32)
    tail: uint256 = convert(extract32(slice(msg.data, size - 32, 32), 0), uint256)
    return convert(tail << (8 * (at + 32 - size)), bytes32)


@internal
@view
def _load(at: uint256, size: uint256) -> Bytes[NODE_BUFFER]:
    """@notice The `size` (at most 600) calldata bytes at `at`."""
    if at + NODE_BUFFER <= len(msg.data):
        whole: Bytes[NODE_BUFFER] = slice(msg.data, at, NODE_BUFFER)
        return slice(whole, 0, size)
    words: bytes32[19] = empty(bytes32[19])
    for index: uint256 in range(19):
        if 32 * index >= size:
            break
        words[index] = self._word(at + 32 * index)
    joined: Bytes[NODE_BUFFER] = concat(
        words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7],
        words[8], words[9], words[10], words[11], words[12], words[13], words[14], words[15],
        words[16], words[17], words[18])
    return slice(joined, 0, size)


@internal
@pure
def _byte(number: uint256) -> Bytes[1]:
    return slice(convert(number, bytes32), 31, 1)


@internal
@pure
def _short(data: Bytes[NODE_BUFFER], start: uint256, size: uint256) -> Bytes[33]:
    """@notice `size` (at most 33) bytes of `data` from `start`, as a short byte string."""
    padded: Bytes[NODE_BUFFER + 33] = concat(data, empty(bytes32), b"\x00")
    return slice(concat(extract32(padded, start), slice(padded, start + 32, 1)), 0, size)


@internal
@pure
def _value(data: Bytes[NODE_BUFFER], start: uint256, size: uint256) -> Bytes[MAX_VALUE_BYTES]:
    """@notice `size` (at most 128) bytes of `data` from `start`."""
    padded: Bytes[NODE_BUFFER + 128] = concat(data, empty(bytes32), empty(bytes32),
                                              empty(bytes32), empty(bytes32))
    return slice(concat(extract32(padded, start), extract32(padded, start + 32),
                        extract32(padded, start + 64), extract32(padded, start + 96)), 0, size)


# ---------------------------------------------------------------------------------------------
# RLP items and nodes
# ---------------------------------------------------------------------------------------------


@internal
@pure
def _rlp_item(head: uint256, start: uint256, limit: uint256) -> Item:
    """
    @notice The canonical RLP item whose header starts at `start` (before `limit`: every
            caller reads items only while bytes are left) and that ends by `limit`; `head` is
            the 32 bytes from `start` on (a header is at most 3 bytes, and a one-byte string's
            byte follows its header).
    """
    prefix: uint256 = head >> 248
    if prefix < 128:
        return Item(start=start, offset=start, length=1, is_list=False, end=start + 1)
    is_list: bool = prefix >= 192
    short_base: uint256 = 128
    long_base: uint256 = 183
    if is_list:
        short_base = 192
        long_base = 247
    offset: uint256 = 0
    length: uint256 = 0
    if prefix <= long_base:
        length = prefix - short_base
        offset = start + 1
        if length == 1 and not is_list:
            if not (offset < limit):
                self._fail(1)  # RLP item runs past the end of its list
            if not ((head >> 240) & 255 >= 128):
                self._fail(2)  # non-canonical RLP: a byte below 0x80 with a string prefix
    else:
        length_bytes: uint256 = prefix - long_base
        if not (length_bytes <= 2):
            self._fail(3)  # RLP length is longer than a node can be
        if not (start + 1 + length_bytes <= limit):
            self._fail(4)  # RLP length runs past the end of its list
        length = (head >> 240) & 255
        if not (length != 0):
            self._fail(5)  # non-canonical RLP: length with a leading zero
        if length_bytes == 2:
            length = length * 256 + ((head >> 232) & 255)
        if not (length >= 56):
            self._fail(6)  # non-canonical RLP: long form for a short payload
        offset = start + 1 + length_bytes
    if not (offset + length <= limit):
        self._fail(1)  # RLP item runs past the end of its list
    return Item(start=start, offset=offset, length=length, is_list=is_list, end=offset + length)


@internal
@pure
def _pack(item: Item) -> uint256:
    """@notice An item in one word: positions inside a node are below 2^16."""
    flag: uint256 = 0
    if item.is_list:
        flag = 1
    return item.start | (item.offset << 16) | (item.length << 32) | (flag << 48) | (item.end << 64)


@internal
@pure
def _unpack(packed: uint256) -> Item:
    return Item(start=packed & 65535, offset=(packed >> 16) & 65535,
                length=(packed >> 32) & 65535, is_list=(packed >> 48) & 1 == 1,
                end=(packed >> 64) & 65535)


@internal
@pure
def _node_items(data: Bytes[NODE_BUFFER], start: uint256, end: uint256) -> Items:
    """
    @notice The items of the node at `start`..`end` of `data`: 17 (branch) or 2 (leaf or
            extension), packed; the node's list header was read before (a proof node's by
            _proof_node, an embedded node's as its parent's item), so it spans `start`..`end`
            exactly. For a branch it also classifies the 16 child references in the same pass
            (the checks themselves are made by _check_node, in mpt_proof's order).
    """
    padded: Bytes[NODE_BUFFER + 32] = concat(data, empty(bytes32))
    first: uint256 = convert(extract32(padded, start), uint256)
    position: uint256 = 0
    # the list header: a short one read here, a long one checked for canonical form
    if first >> 248 < 248:
        position = unsafe_add(start, 1)
    else:
        position = self._rlp_item(first, start, end).offset
    items: uint256[BRANCH_ITEMS] = empty(uint256[BRANCH_ITEMS])
    count: uint256 = 0
    present: uint256 = 0
    bad_reference: uint256 = 0
    for index: uint256 in range(BRANCH_ITEMS + 1):
        if position == end:
            break
        if index == BRANCH_ITEMS:
            self._fail(7)  # node has more than 17 items
        word: uint256 = convert(extract32(padded, position), uint256)
        prefix: uint256 = word >> 248
        # the items of a branch are read here as _rlp_item would read them: the empty string,
        # a 32-byte hash, a short list (an embedded node); anything else by _rlp_item itself
        next: uint256 = 0
        if prefix == 128:
            next = unsafe_add(position, 1)
            items[index] = position | (next << 16) | (next << 64)
        elif prefix == 160 and unsafe_add(position, 33) <= end:
            next = unsafe_add(position, 33)
            items[index] = position | (unsafe_add(position, 1) << 16) | (32 << 32) | (next << 64)
            present = unsafe_add(present, 1)
        elif prefix >= 192 and prefix < 248 and unsafe_sub(unsafe_add(position, prefix), 191) <= end:
            next = unsafe_sub(unsafe_add(position, prefix), 191)
            items[index] = (position | (unsafe_add(position, 1) << 16)
                            | (unsafe_sub(prefix, 192) << 32) | (1 << 48) | (next << 64))
            present = unsafe_add(present, 1)
            if prefix >= 223 and bad_reference == 0 and index < 16:  # 32 bytes or more
                bad_reference = 1
        else:
            item: Item = self._rlp_item(word, position, end)
            next = item.end
            items[index] = self._pack(item)
            if item.is_list or item.length != 0:
                present = unsafe_add(present, 1)
            if bad_reference == 0 and index < 16:
                if item.is_list and item.end - item.start >= 32:
                    bad_reference = 1
                elif not item.is_list and item.length != 0 and item.length != 32:
                    bad_reference = 2
        count = unsafe_add(index, 1)
        position = next
    if not (count == BRANCH_ITEMS or count == 2):
        self._fail(8)  # node is neither a branch nor a leaf or extension
    # the value (item 16) is not a child: a present one is refused as a value, not counted
    if count == BRANCH_ITEMS and self._present(self._unpack(items[16])):
        present = unsafe_sub(present, 1)
    return Items(items=items, count=count, present=present, bad_reference=bad_reference)


@internal
@pure
def _check_extension_child(item: Item):
    """@notice An extension's child reference: a 32-byte hash, or a node embedded because its
            encoding is shorter than 32 bytes (a branch's references are checked as its items
            are read, _node_items)."""
    if item.is_list:
        if not (item.end - item.start < 32):
            self._fail(9)  # embedded node of 32 bytes or more
        return
    if not (item.length != 0):
        self._fail(10)  # extension has an empty child
    if not (item.length == 32):
        self._fail(11)  # child reference is neither a hash nor an embedded node


@internal
@pure
def _present(item: Item) -> bool:
    return item.is_list or item.length != 0


@internal
@pure
def _check_node(data: Bytes[NODE_BUFFER], start: uint256, end: uint256, depth: uint256) -> Node:
    """@notice Parse and check the node at `start`..`end` of `data`, met `depth` nibbles down
            the key (the checks of mpt_proof.check_node, in the same order)."""
    parsed: Items = self._node_items(data, start, end)
    if parsed.count == BRANCH_ITEMS:
        if not (depth < KEY_NIBBLES):
            self._fail(12)  # branch at the end of the key
        slot: Item = self._unpack(parsed.items[16])
        if not (not slot.is_list and slot.length == 0):
            self._fail(13)  # branch holds a value
        if not (parsed.bad_reference != 1):
            self._fail(9)  # embedded node of 32 bytes or more
        if not (parsed.bad_reference != 2):
            self._fail(11)  # child reference is neither a hash nor an embedded node
        if not (parsed.present >= 2):
            self._fail(14)  # branch has fewer than two children
        return Node(items=parsed.items, kind=KIND_BRANCH, path=0, path_len=0)
    items: uint256[BRANCH_ITEMS] = parsed.items
    hp: Item = self._unpack(items[0])
    if not (not hp.is_list):
        self._fail(15)  # node path is not an RLP string
    if not (hp.length > 0):
        self._fail(16)  # node path is empty
    padded: Bytes[NODE_BUFFER + 64] = concat(data, empty(bytes32), empty(bytes32))
    word: uint256 = convert(extract32(padded, hp.offset), uint256)
    flag: uint256 = word >> 252
    if not (flag <= 3):
        self._fail(17)  # invalid hex-prefix flag
    first: uint256 = 2
    if flag % 2 == 1:
        first = 1
    else:
        if not ((word >> 248) & 15 == 0):
            self._fail(18)  # hex-prefix padding nibble is not zero
    nibbles: uint256 = 2 * hp.length - first
    # the path's nibbles: the hex-prefix string after its flag (and padding) nibble; a path of
    # more than 64 nibbles fails the checks below, whatever it is read as
    path: uint256 = 0
    if hp.length <= 32:
        path = (word >> (8 * (32 - hp.length))) & ((1 << (4 * nibbles)) - 1)
    elif nibbles == KEY_NIBBLES:
        path = convert(extract32(padded, hp.offset + 1), uint256)
    if flag >= 2:
        if not (depth + nibbles == KEY_NIBBLES):
            self._fail(19)  # leaf path does not end at the key's end
        value: Item = self._unpack(items[1])
        if not (not value.is_list):
            self._fail(20)  # leaf value is not an RLP string
        if not (value.length > 0):
            self._fail(21)  # leaf value is empty
        if not (value.length <= MAX_VALUE_BYTES):
            self._fail(22)  # leaf value longer than 128 bytes
        return Node(items=items, kind=KIND_LEAF, path=path, path_len=nibbles)
    if not (nibbles > 0):
        self._fail(23)  # extension path is empty
    if not (depth + nibbles < KEY_NIBBLES):
        self._fail(24)  # extension path reaches the key's end
    self._check_extension_child(self._unpack(items[1]))
    return Node(items=items, kind=KIND_EXTENSION, path=path, path_len=nibbles)


@internal
@view
def _proof_node(blob_at: uint256, blob_size: uint256, position: uint256) -> uint256:
    """@notice The size of the node starting at `position` of the packed proof at `blob_at`:
            an RLP list header and the bytes it announces (canonical form is checked with the
            node's items)."""
    if not (position < blob_size):
        self._fail(25)  # proof ends before the key's node
    head: uint256 = convert(self._word(blob_at + position), uint256)
    prefix: uint256 = head >> 248
    if not (prefix >= 192):
        self._fail(26)  # proof node is not an RLP list
    if not (prefix <= 249):
        self._fail(27)  # node longer than 600 bytes
    size: uint256 = 0
    if prefix <= 247:
        size = 1 + prefix - 192
    elif prefix == 248:
        if not (position + 2 <= blob_size):
            self._fail(28)  # proof node runs past the end of the proof
        size = 2 + ((head >> 240) & 255)
    else:
        if not (position + 3 <= blob_size):
            self._fail(28)  # proof node runs past the end of the proof
        size = 3 + ((head >> 232) & 65535)
    if not (size <= MAX_NODE_BYTES):
        self._fail(27)  # node longer than 600 bytes
    if not (position + size <= blob_size):
        self._fail(28)  # proof node runs past the end of the proof
    return size


# ---------------------------------------------------------------------------------------------
# Levels of a walk (packed: calldata offsets below 2^32, positions inside a node below 2^16)
# ---------------------------------------------------------------------------------------------


@internal
@pure
def _level(at: uint256, size: uint256, start: uint256, end: uint256, payload: uint256,
           child: Item, kind: uint256, depth: uint256, path_len: uint256) -> uint256:
    # `at` is a calldata offset: no call can pay for 4 GiB of calldata
    return (at | (size << 32) | (start << 48) | (end << 64) | (payload << 80)
            | (child.start << 96) | (child.end << 112) | (kind << 128) | (depth << 136)
            | (path_len << 144))


@internal
@pure
def _field(level: uint256, offset: uint256) -> uint256:
    if offset == 0:
        return level & (2**32 - 1)
    if offset >= 128:
        return (level >> offset) & 255
    return (level >> offset) & 65535


@internal
@view
def _level_node(level: uint256) -> Bytes[NODE_BUFFER]:
    """@notice The hashed node holding a level's node, loaded from the calldata again."""
    return self._load(self._field(level, 0), self._field(level, 32))


@internal
@pure
def _key_nibble(key: bytes32, index: uint256) -> uint256:
    return (convert(key, uint256) >> (4 * (KEY_NIBBLES - 1 - index))) & 15


@internal
@pure
def _key_slice(key: bytes32, start: uint256, count: uint256) -> uint256:
    """@notice The key's `count` nibbles from `start` on (the low 4 * count bits)."""
    return self._key_suffix(key, start) >> (4 * (KEY_NIBBLES - start - count))


@internal
@pure
def _key_suffix(key: bytes32, start: uint256) -> uint256:
    """@notice The key's nibbles from `start` on (the low 4 * (64 - start) bits)."""
    if start == 0:
        return convert(key, uint256)
    return convert(key, uint256) & ((1 << (4 * (KEY_NIBBLES - start))) - 1)


@internal
@view
def _walk(root: bytes32, key: bytes32, proof_at: uint256, proof_size: uint256) -> Walk:
    """@notice Follow `key` from `root` through the packed proof, checking every node; every
            byte of the proof must be used."""
    result: Walk = empty(Walk)
    if root == BLANK_ROOT:
        if not (proof_size == 0):
            self._fail(29)  # proof of the empty trie has nodes
        result.end = END_EMPTY_TRIE
        return result
    depth: uint256 = 0
    position: uint256 = 0
    expected: bytes32 = root
    embedded: bool = False
    holder_at: uint256 = 0
    holder_size: uint256 = 0
    data: Bytes[NODE_BUFFER] = b""
    start: uint256 = 0
    end: uint256 = 0
    previous: uint256 = KIND_NONE
    for _: uint256 in range(MAX_WALK_STEPS):
        if not embedded:
            holder_size = self._proof_node(proof_at, proof_size, position)
            holder_at = proof_at + position
            data = self._load(holder_at, holder_size)
            if position == 0:
                if not (keccak256(data) == expected):
                    self._fail(30)  # first proof node does not hash to the root
            else:
                if not (keccak256(data) == expected):
                    self._fail(31)  # proof node does not hash to its parent's reference
                if not (holder_size >= 32):
                    self._fail(32)  # hashed node shorter than 32 bytes
            position += holder_size
            start = 0
            end = holder_size
        node: Node = self._check_node(data, start, end, depth)
        if previous == KIND_EXTENSION:
            if not (node.kind == KIND_BRANCH):
                self._fail(33)  # extension does not lead to a branch
        previous = node.kind
        payload: uint256 = node.items[0] & 65535
        child: Item = empty(Item)
        if node.kind == KIND_BRANCH:
            child = self._unpack(node.items[self._key_nibble(key, depth)])
            result.levels.append(self._level(holder_at, holder_size, start, end, payload, child,
                                             node.kind, depth, 0))
            result.paths.append(0)
            if not self._present(child):
                result.end = END_BRANCH_EMPTY
                if not (position == proof_size):
                    self._fail(34)  # proof has bytes after the key's node
                return result
            depth += 1
        else:
            child = self._unpack(node.items[1])
            result.levels.append(self._level(holder_at, holder_size, start, end, payload, child,
                                             node.kind, depth, node.path_len))
            result.paths.append(node.path)
            # the nibbles the path shares with the key: the leading zero nibbles of their XOR
            differ: uint256 = node.path ^ self._key_slice(key, depth, node.path_len)
            common: uint256 = 0
            for index: uint256 in range(KEY_NIBBLES):
                if index == node.path_len:
                    break
                if (differ >> unsafe_mul(4, unsafe_sub(unsafe_sub(node.path_len, 1), index))) & 15 != 0:
                    break
                common = unsafe_add(common, 1)
            result.common = common
            if node.kind == KIND_LEAF:
                result.end = END_LEAF_DIFFERS
                if common == node.path_len:
                    result.end = END_FOUND
                if not (position == proof_size):
                    self._fail(34)  # proof has bytes after the key's node
                return result
            if common < node.path_len:
                result.end = END_EXTENSION_DIFFERS
                if not (position == proof_size):
                    self._fail(34)  # proof has bytes after the key's node
                return result
            depth += node.path_len
        if child.is_list:
            embedded = True
            start = child.start
            end = child.end
        else:
            embedded = False
            expected = extract32(data, child.offset)
    raise "Mpt: walk did not end"


# ---------------------------------------------------------------------------------------------
# Building nodes
# ---------------------------------------------------------------------------------------------


@internal
@pure
def _list_header(length: uint256) -> Bytes[3]:
    if length < 56:
        return self._byte(192 + length)
    if length < 256:
        return concat(b"\xf8", self._byte(length))
    return concat(b"\xf9", self._byte(length >> 8), self._byte(length & 255))


@internal
@pure
def _encode_value(stored: Bytes[MAX_VALUE_BYTES]) -> Bytes[MAX_VALUE_BYTES + 2]:
    """@notice The RLP string of a value (1 to 128 bytes)."""
    size: uint256 = len(stored)
    if size == 1 and convert(slice(stored, 0, 1), uint256) < 128:
        return stored
    if size < 56:
        return concat(self._byte(128 + size), stored)
    return concat(b"\xb8", self._byte(size), stored)


@internal
@pure
def _hex_prefix(path: uint256, count: uint256, leaf: bool) -> Bytes[35]:
    """@notice The RLP string of the hex-prefix encoding of `count` nibbles."""
    flag: uint256 = 0
    if leaf:
        flag = 2
    first: uint256 = flag << 4
    rest: uint256 = path
    rest_bytes: uint256 = count // 2
    if count % 2 == 1:
        first = ((flag + 1) << 4) | (path >> (4 * (count - 1)))
        rest = path & ((1 << (4 * (count - 1))) - 1)
    encoded: Bytes[33] = self._byte(first)
    if rest_bytes > 0:
        encoded = concat(self._byte(first), slice(convert(rest, bytes32), 32 - rest_bytes,
                                                  rest_bytes))
    if rest_bytes == 0:
        return encoded  # one byte below 0x80 (flags are at most 3): its own encoding
    return concat(self._byte(128 + len(encoded)), encoded)


@internal
@pure
def _kv_node(path: uint256, count: uint256, leaf: bool,
             tail: Bytes[NODE_BUFFER]) -> Bytes[NODE_BUFFER + 38]:
    """
    @notice A leaf (`tail` is the value's RLP string as written in the leaf) or an extension
            (`tail` is the child's reference) of `count` nibbles.
    """
    hp: Bytes[35] = self._hex_prefix(path, count, leaf)
    return concat(self._list_header(len(hp) + len(tail)), hp, tail)


@internal
@pure
def _branch(first: uint256, first_child: Bytes[33], second: uint256,
            second_child: Bytes[33]) -> Bytes[120]:
    """@notice A branch with two children (`first` < `second`) and no value."""
    payload: Bytes[117] = concat(slice(EMPTIES, 0, first), first_child,
                                 slice(EMPTIES, 0, second - first - 1), second_child,
                                 slice(EMPTIES, 0, 16 - second))
    return concat(self._list_header(len(payload)), payload)


@internal
@pure
def _reference(node: Bytes[1300]) -> Bytes[33]:
    """@notice How a parent refers to a node: the node itself when its encoding is shorter
            than 32 bytes, otherwise the RLP string of its hash."""
    if len(node) < 32:
        return slice(extract32(concat(node, empty(bytes32)), 0), 0, len(node))
    return concat(b"\xa0", keccak256(node))


@internal
@view
def _rehash(walk: Walk, count: uint256, replacement: Bytes[1300]) -> bytes32:
    """@notice The root after replacing the node below level `count - 1` of the walk with
            `replacement` (empty: with nothing) and updating every level above it."""
    node: Bytes[1300] = replacement
    for step: uint256 in range(MAX_WALK_STEPS):
        if step == count:
            break
        level: uint256 = walk.levels[count - 1 - step]
        data: Bytes[NODE_BUFFER] = self._level_node(level)
        reference: Bytes[33] = EMPTY_REFERENCE
        if len(node) > 0:
            reference = self._reference(node)
        payload: uint256 = self._field(level, 80)
        child_start: uint256 = self._field(level, 96)
        child_end: uint256 = self._field(level, 112)
        end: uint256 = self._field(level, 64)
        before: Bytes[NODE_BUFFER] = slice(data, payload, child_start - payload)
        after: Bytes[NODE_BUFFER] = slice(data, child_end, end - child_end)
        node = concat(self._list_header(len(before) + len(reference) + len(after)), before,
                      reference, after)
    if len(node) == 0:
        return BLANK_ROOT
    return keccak256(node)


# ---------------------------------------------------------------------------------------------
# Reads and writes
# ---------------------------------------------------------------------------------------------


@internal
@view
def _found_value(walk: Walk) -> Bytes[MAX_VALUE_BYTES]:
    level: uint256 = walk.levels[len(walk.levels) - 1]
    data: Bytes[NODE_BUFFER] = self._level_node(level)
    padded: Bytes[NODE_BUFFER + 32] = concat(data, empty(bytes32))
    start: uint256 = self._field(level, 96)
    item: Item = self._rlp_item(convert(extract32(padded, start), uint256), start,
                                self._field(level, 112))
    return self._value(data, item.offset, item.length)


@internal
@view
def read(root: bytes32, key: bytes32, proof_at: uint256,
         proof_size: uint256) -> (bool, Bytes[MAX_VALUE_BYTES]):
    """
    @notice The value stored at `key` in the trie `root` (the leaf's string: an account's RLP,
            a storage value's RLP), or (False, b"") when the proof shows the key absent.
    @param proof_at Calldata offset of the packed proof (its nodes concatenated, root first).
    @param proof_size Its length in bytes.
    """
    walk: Walk = self._walk(root, key, proof_at, proof_size)
    if walk.end != END_FOUND:
        return False, b""
    return True, self._found_value(walk)


@internal
@view
def write(root: bytes32, key: bytes32, stored: Bytes[MAX_VALUE_BYTES], proof_at: uint256,
          proof_size: uint256, extra_at: uint256, extra_size: uint256) -> bytes32:
    """
    @notice The root after setting `key` to `stored` (empty: deleting it); `proof` is the read
            proof of `key`, `extra` (calldata offset and size) is empty except for a deletion
            that leaves the deleted leaf's branch with one child referenced by hash: then it is
            that child's node.
    """
    found: bool = False
    old: Bytes[MAX_VALUE_BYTES] = b""
    new_root: bytes32 = empty(bytes32)
    found, old, new_root = self.update(root, key, stored, proof_at, proof_size, extra_at,
                                       extra_size)
    return new_root


@internal
@view
def update(root: bytes32, key: bytes32, stored: Bytes[MAX_VALUE_BYTES], proof_at: uint256,
           proof_size: uint256, extra_at: uint256,
           extra_size: uint256) -> (bool, Bytes[MAX_VALUE_BYTES], bytes32):
    """
    @notice `write` that also returns the value it replaces (found, value): one walk for a
            read-modify-write such as SSTORE or a balance change.
    """
    walk: Walk = self._walk(root, key, proof_at, proof_size)
    found: bool = walk.end == END_FOUND
    old: Bytes[MAX_VALUE_BYTES] = b""
    if found:
        old = self._found_value(walk)
    count: uint256 = 0
    replacement: Bytes[1300] = b""
    if len(stored) == 0:
        collapses: bool = False
        sibling: Item = empty(Item)
        nibble: uint256 = 0
        collapses, sibling, nibble = self._sibling(key, walk)
        if not collapses or sibling.is_list:
            if not (extra_size == 0):
                self._fail(35)  # extra node given for a write that needs none
        if not found:
            return found, old, root
        if not collapses:  # the leaf is the root, or its branch keeps two children or more
            return found, old, self._rehash(walk, len(walk.levels) - 1, b"")
        count, replacement = self._fold(walk, sibling, nibble, extra_at, extra_size)
    else:
        if not (extra_size == 0):
            self._fail(35)  # extra node given for a write that needs none
        count, replacement = self._set(key, walk, self._encode_value(stored))
    return found, old, self._rehash(walk, count, replacement)


@internal
@view
def _set(key: bytes32, walk: Walk,
         value_item: Bytes[MAX_VALUE_BYTES + 2]) -> (uint256, Bytes[1300]):
    """@notice The node that replaces the one below level `count - 1`, and `count`."""
    count: uint256 = len(walk.levels)
    if walk.end == END_EMPTY_TRIE:
        return 0, self._kv_node(convert(key, uint256), KEY_NIBBLES, True, value_item)
    level: uint256 = walk.levels[count - 1]
    path: uint256 = walk.paths[count - 1]
    path_len: uint256 = self._field(level, 144)
    depth: uint256 = self._field(level, 136)
    if walk.end == END_FOUND:
        return count - 1, self._kv_node(path, path_len, True, value_item)
    if walk.end == END_BRANCH_EMPTY:  # the new leaf goes into the branch's empty slot
        return count, self._kv_node(self._key_suffix(key, depth + 1), KEY_NIBBLES - depth - 1,
                                    True, value_item)
    # a leaf or an extension parts from the key after `common` nibbles: a branch there
    common: uint256 = walk.common
    split: uint256 = depth + common
    rest_len: uint256 = path_len - common - 1
    old_nibble: uint256 = (path >> (4 * rest_len)) & 15
    data: Bytes[NODE_BUFFER] = self._level_node(level)
    child_start: uint256 = self._field(level, 96)
    tail: Bytes[NODE_BUFFER] = slice(data, child_start, self._field(level, 112) - child_start)
    old_reference: Bytes[33] = b""
    if walk.end == END_EXTENSION_DIFFERS and rest_len == 0:
        old_reference = self._short(data, child_start, len(tail))
    else:
        old_reference = self._reference(self._kv_node(path & ((1 << (4 * rest_len)) - 1),
                                                      rest_len, walk.end == END_LEAF_DIFFERS,
                                                      tail))
    new_reference: Bytes[33] = self._reference(
        self._kv_node(self._key_suffix(key, split + 1), KEY_NIBBLES - split - 1, True,
                      value_item))
    new_nibble: uint256 = self._key_nibble(key, split)
    branch: Bytes[120] = b""
    if old_nibble < new_nibble:
        branch = self._branch(old_nibble, old_reference, new_nibble, new_reference)
    else:
        branch = self._branch(new_nibble, new_reference, old_nibble, old_reference)
    if common > 0:
        return count - 1, self._kv_node(path >> (4 * (path_len - common)), common, False,
                                        self._reference(branch))
    return count - 1, branch


@internal
@view
def _sibling(key: bytes32, walk: Walk) -> (bool, Item, uint256):
    """
    @notice For a deletion of a present key under a branch: whether deleting leaves the branch
            one child, and that child's reference (inside the branch's hashed node) and nibble.
    """
    count: uint256 = len(walk.levels)
    if walk.end != END_FOUND or count < 2:
        return False, empty(Item), 0
    level: uint256 = walk.levels[count - 2]
    items: uint256[BRANCH_ITEMS] = self._node_items(
        self._level_node(level), self._field(level, 48), self._field(level, 64)).items
    taken: uint256 = self._key_nibble(key, self._field(level, 136))
    others: uint256 = 0
    sibling: Item = empty(Item)
    nibble: uint256 = 0
    for index: uint256 in range(16):
        other: Item = self._unpack(items[index])
        if index != taken and self._present(other):
            others += 1
            sibling = other
            nibble = index
    return others == 1, sibling, nibble


@internal
@view
def _fold(walk: Walk, sibling: Item, nibble: uint256, extra_at: uint256,
          extra_size: uint256) -> (uint256, Bytes[1300]):
    """@notice The node that replaces the branch (or the extension above it) when deleting the
            key's leaf leaves the branch one child, `sibling` at `nibble`; and `count`."""
    count: uint256 = len(walk.levels)
    branch_level: uint256 = walk.levels[count - 2]
    data: Bytes[NODE_BUFFER] = self._level_node(branch_level)
    depth: uint256 = self._field(branch_level, 136) + 1
    child: Node = empty(Node)
    child_data: Bytes[NODE_BUFFER] = data
    if sibling.is_list:
        child = self._check_node(data, sibling.start, sibling.end, depth)
    else:
        if not (extra_size > 0):
            self._fail(36)  # deletion needs the remaining sibling node as extra
        size: uint256 = self._proof_node(extra_at, extra_size, 0)
        if not (size == extra_size):
            self._fail(37)  # extra has bytes after its node
        child_data = self._load(extra_at, size)
        if not (keccak256(child_data) == extract32(data, sibling.offset)):
            self._fail(38)  # extra node does not hash to the sibling's reference
        if not (size >= 32):
            self._fail(32)  # hashed node shorter than 32 bytes
        child = self._check_node(child_data, 0, size, depth)
    # the branch folds into its child: the child's path gets the branch's nibble in front, and
    # the path of an extension above it in front of that
    prefix: uint256 = nibble
    prefix_len: uint256 = 1
    top: uint256 = count - 2
    if top >= 1:
        above: uint256 = walk.levels[top - 1]
        if self._field(above, 128) == KIND_EXTENSION:
            prefix = (walk.paths[top - 1] << 4) | nibble
            prefix_len = self._field(above, 144) + 1
            top -= 1
    if child.kind == KIND_BRANCH:  # a new extension of the prefix to the branch
        return top, self._kv_node(prefix, prefix_len, False,
                                  slice(data, sibling.start, sibling.end - sibling.start))
    item: Item = self._unpack(child.items[1])
    return top, self._kv_node((prefix << (4 * child.path_len)) | child.path,
                              prefix_len + child.path_len, child.kind == KIND_LEAF,
                              slice(child_data, item.start, item.end - item.start))
