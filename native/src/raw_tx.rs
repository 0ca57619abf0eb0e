//! A raw transaction as a node first meets it (`eth_sendRawTransaction`, gossip, a proposal):
//! its fields read, its sender recovered and its hash taken in one call, for
//! `ordo.core.transaction.decode_transaction`. py-evm's builder does the same in Python in
//! about three times the CPU.
//!
//! It only accepts: the bytes must be exactly what py-evm's Prague builder accepts and then
//! recovers a sender from (strict, canonical RLP; integers without leading zeros; a 20-byte or
//! empty `to`; 32-byte storage keys; the field counts of types 0, 1, 2 and 4; r and s in range,
//! a low s, a y parity of 0 or 1, a point that recovers). Anything else, and the rare shapes
//! py-evm accepts but this does not read (an integer over 256 bits, an empty address inside an
//! access list or an authorization, a legacy `v` other than 27, 28 or an EIP-155 `v` of a
//! chain id from 1 to 2^63), yields None: the caller then decodes with py-evm, which accepts
//! or words the refusal, so refusals stay py-evm's by construction. Parsing follows the fixed
//! shape of a transaction (never a recursive walk), so nesting cannot exhaust the stack.

use revm::primitives::{keccak256, U256};

use crate::rlp;
use crate::rules;
use crate::sender;

/// One item of strictly parsed RLP: whether it is a list, its payload and its whole encoding.
struct Item<'a> {
    is_list: bool,
    payload: &'a [u8],
    raw: &'a [u8],
}

/// Splits the first item off `data` under pyrlp's strict rules: a single byte below 0x80 is
/// never wrapped, a long form is used only for 56 bytes or more and its length has no leading
/// zero, and the item fits in `data`.
fn split(data: &[u8]) -> Option<(Item<'_>, &[u8])> {
    let first = *data.first()?;
    let (is_list, header, len) = match first {
        0x00..=0x7f => {
            return Some((Item { is_list: false, payload: &data[..1], raw: &data[..1] }, &data[1..]))
        }
        0x80..=0xb7 => {
            let len = (first - 0x80) as usize;
            if len == 1 && *data.get(1)? < 0x80 {
                return None;
            }
            (false, 1, len)
        }
        0xb8..=0xbf => long_length(data, (first - 0xb7) as usize).map(|(h, l)| (false, h, l))?,
        0xc0..=0xf7 => (true, 1, (first - 0xc0) as usize),
        _ => long_length(data, (first - 0xf7) as usize).map(|(h, l)| (true, h, l))?,
    };
    let end = header.checked_add(len)?;
    if data.len() < end {
        return None;
    }
    Some((Item { is_list, payload: &data[header..end], raw: &data[..end] }, &data[end..]))
}

/// (header length, payload length) of a long form whose length takes `n` bytes.
fn long_length(data: &[u8], n: usize) -> Option<(usize, usize)> {
    let bytes = data.get(1..1 + n)?;
    if bytes[0] == 0 || n > std::mem::size_of::<usize>() {
        return None;
    }
    let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
    (len >= 56).then_some((1 + n, len))
}

/// The one item `data` holds, with nothing after it.
fn whole(data: &[u8]) -> Option<Item<'_>> {
    let (item, rest) = split(data)?;
    rest.is_empty().then_some(item)
}

/// The items of a list item (one level).
fn items<'a>(item: &Item<'a>) -> Option<Vec<Item<'a>>> {
    if !item.is_list {
        return None;
    }
    let mut rest = item.payload;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (next, tail) = split(rest)?;
        out.push(next);
        rest = tail;
    }
    Some(out)
}

/// py-evm's `big_endian_int`: a string without a leading zero byte; over 256 bits is not read.
fn uint(item: &Item<'_>) -> Option<U256> {
    if item.is_list || item.payload.first() == Some(&0) {
        return None;
    }
    U256::try_from_be_slice(item.payload)
}

/// A 20-byte address; `to` may also be empty (a creation).
fn address(item: &Item<'_>) -> Option<[u8; 20]> {
    if item.is_list {
        return None;
    }
    item.payload.try_into().ok()
}

fn string<'a>(item: &Item<'a>) -> Option<&'a [u8]> {
    (!item.is_list).then_some(item.payload)
}

/// One EIP-7702 authorization: chain id, address, nonce, y parity, r, s.
pub struct Authorization {
    pub chain_id: U256,
    pub address: [u8; 20],
    pub nonce: U256,
    pub y_parity: U256,
    pub r: U256,
    pub s: U256,
}

/// A decoded, sender-recovered transaction. For a legacy transaction `fee_cap` and `tip` are
/// both its gas price and `v` is its `v`; for a typed one `v` is its y parity.
pub struct RawTransaction<'a> {
    pub type_id: u8,
    pub chain_id: Option<U256>,
    pub nonce: U256,
    pub gas: U256,
    pub fee_cap: U256,
    pub tip: U256,
    pub to: Option<[u8; 20]>,
    pub value: U256,
    pub data: &'a [u8],
    pub access_list: Vec<([u8; 20], Vec<U256>)>,
    pub authorizations: Vec<Authorization>,
    pub v: U256,
    pub r: U256,
    pub s: U256,
    pub sender: [u8; 20],
    pub hash: [u8; 32],
    pub intrinsic_gas: u64,
}

