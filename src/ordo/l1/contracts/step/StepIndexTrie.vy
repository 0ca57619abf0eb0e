# pragma version 0.4.3
"""
@title Inserting into a block's transactions or receipts trie through a proof (4.3)
@notice index_trie.insert on chain, for the transaction-end step: the key rlp(index) is new
        (keys of different lengths, none a prefix of another), the value is a whole receipt or
        transaction, and the proof is exactly the hashed nodes on the key's path, root first.
        The result is the root py-trie's HexaryTrie gives after the insertion. Calldata by
        hand, as StepMpt: insert(root, index, value_size, node_count) ‖ value (padded to
        words) ‖ for each node: its size word ‖ the node (padded to words). Every node is read
        from the calldata where it lies; a node not found by the hash above it, a node given
        and not read, or a present key is refused with a reason.
        Narrower than the reference: a node embedded in its parent (RLP under 32 bytes) is
        refused as not verifiable yet: with values of at least 32 bytes (every receipt and
        transaction is longer) no node of these tries is that short.
"""

MAX_NODES: constant(uint256) = 12
MAX_VALUE: constant(uint256) = 65000
VALUE_WORDS: constant(uint256) = 2032
HEAD: constant(uint256) = 4 + 4 * 32
BRANCH: constant(uint256) = 0
EXTENSION: constant(uint256) = 1
LEAF: constant(uint256) = 2
MAX_NIBBLES: constant(uint256) = 16


struct Node:
    at: uint256  # calldata offset of the node's first byte
    size: uint256
    kind: uint256
    path: DynArray[uint256, MAX_NIBBLES]  # extension and leaf: the node's own nibbles
    item_at: uint256  # extension and leaf: where the second item starts
    children: bytes32[16]  # branch: the child hashes (zero: empty)
    consumed: uint256  # nibbles of the key before this node


@internal
@view
def _byte(at: uint256) -> uint256:
    return convert(slice(msg.data, at, 1), uint256)


@internal
@view
def _copy(at: uint256, size: uint256) -> Bytes[VALUE_WORDS * 32]:
    """@notice `size` bytes of the calldata at `at`, copied word by word (a last word past the
            calldata's end is read from the end and shifted)."""
    assert size <= VALUE_WORDS * 32, \
        "StepVerifier: an index-trie item over 65,000 bytes: not verifiable yet"
    n: uint256 = len(msg.data)
    assert at + size <= n, "StepVerifier: index-trie proof cut short"
    words: bytes32[VALUE_WORDS] = empty(bytes32[VALUE_WORDS])
    for k: uint256 in range(VALUE_WORDS):
        if 32 * k >= size:
            break
        p: uint256 = at + 32 * k
        if p + 32 <= n:
            words[k] = extract32(slice(msg.data, p, 32), 0)
        else:
            words[k] = convert(convert(slice(msg.data, n - 32, 32), uint256) << (8 * (p + 32 - n)),
                               bytes32)
    return slice(abi_encode(words), 0, size)


@internal
@view
def _item(at: uint256, end: uint256) -> (uint256, uint256, bool):
    """@notice An RLP item at `at`: where its payload starts, its payload size, and whether it
            is a list; refused when it runs past `end`."""
    assert at < end, "StepVerifier: an index-trie node that is not RLP"
    head: uint256 = self._byte(at)
    start: uint256 = at + 1
    size: uint256 = 0
    is_list: bool = head >= 192
    if head < 128:
        return at, 1, False
    base: uint256 = 128
    if is_list:
        base = 192
    if head < base + 56:
        size = head - base
    else:
        count: uint256 = head - base - 55
        assert count <= 3, "StepVerifier: an index-trie node that is not RLP"
        for k: uint256 in range(3):
            if k == count:
                break
            size = size * 256 + self._byte(at + 1 + k)
        start = at + 1 + count
    assert start + size <= end, "StepVerifier: an index-trie node that is not RLP"
    return start, size, is_list


