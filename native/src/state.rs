//! The state one block runs on: accounts and storage read from the tries at the parent's state
//! root, changed in memory transaction by transaction, and written back as trie nodes at the end.
//!
//! It is revm's [`Database`] (reads) and [`DatabaseCommit`] (each transaction's changes), and
//! applies py-evm's end-of-transaction rules that revm leaves to the database: a self-destructed
//! account and a touched empty account (EIP-161) are deleted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use revm::bytecode::Bytecode;
use revm::database_interface::{DBErrorMarker, Database};
use revm::primitives::{keccak256, Address, AddressMap, Bytes, B256, KECCAK_EMPTY, U256};
use revm::state::{Account, AccountInfo};

use crate::rlp;
use crate::trie::{NodeSource, Trie};

/// A read the store could not answer (a missing node, an undecodable account).
#[derive(Debug, Clone)]
pub struct StateError(pub String);

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}
impl DBErrorMarker for StateError {}

/// One account as the block sees it now.
struct Entry {
    nonce: u64,
    balance: U256,
    code_hash: B256,
    /// Storage trie at the block's start (or empty once the account was deleted or re-created).
    storage: Trie,
    slots: HashMap<U256, U256>,
    dirty_slots: BTreeSet<U256>,
}

impl Entry {
    fn new_empty() -> Entry {
        Entry {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK_EMPTY,
            storage: Trie::empty(),
            slots: HashMap::new(),
            dirty_slots: BTreeSet::new(),
        }
    }
}

fn decode_uint(bytes: &[u8]) -> Result<U256, StateError> {
    U256::try_from_be_slice(bytes).ok_or_else(|| StateError("state: integer over 256 bits".into()))
}

fn decode_account(encoded: &[u8]) -> Result<Entry, StateError> {
    let items = rlp::list_items(encoded).map_err(StateError)?;
    if items.len() != 4 || items[2].payload.len() != 32 || items[3].payload.len() != 32 {
        return Err(StateError("state: malformed account".into()));
    }
    let nonce = decode_uint(items[0].payload)?;
    let mut root = [0u8; 32];
    root.copy_from_slice(items[2].payload);
    Ok(Entry {
        nonce: u64::try_from(nonce).map_err(|_| StateError("state: nonce over 64 bits".into()))?,
        balance: decode_uint(items[1].payload)?,
        code_hash: B256::from_slice(items[3].payload),
        storage: Trie::open(root),
        slots: HashMap::new(),
        dirty_slots: BTreeSet::new(),
    })
}

fn encode_account(entry: &Entry, storage_root: &[u8; 32]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(80);
    rlp::append_uint(&mut payload, &entry.nonce.to_be_bytes());
    rlp::append_uint(&mut payload, &entry.balance.to_be_bytes::<32>());
    rlp::append_bytes(&mut payload, storage_root);
    rlp::append_bytes(&mut payload, entry.code_hash.as_slice());
    rlp::wrap_list(&payload)
}

/// What a block changed, ready for the store.
pub struct Committed {
    pub state_root: [u8; 32],
    pub writes: Vec<([u8; 32], Vec<u8>)>,
}

/// The block's state over a node source `S` (the node's store).
pub struct BlockState<S: NodeSource> {
    pub source: S,
    accounts_trie: Trie,
    accounts: HashMap<Address, Option<Entry>>,
    dirty: BTreeSet<Address>,
    codes: HashMap<B256, Bytecode>,
    new_codes: BTreeMap<B256, Bytes>,
    /// Hashes of blocks `number - 1`, `number - 2`, ... (BLOCKHASH), newest first.
    ancestors: Vec<B256>,
    number: u64,
}

impl<S: NodeSource> BlockState<S> {
    pub fn new(source: S, parent_root: [u8; 32], number: u64, ancestors: Vec<B256>) -> Self {
        BlockState {
            source,
            accounts_trie: Trie::open(parent_root),
            accounts: HashMap::new(),
            dirty: BTreeSet::new(),
            codes: HashMap::new(),
            new_codes: BTreeMap::new(),
            ancestors,
            number,
        }
    }

