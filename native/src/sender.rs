//! Sender recovery from a transaction's canonical encoding (docs/state_transition.md 4.2), for
//! re-executed blocks. It only confirms: any case it does not handle plainly (an unusual legacy
//! `v`, a signature out of range, a point that does not recover) yields None, and the Python
//! side decides with py-evm's own path, so the accepted set cannot drift from the reference.

use revm::precompile::secp256k1::bitcoin_secp256k1::ecrecover;
use revm::primitives::{keccak256, FixedBytes, B256, U256};

type B512 = FixedBytes<64>;

use crate::rlp;

/// secp256k1's group order n.
const SECP256K1_N: U256 = U256::from_be_bytes([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);

fn uint(bytes: &[u8]) -> Option<U256> {
    U256::try_from_be_slice(bytes)
}

/// (signing payload, y_parity, r, s) of a canonical transaction encoding.
fn signing_parts(encoded: &[u8]) -> Option<(Vec<u8>, u64, U256, U256)> {
    let first = *encoded.first()?;
    if first <= 0x7f {
        let items = rlp::list_items(&encoded[1..]).ok()?;
        let count = items.len().checked_sub(3)?;
        let unsigned: Vec<u8> = items[..count].iter().flat_map(|i| i.raw.iter().copied()).collect();
        let mut payload = vec![first];
        payload.extend(rlp::wrap_list(&unsigned));
        let y = u64::try_from(uint(items[count].payload)?).ok()?;
        return Some((payload, y, uint(items[count + 1].payload)?, uint(items[count + 2].payload)?));
    }
    let items = rlp::list_items(encoded).ok()?;
    if items.len() != 9 {
        return None;
    }
    let mut unsigned: Vec<u8> = items[..6].iter().flat_map(|i| i.raw.iter().copied()).collect();
    let v = u64::try_from(uint(items[6].payload)?).ok()?;
    let y = match v {
        27 | 28 => v - 27,
        35.. => {
            let chain_id = (v - 35) / 2;
            rlp::append_uint(&mut unsigned, &chain_id.to_be_bytes());
            unsigned.extend([0x80, 0x80]);
            (v - 35) % 2
        }
        _ => return None,
    };
    Some((rlp::wrap_list(&unsigned), y, uint(items[7].payload)?, uint(items[8].payload)?))
}

/// The sender of a canonical transaction encoding, or None when py-evm's path must decide.
pub fn recover(encoded: &[u8]) -> Option<[u8; 20]> {
    let (payload, y_parity, r, s) = signing_parts(encoded)?;
    recover_signed(&payload, y_parity, r, s)
}

/// The signer of `payload` (the message before hashing), or None for a signature py-evm
/// refuses (r or s out of range, a high s, a y parity other than 0 or 1) or that does not
/// recover.
pub fn recover_signed(payload: &[u8], y_parity: u64, r: U256, s: U256) -> Option<[u8; 20]> {
    if r.is_zero() || r >= SECP256K1_N || s.is_zero() || s > SECP256K1_N >> 1 || y_parity > 1 {
        return None;
    }
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&r.to_be_bytes::<32>());
    signature[32..].copy_from_slice(&s.to_be_bytes::<32>());
    let hash: B256 = keccak256(payload);
    let recovered = ecrecover(&B512::from(signature), y_parity as u8, &hash).ok()?;
    let mut address = [0u8; 20];
    address.copy_from_slice(&recovered[12..]);
    Some(address)
}
