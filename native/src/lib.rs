//! `ordo._native`: Ordo's block executor on revm, called by `ordo.execution.native_engine`.
//!
//! The Python side passes plain values (bytes, ints, tuples) and a `get(key) -> bytes | None`
//! callable over the node's committed store; this side runs the whole block and hands back
//! receipts, roots and the block's new trie nodes and code, for the node to commit.

mod block;
mod decode;
mod raw_tx;
mod reads;
mod rlp;
mod rules;
mod sender;
mod state;
mod trie;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use revm::primitives::{Address, B256, U256};

use block::{BlockError, BlockInput, Forced, L1Fee, Transactions};
use rules::{Big, Tx};

pub const SENDER_ALREADY_SKIPPED: &str =
    "an earlier transaction of this sender was skipped in this block";

create_exception!(_native, InvalidBlock, PyException, "The block breaks a state-transition rule.");
create_exception!(_native, MissingState, PyException, "The store lacks a node the block reads.");
create_exception!(_native, Unsupported, PyException, "A value revm cannot represent exactly.");

/// The node's store, read through the Python callable the engine was given.
struct PySource<'py> {
    get: Bound<'py, PyAny>,
}

impl trie::NodeSource for PySource<'_> {
    fn node(&mut self, hash: &[u8; 32]) -> Result<Vec<u8>, String> {
        let py = self.get.py();
        let found = self
            .get
            .call1((PyBytes::new(py, hash),))
            .map_err(|e| format!("store read failed: {e}"))?;
        if found.is_none() {
            return Err(format!("missing trie node 0x{}", rules::hex(hash)));
        }
        found.extract::<Vec<u8>>().map_err(|e| format!("store read failed: {e}"))
    }
}

fn big(value: &Bound<'_, PyAny>) -> PyResult<Big> {
    if let Ok(small) = value.extract::<u128>() {
        return Ok(Big { value: Some(U256::from(small)), text: String::new() });
    }
    match value.call_method1("to_bytes", (32, "big")) {
        Ok(bytes) => {
            let bytes: Vec<u8> = bytes.extract()?;
            Ok(Big { value: Some(U256::from_be_slice(&bytes)), text: String::new() })
        }
        Err(_) => Ok(Big { value: None, text: value.str()?.to_string() }),
    }
}

fn address(value: &Bound<'_, PyAny>) -> PyResult<Address> {
    let bytes: Vec<u8> = value.extract()?;
    if bytes.len() != 20 {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "address must be 20 bytes, got {}",
            bytes.len()
        )));
    }
    Ok(Address::from_slice(&bytes))
}

fn hash32(value: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
    let bytes: Vec<u8> = value.extract()?;
    bytes.try_into().map_err(|_| pyo3::exceptions::PyValueError::new_err("hash must be 32 bytes"))
}

/// (encoded, sender): the canonical encoding and the recovered sender.
fn transaction(item: &Bound<'_, PyAny>) -> PyResult<Tx> {
    let fields = item.cast::<PyTuple>()?;
    let encoded = fields.get_item(0)?;
    let encoded = encoded.cast::<PyBytes>()?.as_bytes();
    let sender = address(&fields.get_item(1)?)?;
    decode::transaction(encoded, sender).map_err(Unsupported::new_err)
}

