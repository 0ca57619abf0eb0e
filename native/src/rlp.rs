//! The few RLP operations the trie and the receipts need: byte strings, lists of
//! already-encoded items, and splitting an encoded list into its items.

/// Appends the RLP header for a payload of `len` bytes (`short` 0x80 for strings, 0xc0 lists).
fn put_header(out: &mut Vec<u8>, len: usize, short: u8) {
    if len < 56 {
        out.push(short + len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(short + 55 + (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Appends the RLP of a byte string to `out`.
pub fn append_bytes(out: &mut Vec<u8>, data: &[u8]) {
    if data.len() == 1 && data[0] < 0x80 {
        out.push(data[0]);
    } else {
        put_header(out, data.len(), 0x80);
        out.extend_from_slice(data);
    }
}

/// RLP of an unsigned integer given as big-endian bytes (leading zeros dropped).
pub fn append_uint(out: &mut Vec<u8>, be: &[u8]) {
    let skip = be.iter().take_while(|b| **b == 0).count();
    append_bytes(out, &be[skip..]);
}

/// RLP list whose items are already encoded and concatenated in `payload`.
pub fn wrap_list(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 9);
    put_header(&mut out, payload.len(), 0xc0);
    out.extend_from_slice(payload);
    out
}

/// One decoded item: whether it is a list, its payload, and the whole encoding.
pub struct Item<'a> {
    pub is_list: bool,
    pub payload: &'a [u8],
    pub raw: &'a [u8],
}

/// Splits the first RLP item off `data`; returns it and the rest.
pub fn split(data: &[u8]) -> Result<(Item<'_>, &[u8]), String> {
    let first = *data.first().ok_or("rlp: empty input")?;
    let (is_list, header, len) = match first {
        0x00..=0x7f => (false, 0usize, 1usize),
        0x80..=0xb7 => (false, 1, (first - 0x80) as usize),
        0xb8..=0xbf => {
            let n = (first - 0xb7) as usize;
            (false, 1 + n, be_len(data.get(1..1 + n).ok_or("rlp: short length")?))
        }
        0xc0..=0xf7 => (true, 1, (first - 0xc0) as usize),
        _ => {
            let n = (first - 0xf7) as usize;
            (true, 1 + n, be_len(data.get(1..1 + n).ok_or("rlp: short length")?))
        }
    };
    let end = header.checked_add(len).ok_or("rlp: length overflow")?;
    if data.len() < end {
        return Err("rlp: item longer than its input".into());
    }
    let payload = if first < 0x80 { &data[0..1] } else { &data[header..end] };
    Ok((Item { is_list, payload, raw: &data[..end] }, &data[end..]))
}

fn be_len(bytes: &[u8]) -> usize {
    bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize)
}

/// The items of an encoded list.
pub fn list_items(data: &[u8]) -> Result<Vec<Item<'_>>, String> {
    let (item, _) = split(data)?;
    if !item.is_list {
        return Err("rlp: expected a list".into());
    }
    let mut rest = item.payload;
    let mut items = Vec::new();
    while !rest.is_empty() {
        let (next, tail) = split(rest)?;
        items.push(next);
        rest = tail;
    }
    Ok(items)
}