    fn entry(&mut self, address: Address) -> Result<Option<&mut Entry>, StateError> {
        if !self.accounts.contains_key(&address) {
            let key = keccak256(address.as_slice());
            let found = self
                .accounts_trie
                .get(key.as_slice(), &mut self.source)
                .map_err(StateError)?;
            let entry = match found {
                Some(encoded) => Some(decode_account(&encoded)?),
                None => None,
            };
            self.accounts.insert(address, entry);
        }
        Ok(self.accounts.get_mut(&address).and_then(|e| e.as_mut()))
    }

    /// The account, created empty when absent (py-evm's set_balance on a new address).
    fn entry_or_create(&mut self, address: Address) -> Result<&mut Entry, StateError> {
        if self.entry(address)?.is_none() {
            self.accounts.insert(address, Some(Entry::new_empty()));
        }
        self.dirty.insert(address);
        Ok(self.accounts.get_mut(&address).and_then(|e| e.as_mut()).expect("just created"))
    }

    pub fn account(&mut self, address: Address) -> Result<Option<(u64, U256, B256)>, StateError> {
        Ok(self.entry(address)?.map(|e| (e.nonce, e.balance, e.code_hash)))
    }

    pub fn code(&mut self, code_hash: B256) -> Result<Bytecode, StateError> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.codes.get(&code_hash) {
            return Ok(code.clone());
        }
        let raw = self.source.node(&code_hash.0).map_err(StateError)?;
        let code = Bytecode::new_raw(Bytes::from(raw));
        self.codes.insert(code_hash, code.clone());
        Ok(code)
    }

    fn read_slot(&mut self, address: Address, slot: U256) -> Result<U256, StateError> {
        if self.entry(address)?.is_none() {
            return Ok(U256::ZERO);
        }
        let entry = self.accounts.get_mut(&address).and_then(|e| e.as_mut()).expect("loaded");
        if let Some(value) = entry.slots.get(&slot) {
            return Ok(*value);
        }
        let key = keccak256(slot.to_be_bytes::<32>());
        let found = entry.storage.get(key.as_slice(), &mut self.source).map_err(StateError)?;
        let value = match found {
            Some(encoded) => {
                let (item, _) = rlp::split(&encoded).map_err(StateError)?;
                decode_uint(item.payload)?
            }
            None => U256::ZERO,
        };
        entry.slots.insert(slot, value);
        Ok(value)
    }

    /// Adds to a balance, creating the account (a forced deposit; the block-end coinbase touch).
    pub fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), StateError> {
        let entry = self.entry_or_create(address)?;
        entry.balance = entry
            .balance
            .checked_add(amount)
            .ok_or_else(|| StateError("state: balance over 2^256".into()))?;
        Ok(())
    }

    /// The L1 data fee's debit at transaction start (docs/state_transition.md 6.4); the
    /// inclusion rules have checked the balance covers it.
    pub fn sub_balance(&mut self, address: Address, amount: U256) -> Result<(), StateError> {
        let entry = self.entry_or_create(address)?;
        entry.balance = entry
            .balance
            .checked_sub(amount)
            .ok_or_else(|| StateError("state: balance below 0".into()))?;
        Ok(())
    }

    /// A direct storage write outside the EVM (the system-contract updates at block start).
    pub fn set_slot(&mut self, address: Address, slot: U256, value: U256) -> Result<(), StateError> {
        let entry = self.entry_or_create(address)?;
        entry.slots.insert(slot, value);
        entry.dirty_slots.insert(slot);
        Ok(())
    }

    fn delete(&mut self, address: Address) {
        self.accounts.insert(address, None);
        self.dirty.insert(address);
    }

    fn apply(&mut self, address: Address, account: Account) -> Result<(), StateError> {
        if !account.is_touched() {
            return Ok(());
        }
        if account.is_selfdestructed() || account.is_empty() {
            self.delete(address);
            return Ok(());
        }
        if let Some(code) = &account.info.code {
            let hash = account.info.code_hash;
            if hash != KECCAK_EMPTY && !self.codes.contains_key(&hash) {
                self.new_codes.insert(hash, code.original_bytes());
                self.codes.insert(hash, code.clone());
            }
        }
        let created = account.is_created();
        let entry = self.entry_or_create(address)?;
        if created {
            entry.storage = Trie::empty();
            entry.slots.clear();
            entry.dirty_slots.clear();
        }
        entry.nonce = account.info.nonce;
        entry.balance = account.info.balance;
        entry.code_hash = account.info.code_hash;
        for (slot, value) in account.storage.iter() {
            if value.is_changed() || created {
                entry.slots.insert(*slot, value.present_value);
                entry.dirty_slots.insert(*slot);
            }
        }
        Ok(())
    }

    /// Writes every changed account and slot into the tries; the new state root and nodes.
    pub fn commit_block(&mut self) -> Result<Committed, StateError> {
        let mut writes: Vec<([u8; 32], Vec<u8>)> = Vec::new();
        for (hash, code) in std::mem::take(&mut self.new_codes) {
            writes.push((hash.0, code.to_vec()));
        }
        let dirty = std::mem::take(&mut self.dirty);
        for address in dirty {
            let key = keccak256(address.as_slice());
            let Some(Some(entry)) = self.accounts.get_mut(&address) else {
                let trie = &mut self.accounts_trie;
                if trie.get(key.as_slice(), &mut self.source).map_err(StateError)?.is_some() {
                    trie.remove(key.as_slice(), &mut self.source).map_err(StateError)?;
                }
                continue;
            };
            for slot in std::mem::take(&mut entry.dirty_slots) {
                let slot_key = keccak256(slot.to_be_bytes::<32>());
                let value = entry.slots[&slot];
                if value.is_zero() {
                    entry.storage.remove(slot_key.as_slice(), &mut self.source).map_err(StateError)?;
                } else {
                    let mut encoded = Vec::with_capacity(33);
                    rlp::append_uint(&mut encoded, &value.to_be_bytes::<32>());
                    entry
                        .storage
                        .put(slot_key.as_slice(), encoded, &mut self.source)
                        .map_err(StateError)?;
                }
            }
            let storage_root = entry.storage.commit(&mut writes);
            let encoded = encode_account(entry, &storage_root);
            self.accounts_trie
                .put(key.as_slice(), encoded, &mut self.source)
                .map_err(StateError)?;
        }
        let state_root = self.accounts_trie.commit(&mut writes);
        Ok(Committed { state_root, writes })
    }
}

impl<S: NodeSource> Database for BlockState<S> {
    type Error = StateError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, StateError> {
        let Some((nonce, balance, code_hash)) = self.account(address)? else {
            return Ok(None);
        };
        let code = self.code(code_hash)?;
        let mut info = AccountInfo::default();
        info.nonce = nonce;
        info.balance = balance;
        info.code_hash = code_hash;
        info.code = Some(code);
        Ok(Some(info))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, StateError> {
        self.code(code_hash)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, StateError> {
        self.read_slot(address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, StateError> {
        if number >= self.number {
            return Ok(B256::ZERO);
        }
        let depth = (self.number - 1 - number) as usize;
        Ok(self.ancestors.get(depth).copied().unwrap_or(B256::ZERO))
    }
}

impl<S: NodeSource> BlockState<S> {
    /// Applies one transaction's changes (revm's finalized journal).
    pub fn commit_transaction(&mut self, changes: AddressMap<Account>) -> Result<(), StateError> {
        for (address, account) in changes {
            self.apply(address, account)?;
        }
        Ok(())
    }
}
