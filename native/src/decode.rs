//! A transaction's fields read from its canonical encoding (py-evm's `tx.encode()`), so the
//! Python side hands over bytes instead of a dozen attributes per transaction. Anything this
//! does not read plainly (a blob type, an odd legacy `v`, an integer over 256 bits, a fee per gas
//! of 2^128 or more, an address that is not 20 bytes) is an error, and the engine runs that block
//! on py-evm instead (`NativeUnsupported` on the Python side).

use revm::primitives::{Address, Bytes, U256};

use crate::rlp::{self, Item};
use crate::rules::{Auth, Big, Tx};

fn big(item: &Item<'_>) -> Result<Big, String> {
    if item.is_list {
        return Err("integer field is a list".into());
    }
    let value = U256::try_from_be_slice(item.payload).ok_or("integer over 256 bits")?;
    Ok(Big { value: Some(value), text: String::new() })
}

fn fee(item: &Item<'_>) -> Result<Big, String> {
    let value = big(item)?;
    if value.value.is_some_and(|v| v >= U256::from(1u8) << 128) {
        return Err("fee per gas of 2^128 or more".into());
    }
    Ok(value)
}

fn address(item: &Item<'_>) -> Result<Address, String> {
    if item.is_list || item.payload.len() != 20 {
        return Err("address is not 20 bytes".into());
    }
    Ok(Address::from_slice(item.payload))
}

fn to(item: &Item<'_>) -> Result<Option<Address>, String> {
    if !item.is_list && item.payload.is_empty() {
        return Ok(None);
    }
    address(item).map(Some)
}

fn access_list(item: &Item<'_>) -> Result<Vec<(Address, Vec<U256>)>, String> {
    let mut out = Vec::new();
    for entry in rlp::list_items(item.raw)? {
        let parts = rlp::list_items(entry.raw)?;
        if parts.len() != 2 {
            return Err("access list entry is not [address, keys]".into());
        }
        let keys = rlp::list_items(parts[1].raw)?
            .iter()
            .map(|key| big(key).map(|b| b.value.unwrap_or_default()))
            .collect::<Result<Vec<_>, _>>()?;
        out.push((address(&parts[0])?, keys));
    }
    Ok(out)
}

fn authorizations(item: &Item<'_>) -> Result<Vec<Auth>, String> {
    let mut out = Vec::new();
    for entry in rlp::list_items(item.raw)? {
        let f = rlp::list_items(entry.raw)?;
        if f.len() != 6 {
            return Err("authorization is not 6 fields".into());
        }
        out.push(Auth {
            chain_id: big(&f[0])?,
            address: address(&f[1])?,
            nonce: big(&f[2])?,
            y_parity: big(&f[3])?,
            r: big(&f[4])?,
            s: big(&f[5])?,
        });
    }
    Ok(out)
}

fn data(item: &Item<'_>) -> Result<Bytes, String> {
    if item.is_list {
        return Err("data is a list".into());
    }
    Ok(Bytes::copy_from_slice(item.payload))
}

/// The transaction encoded as `encoded`, sent by `sender` (recovered by the caller).
pub fn transaction(encoded: &[u8], sender: Address) -> Result<Tx, String> {
    let first = *encoded.first().ok_or("empty transaction")?;
    let mut tx = Tx {
        type_id: 0,
        chain_id: None,
        nonce: Big { value: Some(U256::ZERO), text: String::new() },
        gas: Big { value: Some(U256::ZERO), text: String::new() },
        max_fee: Big { value: Some(U256::ZERO), text: String::new() },
        tip: Big { value: Some(U256::ZERO), text: String::new() },
        to: None,
        value: Big { value: Some(U256::ZERO), text: String::new() },
        data: Bytes::new(),
        access_list: Vec::new(),
        auths: Vec::new(),
        sender,
        encoded: encoded.to_vec(),
    };
    if first > 0x7f {
        let f = rlp::list_items(encoded)?;
        if f.len() != 9 {
            return Err("legacy transaction is not 9 fields".into());
        }
        let v = big(&f[6])?.value.and_then(|v| u64::try_from(v).ok()).ok_or("odd v")?;
        tx.chain_id = match v {
            27 | 28 => None,
            35.. => Some(Big { value: Some(U256::from((v - 35) / 2)), text: String::new() }),
            _ => return Err("odd legacy v".into()),
        };
        tx.nonce = big(&f[0])?;
        tx.max_fee = fee(&f[1])?;
        tx.tip = tx.max_fee.clone();
        tx.gas = big(&f[2])?;
        tx.to = to(&f[3])?;
        tx.value = big(&f[4])?;
        tx.data = data(&f[5])?;
        return Ok(tx);
    }
    let f = rlp::list_items(&encoded[1..])?;
    tx.type_id = first;
    let rest = match (first, f.len()) {
        (1, 11) => {
            tx.max_fee = fee(&f[2])?;
            tx.tip = tx.max_fee.clone();
            &f[3..]
        }
        (2, 12) | (4, 13) => {
            tx.tip = fee(&f[2])?;
            tx.max_fee = fee(&f[3])?;
            &f[4..]
        }
        _ => return Err(format!("transaction type {first} with {} fields", f.len())),
    };
    tx.chain_id = Some(big(&f[0])?);
    tx.nonce = big(&f[1])?;
    tx.gas = big(&rest[0])?;
    tx.to = to(&rest[1])?;
    tx.value = big(&rest[2])?;
    tx.data = data(&rest[3])?;
    tx.access_list = access_list(&rest[4])?;
    if first == 4 {
        tx.auths = authorizations(&rest[5])?;
    }
    Ok(tx)
}
