//! A hexary Merkle-Patricia trie over the node store, as py-evm lays it out: a node whose RLP is
//! 32 bytes or more is stored under its keccak256, a shorter one is embedded in its parent, and
//! the root node is always stored under its hash.
//!
//! Nodes are read lazily through a [`NodeSource`] and kept once read. An unchanged node keeps the
//! hash it was read under, so committing a block hashes only the nodes on changed paths, once.

use revm::primitives::keccak256;

use crate::rlp;

/// keccak256(rlp(b"")): the root of the empty trie.
pub const BLANK_ROOT: [u8; 32] = [
    0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6, 0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
    0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0, 0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21,
];

/// Where committed nodes (and code) are read from: the node's store, by hash.
pub trait NodeSource {
    fn node(&mut self, hash: &[u8; 32]) -> Result<Vec<u8>, String>;
}

/// One trie node; `clean` is the hash it is stored under while it is unchanged.
#[derive(Clone, Debug)]
pub enum Node {
    Empty,
    Stored([u8; 32]),
    Leaf { path: Vec<u8>, value: Vec<u8>, clean: Option<[u8; 32]> },
    Extension { path: Vec<u8>, child: Box<Node>, clean: Option<[u8; 32]> },
    Branch { children: Box<[Node; 16]>, value: Option<Vec<u8>>, clean: Option<[u8; 32]> },
}

fn empty_children() -> Box<[Node; 16]> {
    Box::new(std::array::from_fn(|_| Node::Empty))
}

/// The nibbles of a key.
pub fn nibbles(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() * 2);
    for byte in key {
        out.push(byte >> 4);
        out.push(byte & 0x0f);
    }
    out
}

fn hex_prefix(path: &[u8], leaf: bool) -> Vec<u8> {
    let flag = if leaf { 2u8 } else { 0 } + (path.len() % 2) as u8;
    let mut out = Vec::with_capacity(path.len() / 2 + 1);
    let rest = if path.len() % 2 == 1 {
        out.push((flag << 4) | path[0]);
        &path[1..]
    } else {
        out.push(flag << 4);
        path
    };
    for pair in rest.chunks(2) {
        out.push((pair[0] << 4) | pair[1]);
    }
    out
}

fn decode_hex_prefix(encoded: &[u8]) -> Result<(Vec<u8>, bool), String> {
    let first = *encoded.first().ok_or("trie: empty path")?;
    let flag = first >> 4;
    if flag > 3 {
        return Err("trie: bad path flag".into());
    }
    let mut path = Vec::with_capacity(encoded.len() * 2);
    if flag & 1 == 1 {
        path.push(first & 0x0f);
    }
    path.extend(nibbles(&encoded[1..]));
    Ok((path, flag >= 2))
}

fn decode_reference(item: &rlp::Item<'_>) -> Result<Node, String> {
    if item.is_list {
        return decode_node(item.raw, None);
    }
    match item.payload.len() {
        0 => Ok(Node::Empty),
        32 => {
            let mut hash = [0u8; 32];
            hash.copy_from_slice(item.payload);
            Ok(Node::Stored(hash))
        }
        n => Err(format!("trie: child reference of {n} bytes")),
    }
}

/// Decodes a node's RLP; `clean` is its hash when it came from the store.
pub fn decode_node(encoded: &[u8], clean: Option<[u8; 32]>) -> Result<Node, String> {
    let items = rlp::list_items(encoded)?;
    match items.len() {
        0 => Ok(Node::Empty),
        2 => {
            let (path, leaf) = decode_hex_prefix(items[0].payload)?;
            if leaf {
                Ok(Node::Leaf { path, value: items[1].payload.to_vec(), clean })
            } else {
                Ok(Node::Extension { path, child: Box::new(decode_reference(&items[1])?), clean })
            }
        }
        17 => {
            let mut children = empty_children();
            for (slot, item) in children.iter_mut().zip(items.iter()) {
                *slot = decode_reference(item)?;
            }
            let value = if items[16].payload.is_empty() {
                None
            } else {
                Some(items[16].payload.to_vec())
            };
            Ok(Node::Branch { children, value, clean })
        }
        n => Err(format!("trie: node of {n} items")),
    }
}

fn load(hash: &[u8; 32], source: &mut dyn NodeSource) -> Result<Node, String> {
    if *hash == BLANK_ROOT {
        return Ok(Node::Empty);
    }
    let encoded = source.node(hash)?;
    decode_node(&encoded, Some(*hash))
}

