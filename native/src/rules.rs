//! Ordo's inclusion rules (docs/state_transition.md 4.3), checked before revm sees a
//! transaction, in the same order and with the same (geth) wording as
//! `ordo.execution.transaction_rules.inclusion_error`.

use revm::primitives::{Address, Bytes, U256};

type U512 = revm::primitives::ruint::Uint<512, 8>;

pub const TX_BASE_GAS: u64 = 21_000;
const TX_CREATE_GAS: u64 = 32_000;
const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;
const AUTHORIZATION_GAS: u64 = 25_000;
const MAX_INITCODE_SIZE: usize = 49_152;
const BLOB_TRANSACTION_TYPE: u8 = 3;
pub const SET_CODE_TRANSACTION_TYPE: u8 = 4;

/// An integer field as decoded by py-evm: unbounded, so it may not fit 256 bits.
#[derive(Clone, Debug)]
pub struct Big {
    pub value: Option<U256>,
    /// The decimal text, kept only when the value does not fit (for the refusal message).
    pub text: String,
}

impl Big {
    pub fn show(&self) -> String {
        match self.value {
            Some(value) => value.to_string(),
            None => self.text.clone(),
        }
    }

    fn fits_u64(&self) -> Option<u64> {
        self.value.and_then(|v| u64::try_from(v).ok())
    }
}

/// One EIP-7702 authorization tuple as decoded (ranges unchecked, 11.3).
#[derive(Clone, Debug)]
pub struct Auth {
    pub chain_id: Big,
    pub address: Address,
    pub nonce: Big,
    pub y_parity: Big,
    pub r: Big,
    pub s: Big,
}

/// A transaction with its recovered sender and its canonical encoding.
#[derive(Clone, Debug)]
pub struct Tx {
    pub type_id: u8,
    pub chain_id: Option<Big>,
    pub nonce: Big,
    pub gas: Big,
    pub max_fee: Big,
    pub tip: Big,
    pub to: Option<Address>,
    pub value: Big,
    pub data: Bytes,
    pub access_list: Vec<(Address, Vec<U256>)>,
    pub auths: Vec<Auth>,
    pub sender: Address,
    pub encoded: Vec<u8>,
}

/// The sender's account as the block's state has it just before the transaction.
pub struct SenderAccount<'a> {
    pub nonce: u64,
    pub balance: U256,
    pub code: &'a [u8],
}

fn is_delegation(code: &[u8]) -> bool {
    code.len() == 23 && code.starts_with(&[0xef, 0x01, 0x00])
}

/// EIP-2028 / 2930 / 3860 / 7702 intrinsic gas, EIP-3860 initcode words included.
pub fn intrinsic_gas(tx: &Tx) -> u64 {
    let authorizations = if tx.type_id == SET_CODE_TRANSACTION_TYPE { tx.auths.len() } else { 0 };
    let initcode_words = if tx.to.is_none() { 2 * ((tx.data.len() as u64 + 31) / 32) } else { 0 };
    initcode_words
        + intrinsic_gas_of(
            &tx.data,
            tx.to.is_none(),
            tx.access_list.iter().map(|(_, slots)| slots.len()),
            authorizations,
        )
}

/// The figure without EIP-3860's initcode words, from the parts it depends on (the calldata,
/// whether the transaction creates a contract, each access-list entry's number of keys, the
/// number of authorizations): py-evm's `tx.intrinsic_gas`, which leaves the words to the
/// computation, and which mempool admission checks.
pub fn intrinsic_gas_of(
    data: &[u8],
    creates: bool,
    access_list: impl Iterator<Item = usize>,
    authorizations: usize,
) -> u64 {
    let zeros = data.iter().filter(|b| **b == 0).count() as u64;
    let non_zeros = data.len() as u64 - zeros;
    let mut gas = TX_BASE_GAS + zeros * 4 + non_zeros * 16;
    if creates {
        gas += TX_CREATE_GAS;
    }
    for slots in access_list {
        gas += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_STORAGE_KEY_GAS * slots as u64;
    }
    gas + AUTHORIZATION_GAS * authorizations as u64
}

/// EIP-7623: the least gas a transaction with this calldata may declare.
pub fn floor_data_gas(data: &[u8]) -> u64 {
    let zeros = data.iter().filter(|b| **b == 0).count() as u64;
    let tokens = zeros + (data.len() as u64 - zeros) * 4;
    TX_BASE_GAS + 10 * tokens
}