@internal
@view
def _parse(at: uint256, size: uint256) -> Node:
    """@notice A branch (17 items) or a leaf or extension (2 items, hex-prefix path)."""
    end: uint256 = at + size
    start: uint256 = 0
    length: uint256 = 0
    is_list: bool = False
    start, length, is_list = self._item(at, end)
    assert is_list and start + length == end, "StepVerifier: an index-trie node that is not RLP"
    n: Node = empty(Node)
    n.at = at
    n.size = size
    p: uint256 = start
    count: uint256 = 0
    item_start: uint256 = 0
    item_size: uint256 = 0
    item_list: bool = False
    first_at: uint256 = 0
    first_size: uint256 = 0
    embedded: bool = False
    for k: uint256 in range(17):
        if p == end:
            break
        item_start, item_size, item_list = self._item(p, end)
        assert not item_list, "StepVerifier: an embedded index-trie node: not verifiable yet"
        if k == 0:
            first_at = item_start
            first_size = item_size
        if k == 1:
            n.item_at = p
        if k < 16:
            if item_size == 32:
                n.children[k] = extract32(slice(msg.data, item_start, 32), 0)
            elif item_size != 0:
                embedded = True
        else:
            assert item_size == 0, "StepVerifier: a value at a branch of an index trie"
        p = item_start + item_size
        count += 1
    assert p == end, "StepVerifier: an index-trie node that is not RLP"
    if count == 17:
        # a slot that is neither empty nor a hash would be an embedded node
        assert not embedded, "StepVerifier: an embedded index-trie node: not verifiable yet"
        n.kind = BRANCH
        return n
    assert count == 2, "StepVerifier: an index-trie node that is not RLP"
    # hex-prefix path
    assert first_size >= 1 and first_size <= 9, "StepVerifier: an index-trie node that is not RLP"
    flag: uint256 = self._byte(first_at) >> 4
    assert flag <= 3, "StepVerifier: an index-trie node that is not RLP"
    n.kind = EXTENSION
    if flag >= 2:
        n.kind = LEAF
    if flag % 2 == 1:
        n.path.append(self._byte(first_at) % 16)
    else:
        assert self._byte(first_at) % 16 == 0, "StepVerifier: an index-trie node that is not RLP"
    for k: uint256 in range(1, 9):
        if k == first_size:
            break
        b: uint256 = self._byte(first_at + k)
        n.path.append(b >> 4)
        n.path.append(b % 16)
    if n.kind == EXTENSION:
        child_start: uint256 = 0
        child_size: uint256 = 0
        child_list: bool = False
        child_start, child_size, child_list = self._item(n.item_at, end)
        assert child_size == 32, "StepVerifier: an embedded index-trie node: not verifiable yet"
    return n


@internal
@pure
def _nibbles(index: uint256) -> DynArray[uint256, MAX_NIBBLES]:
    """@notice The nibbles of rlp(index)."""
    key: DynArray[uint256, 8] = []
    if index == 0:
        key.append(128)
    elif index < 128:
        key.append(index)
    else:
        size: uint256 = 0
        for k: uint256 in range(7):
            if index >> (8 * k) == 0:
                break
            size = k + 1
        key.append(128 + size)
        for k: uint256 in range(7):
            if k == size:
                break
            key.append((index >> (8 * (size - 1 - k))) % 256)
    out: DynArray[uint256, MAX_NIBBLES] = []
    for b: uint256 in key:
        out.append(b >> 4)
        out.append(b % 16)
    return out


@internal
@pure
def _hex_prefix(nibbles: DynArray[uint256, MAX_NIBBLES], start: uint256, leaf: bool) -> Bytes[10]:
    """@notice RLP of the hex-prefix encoding of nibbles[start:] (a string of at most 9 bytes)."""
    flag: uint256 = 0
    if leaf:
        flag = 2
    count: uint256 = len(nibbles) - start
    acc: uint256 = flag * 16
    at: uint256 = start
    if count % 2 == 1:
        acc = (flag + 1) * 16 + nibbles[start]
        at = start + 1
    size: uint256 = 1
    for k: uint256 in range(8):
        if at >= len(nibbles):
            break
        acc = acc * 256 + nibbles[at] * 16 + nibbles[at + 1]
        at += 2
        size += 1
    out: Bytes[9] = slice(slice(convert(acc << (8 * (32 - size)), bytes32), 0, 9), 0, size)
    if size == 1 and acc < 128:
        return out
    return concat(slice(convert(128 + size, bytes32), 31, 1), out)