fn access_list(item: &Item<'_>) -> Option<Vec<([u8; 20], Vec<U256>)>> {
    let mut out = Vec::new();
    for entry in items(item)? {
        let parts = items(&entry)?;
        if parts.len() != 2 {
            return None;
        }
        let mut keys = Vec::new();
        for key in items(&parts[1])? {
            // BigEndianInt(32): exactly 32 bytes, leading zeros allowed
            if key.is_list || key.payload.len() != 32 {
                return None;
            }
            keys.push(U256::from_be_slice(key.payload));
        }
        out.push((address(&parts[0])?, keys));
    }
    Some(out)
}

fn authorizations(item: &Item<'_>) -> Option<Vec<Authorization>> {
    let mut out = Vec::new();
    for entry in items(item)? {
        let f = items(&entry)?;
        if f.len() != 6 {
            return None;
        }
        out.push(Authorization {
            chain_id: uint(&f[0])?,
            address: address(&f[1])?,
            nonce: uint(&f[2])?,
            y_parity: uint(&f[3])?,
            r: uint(&f[4])?,
            s: uint(&f[5])?,
        });
    }
    Some(out)
}

fn to(item: &Item<'_>) -> Option<Option<[u8; 20]>> {
    if !item.is_list && item.payload.is_empty() {
        return Some(None);
    }
    address(item).map(Some)
}

/// The transaction `raw` encodes, or None where py-evm must decide (module comment).
pub fn decode(raw: &[u8]) -> Option<RawTransaction<'_>> {
    let first = *raw.first()?;
    let (fields, type_id) = match first {
        1 | 2 | 4 => (items(&whole(&raw[1..])?)?, first),
        0xc0.. => (items(&whole(raw)?)?, 0),
        _ => return None,
    };
    let expected = match type_id {
        0 => 9,
        1 => 11,
        2 => 12,
        _ => 13,
    };
    if fields.len() != expected {
        return None;
    }
    let signature = &fields[expected - 3..];
    let (v, r, s) = (uint(&signature[0])?, uint(&signature[1])?, uint(&signature[2])?);
    let unsigned = &fields[..expected - 3];
    let body: Vec<u8> = unsigned.iter().flat_map(|i| i.raw.iter().copied()).collect();
    let mut tx = if type_id == 0 {
        let fee = uint(&fields[1])?;
        RawTransaction {
            type_id,
            chain_id: None,
            nonce: uint(&fields[0])?,
            gas: uint(&fields[2])?,
            fee_cap: fee,
            tip: fee,
            to: to(&fields[3])?,
            value: uint(&fields[4])?,
            data: string(&fields[5])?,
            access_list: Vec::new(),
            authorizations: Vec::new(),
            v,
            r,
            s,
            sender: [0; 20],
            hash: [0; 32],
            intrinsic_gas: 0,
        }
    } else {
        let (fee_cap, tip, rest) = if type_id == 1 {
            let fee = uint(&fields[2])?;
            (fee, fee, &fields[3..])
        } else {
            (uint(&fields[3])?, uint(&fields[2])?, &fields[4..])
        };
        RawTransaction {
            type_id,
            chain_id: Some(uint(&fields[0])?),
            nonce: uint(&fields[1])?,
            gas: uint(&rest[0])?,
            fee_cap,
            tip,
            to: to(&rest[1])?,
            value: uint(&rest[2])?,
            data: string(&rest[3])?,
            access_list: access_list(&rest[4])?,
            authorizations: if type_id == 4 { authorizations(&rest[5])? } else { Vec::new() },
            v,
            r,
            s,
            sender: [0; 20],
            hash: [0; 32],
            intrinsic_gas: 0,
        }
    };
    let (payload, y_parity) = if type_id == 0 {
        legacy_signing(body, v)?
    } else {
        let mut payload = vec![type_id];
        payload.extend(rlp::wrap_list(&body));
        (payload, u64::try_from(v).ok()?)
    };
    tx.sender = sender::recover_signed(&payload, y_parity, r, s)?;
    tx.hash = keccak256(raw).0;
    tx.intrinsic_gas = rules::intrinsic_gas_of(
        tx.data,
        tx.to.is_none(),
        tx.access_list.iter().map(|(_, keys)| keys.len()),
        tx.authorizations.len(),
    );
    if type_id == 0 {
        tx.chain_id = chain_id_of_v(v);
    }
    Some(tx)
}

/// EIP-155's chain id in a legacy `v` of 37 or more (chain ids 1 and up).
fn chain_id_of_v(v: U256) -> Option<U256> {
    (v >= U256::from(37u8)).then(|| (v - U256::from(35u8)) / U256::from(2u8))
}

/// A legacy transaction's signed message and y parity: its six fields before EIP-155, with
/// `chain_id, 0, 0` after. Chain id 0 (`v` 35 or 36) is left to py-evm, which writes that
/// zero as a one-byte string where RLP's integer is empty.
fn legacy_signing(mut body: Vec<u8>, v: U256) -> Option<(Vec<u8>, u64)> {
    let v = u64::try_from(v).ok()?;
    let y_parity = match v {
        27 | 28 => v - 27,
        37..=0x7fff_ffff_ffff_ffff => {
            rlp::append_uint(&mut body, &((v - 35) / 2).to_be_bytes());
            body.extend([0x80, 0x80]);
            (v - 35) % 2
        }
        _ => return None,
    };
    Some((rlp::wrap_list(&body), y_parity))
}