/// Why `tx` cannot be included now, or None.
pub fn inclusion_error(
    tx: &Tx,
    account: &SenderAccount<'_>,
    base_fee: u64,
    gas_available: u64,
    chain_id: u64,
    l1_fee: U256,
) -> Option<String> {
    let address = format!("0x{}", hex(tx.sender.as_slice()));
    if tx.type_id == BLOB_TRANSACTION_TYPE {
        return Some(
            "transaction type not supported: blob transactions are not accepted on L2".into(),
        );
    }
    if let Some(tx_chain) = &tx.chain_id {
        if tx_chain.value != Some(U256::from(chain_id)) {
            return Some(format!(
                "invalid chain id for signer: have {} want {chain_id}",
                tx_chain.show()
            ));
        }
    }
    if account.nonce >= u64::MAX {
        return Some(format!("nonce has max value: address {address}, nonce: {}", account.nonce));
    }
    let state_nonce = U256::from(account.nonce);
    match tx.nonce.value {
        Some(nonce) if nonce < state_nonce => {
            return Some(format!(
                "nonce too low: address {address}, tx: {nonce} state: {}",
                account.nonce
            ))
        }
        Some(nonce) if nonce == state_nonce => {}
        _ => {
            return Some(format!(
                "nonce too high: address {address}, tx: {} state: {}",
                tx.nonce.show(),
                account.nonce
            ))
        }
    }
    if !account.code.is_empty() && !is_delegation(account.code) {
        return Some(format!(
            "sender not an eoa: address {address}, len(code): {}",
            account.code.len()
        ));
    }
    let Some(max_fee) = tx.max_fee.value else {
        return Some(format!(
            "max fee per gas higher than 2^256-1: address {address}, maxFeePerGas: {}",
            tx.max_fee.show()
        ));
    };
    let Some(tip) = tx.tip.value else {
        return Some(format!(
            "max priority fee per gas higher than 2^256-1: address {address}, \
             maxPriorityFeePerGas: {}",
            tx.tip.show()
        ));
    };
    if tip > max_fee {
        return Some(format!(
            "max priority fee per gas higher than max fee per gas: address {address}, \
             maxPriorityFeePerGas: {tip}, maxFeePerGas: {max_fee}"
        ));
    }
    if max_fee < U256::from(base_fee) {
        return Some(format!(
            "max fee per gas less than block base fee: address {address}, \
             maxFeePerGas: {max_fee}, baseFee: {base_fee}"
        ));
    }
    let Some(gas) = tx.gas.fits_u64() else {
        return Some("gas uint64 overflow".into());
    };
    if gas > gas_available {
        return Some(format!(
            "gas limit reached: tx gas {gas}, block gas remaining {gas_available}"
        ));
    }
    let value = tx.value.value.unwrap_or(U256::MAX);
    let want = U512::from(gas) * U512::from(max_fee)
        + U512::from(value) + U512::from(l1_fee);
    if U512::from(account.balance) < want || tx.value.value.is_none() {
        let want_text = if tx.value.value.is_none() {
            // value >= 2^256: py-evm prints the exact sum; only reachable with a forged encoding
            format!("{} (+ value {})", want, tx.value.show())
        } else {
            want.to_string()
        };
        if l1_fee > U256::ZERO {
            return Some(format!(
                "insufficient funds for gas * price + value + l1 fee: address {address} have {} \
                 want {want_text} (L1 data fee {l1_fee} wei)",
                account.balance
            ));
        }
        return Some(format!(
            "insufficient funds for gas * price + value: address {address} have {} want {want_text}",
            account.balance
        ));
    }
    shape_error(tx, gas)
}

fn shape_error(tx: &Tx, gas: u64) -> Option<String> {
    if tx.type_id == SET_CODE_TRANSACTION_TYPE {
        if tx.to.is_none() {
            return Some("EIP-7702 transaction cannot be used to create contract".into());
        }
        if tx.auths.is_empty() {
            return Some("EIP-7702 transaction with empty auth list".into());
        }
    }
    if tx.to.is_none() && tx.data.len() > MAX_INITCODE_SIZE {
        return Some(format!(
            "max initcode size exceeded: code size {} limit {MAX_INITCODE_SIZE}",
            tx.data.len()
        ));
    }
    let required = intrinsic_gas(tx);
    if gas < required {
        return Some(format!("intrinsic gas too low: have {gas}, want {required}"));
    }
    let floor = floor_data_gas(&tx.data);
    if gas < floor {
        return Some(format!("insufficient gas for floor data gas cost: have {gas}, want {floor}"));
    }
    None
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
