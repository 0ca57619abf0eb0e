//! Reads of committed state outside a block: one account at a state root, walked in Rust.
//!
//! Mempool admission reads the sender's nonce and balance at the head for every transaction a
//! node receives (over RPC or gossip). py-evm's `AccountDB` walks the trie in Python and cost
//! about 0.2 ms per read under load, a third of a loaded node's CPU; the same walk here costs
//! one store read per trie node and no Python beyond that callback.

use revm::primitives::{keccak256, Address, U256};

use crate::rlp;
use crate::trie::{NodeSource, Trie};

/// An account as the state trie stores it.
pub struct Account {
    pub nonce: U256,
    pub balance: U256,
    pub storage_root: [u8; 32],
    pub code_hash: [u8; 32],
}

fn word(payload: &[u8], what: &str) -> Result<[u8; 32], String> {
    payload.try_into().map_err(|_| format!("state: malformed account ({what} is not 32 bytes)"))
}

fn uint(payload: &[u8], what: &str) -> Result<U256, String> {
    U256::try_from_be_slice(payload).ok_or_else(|| format!("state: malformed account ({what} over 256 bits)"))
}

/// `rlp([nonce, balance, storage_root, code_hash])`.
pub fn decode_account(encoded: &[u8]) -> Result<Account, String> {
    let items = rlp::list_items(encoded)?;
    if items.len() != 4 {
        return Err(format!("state: malformed account ({} fields, expected 4)", items.len()));
    }
    Ok(Account {
        nonce: uint(items[0].payload, "nonce")?,
        balance: uint(items[1].payload, "balance")?,
        storage_root: word(items[2].payload, "storage root")?,
        code_hash: word(items[3].payload, "code hash")?,
    })
}

/// The account of `address` in the state trie at `root`, or None where there is none.
pub fn account(
    source: &mut dyn NodeSource,
    root: [u8; 32],
    address: &Address,
) -> Result<Option<Account>, String> {
    let mut trie = Trie::open(root);
    match trie.get(keccak256(address.as_slice()).as_slice(), source)? {
        Some(encoded) => decode_account(&encoded).map(Some),
        None => Ok(None),
    }
}