/// (parent_root, parent_hash, number, coinbase, timestamp, gas_limit, base_fee, prev_randao,
///  chain_id, ancestors, beacon_roots_address, beacon_roots_code_hash, history_address,
///  history_code_hash, l1_fee): l1_fee is None or (vault, base_fee_scalar,
///  blob_base_fee_scalar, l1_base_fee, l1_blob_base_fee, oracle)
fn block_input(item: &Bound<'_, PyAny>) -> PyResult<BlockInput> {
    let f = item.cast::<PyTuple>()?;
    let mut ancestors = Vec::new();
    for hash in f.get_item(9)?.try_iter()? {
        ancestors.push(B256::from(hash32(&hash?)?));
    }
    Ok(BlockInput {
        parent_root: hash32(&f.get_item(0)?)?,
        parent_hash: B256::from(hash32(&f.get_item(1)?)?),
        number: f.get_item(2)?.extract()?,
        coinbase: address(&f.get_item(3)?)?,
        timestamp: f.get_item(4)?.extract()?,
        gas_limit: f.get_item(5)?.extract()?,
        base_fee: f.get_item(6)?.extract()?,
        prev_randao: B256::from(hash32(&f.get_item(7)?)?),
        chain_id: f.get_item(8)?.extract()?,
        ancestors,
        beacon_roots: (address(&f.get_item(10)?)?, B256::from(hash32(&f.get_item(11)?)?)),
        history: (address(&f.get_item(12)?)?, B256::from(hash32(&f.get_item(13)?)?)),
        l1_fee: l1_fee(&f.get_item(14)?)?,
    })
}

fn l1_fee(item: &Bound<'_, PyAny>) -> PyResult<Option<L1Fee>> {
    if item.is_none() {
        return Ok(None);
    }
    let f = item.cast::<PyTuple>()?;
    let word = |i: usize| -> PyResult<U256> {
        big(&f.get_item(i)?)?.value.ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err("L1 fee parameter over 2^256")
        })
    };
    Ok(Some(L1Fee {
        vault: address(&f.get_item(0)?)?,
        base_fee_scalar: word(1)?,
        blob_base_fee_scalar: word(2)?,
        l1_base_fee: word(3)?,
        l1_blob_base_fee: word(4)?,
        oracle: address(&f.get_item(5)?)?,
    }))
}

/// Each item: ("deposit", recipient, amount) or ("transaction", tx tuple | None).
fn forced_items(items: &Bound<'_, PyAny>) -> PyResult<Vec<Forced>> {
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let kind: String = item.get_item(0)?.extract()?;
        if kind == "deposit" {
            let amount = big(&item.get_item(2)?)?.value.unwrap_or(U256::MAX);
            out.push(Forced::Deposit(address(&item.get_item(1)?)?, amount));
        } else {
            let tx = item.get_item(1)?;
            out.push(Forced::Transaction(if tx.is_none() { None } else { Some(transaction(&tx)?) }));
        }
    }
    Ok(out)
}

fn output<'py>(py: Python<'py>, out: block::BlockOutput) -> PyResult<Bound<'py, PyDict>> {
    let result = PyDict::new(py);
    result.set_item("included", out.included)?;
    result.set_item("forced_included", out.forced_included)?;
    result.set_item("skipped", out.skipped)?;
    let receipts = PyList::empty(py);
    for receipt in out.receipts {
        let logs = PyList::empty(py);
        for log in receipt.logs {
            let topics: Vec<Bound<'py, PyBytes>> =
                log.topics().iter().map(|t| PyBytes::new(py, t.as_slice())).collect();
            logs.append((
                PyBytes::new(py, log.address.as_slice()),
                topics,
                PyBytes::new(py, &log.data.data),
            ))?;
        }
        receipts.append((receipt.success, receipt.cumulative_gas, logs, PyBytes::new(py, &receipt.bloom)))?;
    }
    result.set_item("receipts", receipts)?;
    result.set_item("gas_used", out.gas_used)?;
    result.set_item("bloom", PyBytes::new(py, &out.bloom))?;
    result.set_item("state_root", PyBytes::new(py, &out.state_root))?;
    result.set_item("transactions_root", PyBytes::new(py, &out.transactions_root))?;
    result.set_item("receipts_root", PyBytes::new(py, &out.receipts_root))?;
    let encodings: Vec<Bound<'py, PyBytes>> =
        out.receipt_encodings.iter().map(|e| PyBytes::new(py, e)).collect();
    result.set_item("receipt_encodings", encodings)?;
    let writes = PyDict::new(py);
    for (key, value) in out.writes {
        writes.set_item(PyBytes::new(py, &key), PyBytes::new(py, &value))?;
    }
    result.set_item("writes", writes)?;
    Ok(result)
}