@internal
@pure
def _length_head(size: uint256, base: uint256) -> Bytes[4]:
    """@notice An RLP head for a payload of `size` bytes (base 128 string, 192 list)."""
    if size < 56:
        return slice(convert(base + size, bytes32), 31, 1)
    if size < 256:
        return concat(slice(convert(base + 56, bytes32), 31, 1), slice(convert(size, bytes32), 31, 1))
    if size < 65536:
        return concat(slice(convert(base + 57, bytes32), 31, 1), slice(convert(size, bytes32), 30, 2))
    return concat(slice(convert(base + 58, bytes32), 31, 1), slice(convert(size, bytes32), 29, 3))


@internal
@pure
def _leaf(nibbles: DynArray[uint256, MAX_NIBBLES], start: uint256,
          stored: Bytes[VALUE_WORDS * 32]) -> bytes32:
    """@notice The hash of the leaf rlp([hp(nibbles[start:], leaf), stored])."""
    path: Bytes[10] = self._hex_prefix(nibbles, start, True)
    value_head: Bytes[4] = self._length_head(len(stored), 128)
    if len(stored) == 1 and convert(slice(stored, 0, 1), uint256) < 128:
        value_head = b""
    size: uint256 = len(path) + len(value_head) + len(stored)
    assert size >= 31, "StepVerifier: an embedded index-trie node: not verifiable yet"
    return keccak256(concat(self._length_head(size, 192), path, value_head, stored))


@internal
@pure
def _extension(nibbles: DynArray[uint256, MAX_NIBBLES], start: uint256,
               child: bytes32) -> bytes32:
    path: Bytes[10] = self._hex_prefix(nibbles, start, False)
    return keccak256(concat(self._length_head(len(path) + 33, 192), path, b"\xa0", child))


@internal
@pure
def _slot(child: bytes32) -> Bytes[33]:
    if child == empty(bytes32):
        return b"\x80"
    return concat(b"\xa0", child)


@internal
@pure
def _branch(c: bytes32[16]) -> bytes32:
    payload: Bytes[529] = concat(
        self._slot(c[0]), self._slot(c[1]), self._slot(c[2]), self._slot(c[3]),
        self._slot(c[4]), self._slot(c[5]), self._slot(c[6]), self._slot(c[7]),
        self._slot(c[8]), self._slot(c[9]), self._slot(c[10]), self._slot(c[11]),
        self._slot(c[12]), self._slot(c[13]), self._slot(c[14]), self._slot(c[15]), b"\x80")
    return keccak256(concat(self._length_head(len(payload), 192), payload))