/// Replaces a stored reference by the node it names.
fn resolve(node: &mut Node, source: &mut dyn NodeSource) -> Result<(), String> {
    if let Node::Stored(hash) = node {
        let hash = *hash;
        *node = load(&hash, source)?;
    }
    Ok(())
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn get(node: &mut Node, path: &[u8], source: &mut dyn NodeSource) -> Result<Option<Vec<u8>>, String> {
    resolve(node, source)?;
    match node {
        Node::Empty | Node::Stored(_) => Ok(None),
        Node::Leaf { path: leaf_path, value, .. } => {
            Ok(if leaf_path.as_slice() == path { Some(value.clone()) } else { None })
        }
        Node::Extension { path: ext, child, .. } => {
            if path.starts_with(ext) {
                let skip = ext.len();
                get(child, &path[skip..], source)
            } else {
                Ok(None)
            }
        }
        Node::Branch { children, value, .. } => match path.split_first() {
            None => Ok(value.clone()),
            Some((first, rest)) => get(&mut children[*first as usize], rest, source),
        },
    }
}

fn leaf(path: &[u8], value: Vec<u8>) -> Node {
    Node::Leaf { path: path.to_vec(), value, clean: None }
}

fn extension(path: &[u8], child: Node) -> Node {
    if path.is_empty() {
        return child;
    }
    Node::Extension { path: path.to_vec(), child: Box::new(child), clean: None }
}

fn insert(node: Node, path: &[u8], value: Vec<u8>, source: &mut dyn NodeSource) -> Result<Node, String> {
    let mut node = node;
    resolve(&mut node, source)?;
    Ok(match node {
        Node::Empty | Node::Stored(_) => leaf(path, value),
        Node::Leaf { path: old_path, value: old_value, clean } => {
            if old_path == path {
                if old_value == value {
                    return Ok(Node::Leaf { path: old_path, value: old_value, clean });
                }
                leaf(path, value)
            } else {
                let shared = common_prefix(&old_path, path);
                let mut branch = Node::Branch { children: empty_children(), value: None, clean: None };
                branch = insert(branch, &old_path[shared..], old_value, source)?;
                branch = insert(branch, &path[shared..], value, source)?;
                extension(&path[..shared], branch)
            }
        }
        Node::Extension { path: ext, child, .. } => {
            let shared = common_prefix(&ext, path);
            if shared == ext.len() {
                let child = insert(*child, &path[shared..], value, source)?;
                extension(&ext, child)
            } else {
                let mut children = empty_children();
                children[ext[shared] as usize] = extension(&ext[shared + 1..], *child);
                let branch = Node::Branch { children, value: None, clean: None };
                let branch = insert(branch, &path[shared..], value, source)?;
                extension(&path[..shared], branch)
            }
        }
        Node::Branch { mut children, value: branch_value, .. } => match path.split_first() {
            None => Node::Branch { children, value: Some(value), clean: None },
            Some((first, rest)) => {
                let slot = &mut children[*first as usize];
                let child = std::mem::replace(slot, Node::Empty);
                *slot = insert(child, rest, value, source)?;
                Node::Branch { children, value: branch_value, clean: None }
            }
        },
    })
}

/// A node reached through `prefix` from its parent, with the prefix folded into it.
fn prepend(prefix: &[u8], node: Node, source: &mut dyn NodeSource) -> Result<Node, String> {
    let mut node = node;
    resolve(&mut node, source)?;
    Ok(match node {
        Node::Leaf { path, value, .. } => leaf(&[prefix, &path].concat(), value),
        Node::Extension { path, child, .. } => extension(&[prefix, &path].concat(), *child),
        Node::Empty => Node::Empty,
        other => extension(prefix, other),
    })
}

fn delete(node: Node, path: &[u8], source: &mut dyn NodeSource) -> Result<Node, String> {
    let mut node = node;
    resolve(&mut node, source)?;
    Ok(match node {
        Node::Empty | Node::Stored(_) => Node::Empty,
        Node::Leaf { path: old_path, value, clean } => {
            if old_path == path {
                Node::Empty
            } else {
                Node::Leaf { path: old_path, value, clean }
            }
        }
        Node::Extension { path: ext, child, clean } => {
            if !path.starts_with(&ext) {
                return Ok(Node::Extension { path: ext, child, clean });
            }
            let child = delete(*child, &path[ext.len()..], source)?;
            prepend(&ext, child, source)?
        }
        Node::Branch { mut children, mut value, .. } => {
            match path.split_first() {
                None => value = None,
                Some((first, rest)) => {
                    let slot = &mut children[*first as usize];
                    let child = std::mem::replace(slot, Node::Empty);
                    *slot = delete(child, rest, source)?;
                }
            }
            let occupied: Vec<usize> =
                (0..16).filter(|i| !matches!(children[*i], Node::Empty)).collect();
            match (occupied.len(), value) {
                (0, None) => Node::Empty,
                (0, Some(value)) => leaf(&[], value),
                (1, None) => {
                    let index = occupied[0];
                    let only = std::mem::replace(&mut children[index], Node::Empty);
                    prepend(&[index as u8], only, source)?
                }
                (_, value) => Node::Branch { children, value, clean: None },
            }
        }
    })
}

/// How a node appears inside its parent: its hash, or (under 32 bytes) its own RLP.
enum Reference {
    Hash([u8; 32]),
    Inline(Vec<u8>),
}

impl Reference {
    fn append_to(&self, out: &mut Vec<u8>) {
        match self {
            Reference::Hash(hash) => rlp::append_bytes(out, hash),
            Reference::Inline(encoded) => out.extend_from_slice(encoded),
        }
    }
}

/// Hashes the changed nodes under `node`, records the stored ones in `writes`.
fn commit(node: &mut Node, writes: &mut Vec<([u8; 32], Vec<u8>)>) -> Reference {
    let encoded = match node {
        Node::Empty => return Reference::Inline(vec![0x80]),
        Node::Stored(hash) => return Reference::Hash(*hash),
        Node::Leaf { clean: Some(hash), .. }
        | Node::Extension { clean: Some(hash), .. }
        | Node::Branch { clean: Some(hash), .. } => return Reference::Hash(*hash),
        Node::Leaf { path, value, .. } => {
            let mut payload = Vec::with_capacity(value.len() + 40);
            rlp::append_bytes(&mut payload, &hex_prefix(path, true));
            rlp::append_bytes(&mut payload, value);
            rlp::wrap_list(&payload)
        }
        Node::Extension { path, child, .. } => {
            let mut payload = Vec::with_capacity(70);
            rlp::append_bytes(&mut payload, &hex_prefix(path, false));
            commit(child, writes).append_to(&mut payload);
            rlp::wrap_list(&payload)
        }
        Node::Branch { children, value, .. } => {
            let mut payload = Vec::with_capacity(540);
            for child in children.iter_mut() {
                commit(child, writes).append_to(&mut payload);
            }
            rlp::append_bytes(&mut payload, value.as_deref().unwrap_or(&[]));
            rlp::wrap_list(&payload)
        }
    };
    if encoded.len() < 32 {
        return Reference::Inline(encoded);
    }
    let hash: [u8; 32] = keccak256(&encoded).0;
    match node {
        Node::Leaf { clean, .. } | Node::Extension { clean, .. } | Node::Branch { clean, .. } => {
            *clean = Some(hash)
        }
        _ => {}
    }
    writes.push((hash, encoded));
    Reference::Hash(hash)
}

/// A trie opened at a root; changes stay in memory until [`Trie::commit`].
pub struct Trie {
    root: Node,
}

impl Trie {
    pub fn open(root: [u8; 32]) -> Trie {
        let root = if root == BLANK_ROOT { Node::Empty } else { Node::Stored(root) };
        Trie { root }
    }

    pub fn empty() -> Trie {
        Trie { root: Node::Empty }
    }

    pub fn get(&mut self, key: &[u8], source: &mut dyn NodeSource) -> Result<Option<Vec<u8>>, String> {
        get(&mut self.root, &nibbles(key), source)
    }

    pub fn put(&mut self, key: &[u8], value: Vec<u8>, source: &mut dyn NodeSource) -> Result<(), String> {
        let root = std::mem::replace(&mut self.root, Node::Empty);
        self.root = insert(root, &nibbles(key), value, source)?;
        Ok(())
    }

    pub fn remove(&mut self, key: &[u8], source: &mut dyn NodeSource) -> Result<(), String> {
        let root = std::mem::replace(&mut self.root, Node::Empty);
        self.root = delete(root, &nibbles(key), source)?;
        Ok(())
    }

    /// The root hash; new nodes (the root always, even under 32 bytes) go to `writes`.
    pub fn commit(&mut self, writes: &mut Vec<([u8; 32], Vec<u8>)>) -> [u8; 32] {
        match commit(&mut self.root, writes) {
            Reference::Hash(hash) => hash,
            Reference::Inline(encoded) => {
                let hash: [u8; 32] = keccak256(&encoded).0;
                if hash != BLANK_ROOT {
                    writes.push((hash, encoded));
                }
                hash
            }
        }
    }
}

/// Root of a list trie `rlp(i) -> items[i]` (transactions, receipts), built in memory.
pub fn ordered_root(items: &[Vec<u8>]) -> [u8; 32] {
    struct Nothing;
    impl NodeSource for Nothing {
        fn node(&mut self, _hash: &[u8; 32]) -> Result<Vec<u8>, String> {
            Err("trie: an in-memory trie has no stored nodes".into())
        }
    }
    let mut trie = Trie::empty();
    for (index, item) in items.iter().enumerate() {
        let mut key = Vec::new();
        rlp::append_uint(&mut key, &(index as u64).to_be_bytes());
        trie.put(&key, item.clone(), &mut Nothing).expect("in-memory insert");
    }
    let mut writes = Vec::new();
    trie.commit(&mut writes)
}