fn raise(error: BlockError) -> PyErr {
    match error {
        BlockError::Invalid(reason) => InvalidBlock::new_err(reason),
        BlockError::Failed(reason) => MissingState::new_err(reason),
    }
}

/// Re-executes a proposed block; raises InvalidBlock on the first broken rule.
#[pyfunction]
fn execute_block<'py>(
    py: Python<'py>,
    get: Bound<'py, PyAny>,
    input: Bound<'py, PyAny>,
    forced: Bound<'py, PyAny>,
    transactions: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let input = block_input(&input)?;
    let forced = forced_items(&forced)?;
    let mut txs = Vec::new();
    for tx in transactions.try_iter()? {
        txs.push(transaction(&tx?)?);
    }
    let out = block::run_block(PySource { get }, &input, &forced, Transactions::Execute(txs))
        .map_err(raise)?;
    output(py, out)
}

/// Builds a block from `candidates` (an iterator of transaction tuples), read only while gas
/// for another transaction is left.
#[pyfunction]
fn build_block<'py>(
    py: Python<'py>,
    get: Bound<'py, PyAny>,
    input: Bound<'py, PyAny>,
    forced: Bound<'py, PyAny>,
    candidates: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let input = block_input(&input)?;
    let forced = forced_items(&forced)?;
    let iterator = candidates.try_iter()?;
    let mut pending_error: Option<PyErr> = None;
    let mut next = || -> Result<Option<Tx>, String> {
        let step = || -> PyResult<Option<Tx>> {
            match iterator.clone().next() {
                None => Ok(None),
                Some(item) => Ok(Some(transaction(&item?)?)),
            }
        };
        step().map_err(|e| {
            let text = e.to_string();
            pending_error = Some(e);
            text
        })
    };
    let result = block::run_block(PySource { get }, &input, &forced, Transactions::Build(&mut next));
    drop(next);
    if let Some(error) = pending_error {
        return Err(error);
    }
    output(py, result.map_err(raise)?)
}

/// Each transaction's sender recovered from its canonical encoding, or None where py-evm's
/// own path must decide (see native/src/sender.rs). The recoveries (about 30 us each) run with
/// the GIL released: a validator re-executes blocks in a worker thread, and its event loop
/// (RPC, gossip, votes) goes on meanwhile.
#[pyfunction]
fn recover_senders<'py>(py: Python<'py>, encodings: Vec<Vec<u8>>) -> Vec<Option<Bound<'py, PyBytes>>> {
    let recovered: Vec<Option<[u8; 20]>> =
        py.detach(|| encodings.iter().map(|encoded| sender::recover(encoded)).collect());
    recovered
        .into_iter()
        .map(|found| found.map(|address| PyBytes::new(py, &address)))
        .collect()
}

/// Root of the list trie `rlp(i) -> items[i]` (transactions and receipts roots).
#[pyfunction]
fn ordered_trie_root<'py>(py: Python<'py>, items: Vec<Vec<u8>>) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &trie::ordered_root(&items))
}

/// A 256-bit integer as a Python int.
fn py_int(py: Python<'_>, value: U256) -> PyResult<Bound<'_, PyAny>> {
    match u128::try_from(value) {
        Ok(small) => Ok(small.into_pyobject(py)?.into_any()),
        Err(_) => py
            .get_type::<pyo3::types::PyInt>()
            .call_method1("from_bytes", (PyBytes::new(py, &value.to_be_bytes::<32>()), "big")),
    }
}

/// The account of `address` at `state_root` as (nonce, balance, storage root, code hash), or
/// None where there is none; raises MissingState when the store lacks a node on its path.
#[pyfunction]
fn read_account<'py>(
    py: Python<'py>,
    get: Bound<'py, PyAny>,
    state_root: Bound<'py, PyAny>,
    account: Bound<'py, PyAny>,
) -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyBytes>, Bound<'py, PyBytes>)>> {
    let root = hash32(&state_root)?;
    let address = address(&account)?;
    let found = reads::account(&mut PySource { get }, root, &address).map_err(MissingState::new_err)?;
    Ok(match found {
        None => None,
        Some(found) => Some((
            py_int(py, found.nonce)?,
            py_int(py, found.balance)?,
            PyBytes::new(py, &found.storage_root),
            PyBytes::new(py, &found.code_hash),
        )),
    })
}