@external
@view
def insert(root: bytes32, index: uint256, value_size: uint256, node_count: uint256) -> bytes32:
    """@notice The root after inserting rlp(index) -> value (after the static arguments)."""
    assert value_size > 0, "StepVerifier: an empty value is a deletion, never inserted"
    assert value_size <= MAX_VALUE, \
        "StepVerifier: an index-trie item over 65,000 bytes: not verifiable yet"
    assert node_count <= MAX_NODES, "StepVerifier: an index-trie proof of too many nodes"
    key: DynArray[uint256, MAX_NIBBLES] = self._nibbles(index)
    stored: Bytes[VALUE_WORDS * 32] = self._copy(HEAD, value_size)
    if node_count == 0:
        assert root == 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421, \
            "StepVerifier: the proof lacks a node on the key's path"
        return self._leaf(key, 0, stored)
    path: DynArray[Node, MAX_NODES] = []
    at: uint256 = HEAD + (value_size + 31) // 32 * 32
    expected: bytes32 = root
    used: uint256 = 0
    done: bool = False
    for i: uint256 in range(MAX_NODES):
        if i == node_count:
            break
        assert not done, "StepVerifier: the proof is not exactly the key's path, root first"
        assert at + 32 <= len(msg.data), "StepVerifier: index-trie proof cut short"
        size: uint256 = convert(slice(msg.data, at, 32), uint256)
        assert keccak256(self._copy(at + 32, size)) == expected, \
            "StepVerifier: the proof is not exactly the key's path, root first"
        n: Node = self._parse(at + 32, size)
        n.consumed = used
        at += 32 + (size + 31) // 32 * 32
        if n.kind == BRANCH:
            assert used < len(key), "StepVerifier: a value at a branch of an index trie"
            expected = n.children[key[used]]
            used += 1
            done = expected == empty(bytes32)
        else:
            matched: uint256 = 0
            for k: uint256 in range(MAX_NIBBLES):
                if k >= len(n.path) or used + k >= len(key):
                    break
                if n.path[k] != key[used + k]:
                    break
                matched = k + 1
            if n.kind == LEAF:
                assert not (matched == len(n.path) and used + matched == len(key)), \
                    "StepVerifier: the key is already in the trie"
                done = True
            elif matched == len(n.path):
                expected = extract32(slice(msg.data, n.item_at + 1, 32), 0)
                used += matched
            else:
                done = True
        path.append(n)
    assert done, "StepVerifier: the proof lacks a node on the key's path"

    # the new subtree where the walk stopped
    last: Node = path[len(path) - 1]
    new_hash: bytes32 = empty(bytes32)
    if last.kind == BRANCH:
        children: bytes32[16] = last.children
        children[key[used - 1]] = self._leaf(key, used, stored)
        new_hash = self._branch(children)
    else:
        start: uint256 = last.consumed
        matched: uint256 = 0
        for k: uint256 in range(MAX_NIBBLES):
            if k >= len(last.path) or start + k >= len(key):
                break
            if last.path[k] != key[start + k]:
                break
            matched = k + 1
        # prefix-free keys: both remainders are non-empty
        assert matched < len(last.path) and start + matched < len(key), \
            "StepVerifier: a value at a branch of an index trie"
        children: bytes32[16] = empty(bytes32[16])
        if last.kind == LEAF:
            v_start: uint256 = 0
            v_size: uint256 = 0
            v_list: bool = False
            v_start, v_size, v_list = self._item(last.item_at, last.at + last.size)
            children[last.path[matched]] = self._leaf(last.path, matched + 1,
                                                      self._copy(v_start, v_size))
        else:
            child: bytes32 = extract32(slice(msg.data, last.item_at + 1, 32), 0)
            if matched + 1 == len(last.path):
                children[last.path[matched]] = child
            else:
                children[last.path[matched]] = self._extension(last.path, matched + 1, child)
        children[key[start + matched]] = self._leaf(key, start + matched + 1, stored)
        new_hash = self._branch(children)
        if matched > 0:
            new_hash = self._extension(self._prefix(last.path, matched), 0, new_hash)

    # the ancestors, deepest first
    for j: uint256 in range(MAX_NODES):
        if j + 1 >= len(path):
            break
        n: Node = path[len(path) - 2 - j]
        if n.kind == BRANCH:
            children: bytes32[16] = n.children
            children[key[n.consumed]] = new_hash
            new_hash = self._branch(children)
        else:
            new_hash = self._extension(n.path, 0, new_hash)
    return new_hash


@internal
@pure
def _prefix(path: DynArray[uint256, MAX_NIBBLES], count: uint256) -> DynArray[uint256, MAX_NIBBLES]:
    out: DynArray[uint256, MAX_NIBBLES] = []
    for k: uint256 in range(MAX_NIBBLES):
        if k >= count:
            break
        out.append(path[k])
    return out