/// A raw transaction decoded and its sender recovered (native/src/raw_tx.rs), as (type,
/// chain id or None, nonce, gas, fee cap, tip, to (empty for a creation), value, data, access
/// list ((address, (key, ...)), ...), authorizations ((chain id, address, nonce, y parity, r,
/// s), ...), v (the y parity of a typed transaction), r, s, sender, hash, intrinsic gas); None
/// where py-evm's builder must decide (a refusal, or a shape this does not read).
#[pyfunction]
fn decode_raw_transaction<'py>(py: Python<'py>, raw: &[u8]) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let Some(tx) = raw_tx::decode(raw) else {
        return Ok(None);
    };
    let int = |value: U256| py_int(py, value);
    let mut access = Vec::with_capacity(tx.access_list.len());
    for (account, keys) in &tx.access_list {
        let keys = keys.iter().map(|k| int(*k)).collect::<PyResult<Vec<_>>>()?;
        access.push(PyTuple::new(py, [PyBytes::new(py, account).into_any(), PyTuple::new(py, keys)?.into_any()])?);
    }
    let mut authorizations = Vec::with_capacity(tx.authorizations.len());
    for a in &tx.authorizations {
        authorizations.push(PyTuple::new(py, [
            int(a.chain_id)?,
            PyBytes::new(py, &a.address).into_any(),
            int(a.nonce)?,
            int(a.y_parity)?,
            int(a.r)?,
            int(a.s)?,
        ])?);
    }
    let fields: Vec<Bound<'py, PyAny>> = vec![
        tx.type_id.into_pyobject(py)?.into_any(),
        match tx.chain_id {
            Some(chain_id) => int(chain_id)?,
            None => py.None().into_bound(py),
        },
        int(tx.nonce)?,
        int(tx.gas)?,
        int(tx.fee_cap)?,
        int(tx.tip)?,
        PyBytes::new(py, tx.to.as_ref().map_or(&[][..], |a| &a[..])).into_any(),
        int(tx.value)?,
        PyBytes::new(py, tx.data).into_any(),
        PyTuple::new(py, access)?.into_any(),
        PyTuple::new(py, authorizations)?.into_any(),
        int(tx.v)?,
        int(tx.r)?,
        int(tx.s)?,
        PyBytes::new(py, &tx.sender).into_any(),
        PyBytes::new(py, &tx.hash).into_any(),
        tx.intrinsic_gas.into_pyobject(py)?.into_any(),
    ];
    Ok(Some(PyTuple::new(py, fields)?))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(execute_block, m)?)?;
    m.add_function(wrap_pyfunction!(build_block, m)?)?;
    m.add_function(wrap_pyfunction!(ordered_trie_root, m)?)?;
    m.add_function(wrap_pyfunction!(recover_senders, m)?)?;
    m.add_function(wrap_pyfunction!(read_account, m)?)?;
    m.add_function(wrap_pyfunction!(decode_raw_transaction, m)?)?;
    m.add("InvalidBlock", m.py().get_type::<InvalidBlock>())?;
    m.add("MissingState", m.py().get_type::<MissingState>())?;
    m.add("Unsupported", m.py().get_type::<Unsupported>())?;
    m.add("REVM_VERSION", "43.0.3")?;
    Ok(())
}
